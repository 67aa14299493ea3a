import type { TitanTask } from "../cluster/types.js";
import { type AppSpec, formatDuration } from "../manifest/index.js";
import { frameworkInfo } from "../mesos/calls.js";
import type { MasterCluster } from "../mesos/leader.js";
import {
  DEFAULT_SESSION_TIMINGS,
  SchedulerSession,
  type SessionEvent,
  type SessionTimings,
} from "../mesos/session.js";
import { OfferTooSmallError, remainingOffer, taskInfo } from "../mesos/task-builder.js";
import { endsInstance, TaskStatusTracker } from "../mesos/task-status.js";
import type { Offer, TaskInfo, TaskState, TaskStatus } from "../mesos/types/mesos.js";
import type { RunningTask } from "../placement/types.js";
import { rolloutLimits } from "../plan/rollout.js";
import type { DeployProgress, Release, StateStore } from "../state/types.js";
import { terminalMessage } from "../supervise/task-end.js";
import { EventQueue } from "./event-queue.js";
import type { DeployEvent, DeployEventSink, DeployOutcome } from "./events.js";
import { decideOffers, type OfferDecision, type PlannedAgent } from "./offer-plan.js";
import { counts, nextActions, type RolloutTask, type TaskPhase } from "./rollout.js";
import { formatTaskId, parseTaskId } from "./task-id.js";
import { type Containerizer, launchSpec } from "./task-spec.js";
import { isTransient } from "./transient.js";
import { type WaitingView, waitingFor } from "./waiting.js";

/** The release an app is being moved to, with its env already resolved (secrets included, never shown). */
export interface AppTarget {
  spec: AppSpec;
  release: Release;
  environment: Readonly<Record<string, string>>;
}

export interface FrameworkIdentity {
  user: string;
  role: string;
  principal?: string;
  failoverTimeoutSeconds: number;
}

export interface ExecutorOptions {
  cluster: MasterCluster;
  store: StateStore;
  now: () => number;
  /** Stops the deploy (Ctrl-C, a lost lock): no new work, the cluster is left as it is. */
  signal: AbortSignal;
  emit: DeployEventSink;
  warn: (line: string) => void;
  log?: (line: string) => void;
  framework: FrameworkIdentity;
  region: string | null;
  /** Desired instances in this region (the plan's count). */
  desired: number;
  /** Absolute time (ms) after which the deploy gives up (`--timeout`). */
  deadline?: number;
  seed: number;
  /** Resolves a release's env (for a rollback target) when it is needed. */
  resolveEnvironment: (spec: AppSpec) => Promise<Record<string, string>>;
  tickMs?: number;
  sessionTimings?: Partial<SessionTimings>;
  /** How the cluster's agents run images (the config's `containerizer`). */
  containerizer?: Containerizer;
}

export interface AppRun {
  target: AppTarget;
  /** The app's non-terminal tasks as the cluster state showed them before the deploy. */
  known: readonly TitanTask[];
  /** Every release of the app, for the digest behind a task id's release number and the rollback target. */
  releases: readonly Release[];
  autoRollback: boolean;
  /** Where the plan put each instance to launch: the deploy launches it there while that agent offers room. */
  planned?: ReadonlyMap<number, PlannedAgent>;
}

export type AppResult =
  | {
      outcome: DeployOutcome;
      release: number;
      reason?: string;
      rolledBackTo?: number;
      instances: DoneInstances;
    }
  | { outcome: "interrupted" | "timed_out"; release: number; reason: string };

type DoneInstances = Extract<DeployEvent, { type: "done" }>["instances"];

interface Launch {
  info: TaskInfo;
  tracked: Tracked;
}

interface Tracked {
  taskId: string;
  instance: number;
  release: number;
  incarnation: number;
  digest: string | undefined;
  state: TaskState | "LAUNCHING";
  healthySince?: number;
  agentId?: string;
  host: string;
  ports: number[];
  /** When this run launched or adopted it; the healthy deadline runs from here. */
  since: number;
  killSent: boolean;
  /** Launched by this run (rather than found running). */
  launchedHere: boolean;
}

const NOTHING_WANTED_REFUSE_SECONDS = 120;
const FINAL_SUPPRESS_MS = 2000;
/** After this long without anything happening the deploy says what it waits for, and again at most this often. */
const SILENT_WAIT_MS = 5000;
const WAITING_REPEAT_MS = 15_000;
const RETRY_REFUSE_SECONDS = 2;
/** Offers of agents the plan does not need while it waits for its own agents. */
const NOT_PLANNED_REFUSE_SECONDS = 30;
/** How long an instance waits for the agent the plan put it on before it is placed anew. */
const PLANNED_OFFER_WAIT_MS = 5000;
const RECONCILE_RESEND_MS = 2000;
/** Unanswered reconciliation is asked again this often once the rollout moved on without the answers. */
const RECONCILE_SLOW_RESEND_MS = 10_000;
/**
 * How long the rollout holds still for reconciliation answers. A master that failed over answers nothing for tasks
 * on agents that have not re-registered (master.cpp `Master::reconcile`: a task on a recovered agent gets no
 * answer) for up to --agent_reregister_timeout (10 min by default): silence is unknown, never gone. After this
 * the rollout goes on with such tasks holding their instances, neither counting nor relaunched.
 */
const RECONCILE_HOLD_MS = 10_000;
/** A launch the master refuses (TASK_ERROR) is retried this often for one instance before the deploy fails. */
const MAX_REFUSALS = 3;

/**
 * Deploys one app as its own Mesos framework: subscribes (or fails over), reconciles, then rolls the app to the
 * target release following `nextActions`, health-gated, with restart backoff, deadlines and automatic rollback.
 * Never tears the framework down: closing the session leaves every task running for the failover timeout.
 */
export class AppDeployment {
  private readonly app: string;
  private target: AppTarget;
  private rollingBackFrom: Release | undefined;
  private rollbackReason: string | undefined;
  private readonly tasks = new Map<string, Tracked>();
  private readonly tracker = new TaskStatusTracker();
  private readonly incarnations = new Map<string, number>();
  private readonly backoffUntil = new Map<number, number>();
  private readonly failures = new Map<number, number>();
  /** TASK_ERRORs per instance since it last counted. */
  private readonly refusals = new Map<number, number>();
  /** When this run first launched each instance of the target that has not counted yet: relaunches keep it. */
  private readonly firstLaunchAt = new Map<number, number>();
  /** Where the plan put each instance still to be launched there; an instance leaves it when it is re-planned. */
  private readonly planned: Map<number, PlannedAgent>;
  /** Since when each instance waits to be launched (for the bounded wait on its planned agent). */
  private readonly launchableSince = new Map<number, number>();
  private readonly digestOfRelease: Map<number, string>;
  private progress: DeployProgress;
  private subscribed = false;
  private awaitingReconcile = new Set<string>();
  /** A reconciliation ran since the last rollout step. */
  private reconciling = false;
  private reconcileSentAt = 0;
  private reconcileStartedAt = 0;
  private suppressed = false;
  /** Offers were refused for long since the last REVIVE; a REVIVE lifts that filter when launches are wanted. */
  private refusedLong = false;
  private wanted: number[] = [];
  private lastProgressAt: number;
  /** When the deploy last reported anything, and last said what it waits for. */
  private lastChangeAt: number;
  private lastWaitingAt = Number.NEGATIVE_INFINITY;
  private countingIds = new Set<string>();
  /** Instances of the target that have counted at least once: counting again after a crash is not progress. */
  private readonly proven = new Set<number>();
  /** An instance of the target died after it had counted: the release has not proved itself, so the previous
   * release's counting tasks are no longer replaced (they are all that serves) until the outcome is known. */
  private failedAfterCounting = false;
  private fatal: string | undefined;
  /** While re-subscribing after the connection to the master was lost: when the deploy gives up. */
  private reconnectingUntil: number | undefined;

  constructor(
    private readonly run: AppRun,
    private readonly options: ExecutorOptions,
    previous: DeployProgress | undefined,
  ) {
    this.app = run.target.spec.name;
    this.target = run.target;
    this.planned = new Map(run.planned ?? []);
    this.digestOfRelease = new Map(run.releases.map((r) => [r.number, r.manifestDigest]));
    this.digestOfRelease.set(run.target.release.number, run.target.release.manifestDigest);
    const now = options.now();
    this.lastProgressAt = now;
    this.lastChangeAt = now;
    for (const task of run.known) {
      const parts = parseTaskId(task.taskId);
      this.adopt(task.taskId, {
        instance: task.instance,
        release: parts?.release ?? task.release ?? 0,
        incarnation: parts?.incarnation ?? 0,
        digest: task.digest,
        state: task.state as TaskState,
        agentId: task.agentId,
        host: task.hostname,
        ports: [...task.ports],
      });
    }
    // Launches a crashed run sent (or was about to send) that the cluster state did not show: reconcile them.
    for (const taskId of previous?.launched ?? []) {
      const parts = parseTaskId(taskId);
      if (!parts || parts.app !== this.app || this.tasks.has(taskId)) continue;
      this.noteIncarnation(parts.release, parts.instance, parts.incarnation);
      this.adopt(taskId, { ...parts, digest: undefined, state: "LAUNCHING", host: "", ports: [] });
    }
    this.progress = {
      release: run.target.release.number,
      phase: "deploying",
      launched: [...this.tasks.keys()].filter((id) => previous?.launched.includes(id) ?? false),
      updatedAt: now,
    };
    for (const task of this.tasks.values()) {
      this.emit({
        type: "existing",
        app: this.app,
        task: task.taskId,
        instance: task.instance,
        state: task.state,
        current: this.isCurrent(task),
      });
    }
  }

  async execute(): Promise<AppResult> {
    const { options } = this;
    const frameworkId = await options.store.frameworkId(this.app);
    const session = new SchedulerSession({
      cluster: options.cluster,
      framework: frameworkInfo({
        name: `titan:${this.app}`,
        user: options.framework.user,
        roles: [options.framework.role],
        failoverTimeoutSeconds: options.framework.failoverTimeoutSeconds,
        checkpoint: true,
        labels: { "titan.app": this.app },
        gpus: this.target.spec.resources.gpus > 0,
        ...(options.framework.principal === undefined ? {} : { principal: options.framework.principal }),
        ...(frameworkId === undefined ? {} : { id: frameworkId }),
      }),
      autoAcknowledge: false,
      ...(options.log ? { log: options.log } : {}),
      ...(options.sessionTimings ? { timings: options.sessionTimings } : {}),
    });
    const queue = new EventQueue<SessionEvent>();
    const pump = (async () => {
      try {
        for await (const event of session.events()) queue.push(event);
        queue.end();
      } catch (error) {
        queue.end(error);
      }
    })();
    try {
      return await this.loop(session, queue);
    } finally {
      // Bounded: a master that does not answer must not hold an interrupted titan (and its lock) for 75 s.
      if (session.subscribed && !this.suppressed)
        await withinMs(session.suppress(), FINAL_SUPPRESS_MS).catch(() => undefined);
      session.close();
      await pump;
    }
  }

  private async loop(session: SchedulerSession, queue: EventQueue<SessionEvent>): Promise<AppResult> {
    const { options } = this;
    const tickMs = options.tickMs ?? 100;
    for (;;) {
      if (options.signal.aborted) return this.stopped("interrupted", "interrupted");
      if (options.deadline !== undefined && options.now() > options.deadline)
        return this.stopped("timed_out", "the --timeout passed");
      const event = await queue.next(tickMs, options.signal);
      if (event === "end") return this.stopped("interrupted", "the scheduler session ended");
      if (event !== undefined) await this.handle(session, event);
      this.reportWaiting();
      if (!this.subscribed || options.signal.aborted) continue;
      if (this.awaitingReconcile.size > 0) {
        await this.retryReconcile(session);
        if (this.holdingForReconcile()) continue;
      }
      if (this.reconciling) this.endReconcileHold();
      const result = await this.step(session);
      if (result) return result;
    }
  }

  private async stopped(outcome: "interrupted" | "timed_out", reason: string): Promise<AppResult> {
    await this.saveProgress("interrupted");
    return { outcome, release: this.target.release.number, reason };
  }

  // ---- events ------------------------------------------------------------------------------------------

  private async handle(session: SchedulerSession, event: SessionEvent): Promise<void> {
    switch (event.type) {
      case "SUBSCRIBED":
        await this.onSubscribed(session, event.subscribed.framework_id.value);
        return;
      case "RECONNECTING": {
        this.subscribed = false;
        this.reconnectingUntil ??= this.reconnectBound();
        const until = new Date(this.reconnectingUntil).toISOString();
        this.emit({ type: "reconnecting", app: this.app, reason: event.reason, until });
        return;
      }
      case "OFFERS":
        await this.onOffers(session, event.offers.offers ?? []);
        return;
      case "UPDATE":
        this.onStatus(event.update.status);
        // Acknowledged only now that the update is handled; a failed ACK is redelivered by Mesos.
        await session.acknowledge(event.update.status).catch((error: unknown) => {
          this.options.log?.(`acknowledging ${event.update.status.task_id.value} failed: ${String(error)}`);
        });
        return;
      case "FAILURE": {
        // An agent was removed: instances planned on it are placed anew at once.
        const agentId = event.failure.agent_id?.value;
        for (const [instance, agent] of [...this.planned])
          if (agent.agentId === agentId) this.dropPlan(instance, `${agent.hostname} was lost`);
        return;
      }
      default:
        return;
    }
  }

  /** The session gives up re-subscribing after its reconnect deadline; --timeout may come first. */
  private reconnectBound(): number {
    const deadlineMs =
      this.options.sessionTimings?.reconnectDeadlineMs ?? DEFAULT_SESSION_TIMINGS.reconnectDeadlineMs;
    const bound = this.options.now() + deadlineMs;
    return this.options.deadline === undefined ? bound : Math.min(bound, this.options.deadline);
  }

  private async onSubscribed(session: SchedulerSession, frameworkId: string): Promise<void> {
    this.reconnectingUntil = undefined;
    await this.options.store.setFrameworkId(this.app, frameworkId);
    this.subscribed = true;
    this.suppressed = false;
    // Every task this run knows of is reconciled explicitly before anything is launched; the implicit
    // reconciliation that follows reports tasks of the framework nobody told this run about.
    const live = [...this.tasks.values()];
    this.awaitingReconcile = new Set(live.map((t) => t.taskId));
    this.reconciling = true;
    const now = this.options.now();
    this.reconcileSentAt = now;
    this.reconcileStartedAt = now;
    const sent = await this.tolerate("RECONCILE", () =>
      session.reconcile(
        live.map((t) => ({ taskId: t.taskId, ...(t.agentId ? { agentId: t.agentId } : {}) })),
      ),
    );
    if (!sent) this.reconcileSentAt = 0;
    await this.tolerate("RECONCILE", () => session.reconcile([]));
    // An earlier run may have refused offers for long (or suppressed them): lift that at once, not in 120 s.
    if (await this.tolerate("REVIVE", () => session.revive())) this.refusedLong = false;
  }

  /**
   * Runs a scheduler call, swallowing a transient failure (a 503 mid-election, a dropped connection) that the
   * loop repairs by itself; returns whether the call went through.
   */
  private async tolerate(what: string, call: () => Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      if (!isTransient(error)) throw error;
      this.options.log?.(
        `${what} failed, will be retried: ${error instanceof Error ? error.message : String(error)}`,
      );
      return false;
    }
  }

  /** Launches whose ACCEPT failed may or may not have reached the master: ask it before launching them again. */
  private reconcileUnsure(taskIds: readonly string[]): void {
    for (const taskId of taskIds) this.awaitingReconcile.add(taskId);
    this.reconcileSentAt = 0;
    this.reconcileStartedAt = this.options.now();
    this.reconciling = true;
  }

  /** The rollout waits for reconciliation answers, for a bounded time. */
  private holdingForReconcile(): boolean {
    return (
      this.awaitingReconcile.size > 0 && this.options.now() - this.reconcileStartedAt < RECONCILE_HOLD_MS
    );
  }

  private endReconcileHold(): void {
    this.reconciling = false;
    if (this.awaitingReconcile.size === 0) {
      // Nothing could be launched while reconciling: that wait does not eat the progress deadline.
      this.lastProgressAt = this.options.now();
      return;
    }
    // Unknown tasks count against the deadlines: they are waited on, never relaunched.
    const ids = [...this.awaitingReconcile];
    this.options.warn(
      `the master has not reported ${ids.length} task(s) since titan asked (${ids.join(", ")}); their agents may not have re-registered after a master failover. They keep their instances and are not relaunched; the deploy waits for them within its deadlines`,
    );
  }

  private async retryReconcile(session: SchedulerSession): Promise<void> {
    const now = this.options.now();
    const every = this.holdingForReconcile() ? RECONCILE_RESEND_MS : RECONCILE_SLOW_RESEND_MS;
    if (now - this.reconcileSentAt < every) return;
    this.reconcileSentAt = now;
    const pending = [...this.awaitingReconcile]
      .map((id) => this.tasks.get(id))
      .filter((t) => t !== undefined);
    await this.tolerate("RECONCILE", () =>
      session.reconcile(
        pending.map((t) => ({ taskId: t.taskId, ...(t.agentId ? { agentId: t.agentId } : {}) })),
      ),
    );
  }

  private onStatus(status: TaskStatus): void {
    const taskId = status.task_id.value;
    const parts = parseTaskId(taskId);
    if (!parts || parts.app !== this.app) {
      this.options.warn(
        `the framework of ${this.app} reports a task titan did not launch: ${taskId}; left alone`,
      );
      return;
    }
    this.awaitingReconcile.delete(taskId);
    const verdict = this.tracker.observe(status);
    if (verdict !== "new") return;
    let task = this.tasks.get(taskId);
    if (!task) {
      if (endsInstance(status.state)) return;
      // Found by implicit reconciliation: a task of this app that the cluster state did not list.
      this.noteIncarnation(parts.release, parts.instance, parts.incarnation);
      task = this.adopt(taskId, { ...parts, digest: undefined, state: status.state, host: "", ports: [] });
    }
    if (status.agent_id) task.agentId = status.agent_id.value;
    const before = task.state;
    task.state = status.state;
    const reconciling = status.reason === "REASON_RECONCILIATION";
    if (status.state === "TASK_RUNNING") {
      if (before !== "TASK_RUNNING") this.emitTask("running", task);
      const hasHealthCheck = this.specOf(task)?.health !== undefined;
      if (!hasHealthCheck || status.healthy === true) {
        if (task.healthySince === undefined) {
          // Found healthy by reconciliation: it has been healthy for an unknown time already.
          task.healthySince = reconciling && !task.launchedHere ? 0 : this.options.now();
          if (hasHealthCheck) this.emitTask("healthy", task);
        }
      } else if (status.healthy === false) {
        if (task.healthySince !== undefined || before !== "TASK_RUNNING") this.emitTask("unhealthy", task);
        task.healthySince = undefined;
      }
      return;
    }
    if (status.state === "TASK_UNREACHABLE") {
      task.healthySince = undefined;
      this.emitTask("unreachable", task);
      return;
    }
    if (status.state === "TASK_KILLING") {
      task.killSent = true;
      return;
    }
    if (endsInstance(status.state)) {
      this.onTerminal(task, status, before);
    }
  }

  private onTerminal(task: Tracked, status: TaskStatus, before: Tracked["state"]): void {
    this.tasks.delete(task.taskId);
    const wasCounting = this.countingIds.delete(task.taskId);
    const type =
      status.state === "TASK_KILLED"
        ? "killed"
        : status.state === "TASK_FINISHED"
          ? "finished"
          : status.state === "TASK_FAILED" || status.state === "TASK_ERROR"
            ? "failed"
            : "lost";
    this.emit({
      type,
      app: this.app,
      task: task.taskId,
      instance: task.instance,
      state: status.state,
      ...messageOf(status, task.killSent),
    });
    if (task.killSent || !this.isCurrent(task)) return;
    if (wasCounting) this.failedAfterCounting = true;
    // Its replacement must not wait out the short refusals of offers declined meanwhile.
    this.refusedLong = true;
    this.dropPlan(
      task.instance,
      `its task ${task.taskId} ended (${status.state.replace(/^TASK_/, "").toLowerCase()})`,
    );
    if (status.state === "TASK_ERROR") {
      // A refused launch is a failed launch: a bad offer or carve is cured by another offer, while a malformed
      // spec is refused every time, so a few refusals in a row end the deploy with the master's reason.
      const refusals = (this.refusals.get(task.instance) ?? 0) + 1;
      this.refusals.set(task.instance, refusals);
      if (refusals >= MAX_REFUSALS) {
        this.fatal = `Mesos refused task ${task.taskId} (${refusals} launches of instance ${task.instance}): ${status.message ?? status.reason ?? "TASK_ERROR"}`;
        return;
      }
    }
    // A launch the master never heard of (reconciliation says so) is simply launched again, without backoff.
    if (status.reason === "REASON_RECONCILIATION" && before !== "TASK_RUNNING") return;
    // A current task died on its own: relaunch with the restart backoff.
    const restart = this.target.spec.restart;
    const failures = (this.failures.get(task.instance) ?? 0) + 1;
    this.failures.set(task.instance, failures);
    const delay = Math.min(restart.maxDelayMs, restart.backoffMs * restart.factor ** (failures - 1));
    this.backoffUntil.set(task.instance, this.options.now() + delay);
  }

  private async onOffers(session: SchedulerSession, offers: readonly Offer[]): Promise<void> {
    if (offers.length === 0) return;
    const launches =
      this.subscribed && !this.holdingForReconcile() && !this.options.signal.aborted && !this.fatal
        ? this.decide().actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : []))
        : [];
    if (launches.length === 0) {
      const idle = this.subscribed && !this.holdingForReconcile() && this.wanted.length === 0;
      if (idle) this.refusedLong = true;
      // An offer whose DECLINE failed goes back to the allocator at the offer timeout or the next election.
      await this.decline(session, offers, idle ? NOTHING_WANTED_REFUSE_SECONDS : RETRY_REFUSE_SECONDS);
      return;
    }
    const decision = decideOffers({
      spec: this.target.spec,
      seed: this.options.seed,
      offers,
      launches,
      planned: this.planned,
      running: this.runningTasks(),
    });
    const perOffer = this.carve(decision.placements);
    await this.launch(session, perOffer);
    // Offers of agents the plan waits for come back soon; the others are not needed while the plan holds.
    const waitingForPlan = decision.waiting.length > 0;
    const soon = decision.unused.filter((u) => u.neededByPlan || !waitingForPlan).map((u) => u.offer);
    const later = decision.unused.filter((u) => !u.neededByPlan && waitingForPlan).map((u) => u.offer);
    await this.decline(session, soon, RETRY_REFUSE_SECONDS);
    if (later.length > 0) {
      this.refusedLong = true;
      await this.decline(session, later, NOT_PLANNED_REFUSE_SECONDS);
    }
  }

  private async decline(session: SchedulerSession, offers: readonly Offer[], seconds: number): Promise<void> {
    if (offers.length === 0) return;
    await this.tolerate("DECLINE", () =>
      session.decline(
        offers.map((o) => o.id.value),
        seconds,
      ),
    );
  }

  private runningTasks(): RunningTask[] {
    return [...this.tasks.values()]
      .filter((t) => t.agentId !== undefined)
      .map((t) => ({
        app: this.app,
        agentId: t.agentId ?? "",
        instance: t.instance,
        demand: this.target.spec.resources,
        portCount: t.ports.length,
      }));
  }

  /** TaskInfos carved one after another from what each offer still holds, with the task this run will track. */
  private carve(placements: OfferDecision["placements"]): Map<Offer, Launch[]> {
    const spec = this.target.spec;
    const perOffer = new Map<Offer, Launch[]>();
    const leftOf = new Map<Offer, Offer>();
    for (const { offer, placement } of placements) {
      const left = leftOf.get(offer) ?? offer;
      const release = this.target.release.number;
      const incarnation = this.nextIncarnation(release, placement.instance);
      const taskId = formatTaskId({ app: this.app, release, instance: placement.instance, incarnation });
      let info: TaskInfo;
      try {
        info = taskInfo(
          launchSpec({
            spec,
            taskId,
            release,
            instance: placement.instance,
            digest: this.target.release.manifestDigest,
            region: this.options.region,
            offer: left,
            ports: placement.ports,
            environment: this.target.environment,
            ...(this.options.containerizer === undefined
              ? {}
              : { containerizer: this.options.containerizer }),
          }),
        );
      } catch (error) {
        if (error instanceof OfferTooSmallError) continue;
        throw error;
      }
      leftOf.set(offer, remainingOffer(left, info.resources ?? []));
      const tracked: Tracked = {
        taskId,
        instance: placement.instance,
        release,
        incarnation,
        digest: this.target.release.manifestDigest,
        state: "LAUNCHING",
        agentId: placement.agentId,
        host: placement.hostname,
        ports: Object.values(placement.ports),
        since: this.options.now(),
        killSent: false,
        launchedHere: true,
      };
      perOffer.set(offer, [...(perOffer.get(offer) ?? []), { info, tracked }]);
    }
    return perOffer;
  }

  /** Write-ahead (the intent is durable before any ACCEPT leaves), then one ACCEPT per offer. */
  private async launch(session: SchedulerSession, perOffer: Map<Offer, Launch[]>): Promise<void> {
    if (perOffer.size === 0) return;
    const batches = [...perOffer];
    const ids = batches.flatMap(([, batch]) => batch.map((x) => x.tracked.taskId));
    this.progress.launched = [...new Set([...this.progress.launched, ...ids])];
    await this.saveProgress(this.rollingBackFrom ? "rolling_back" : "deploying");
    const spec = this.target.spec;
    for (const [offer, batch] of batches) {
      for (const { tracked } of batch) {
        this.tasks.set(tracked.taskId, tracked);
        this.noteIncarnation(tracked.release, tracked.instance, tracked.incarnation);
        this.launchableSince.delete(tracked.instance);
        // A proven instance that crashed is bounded by the progress deadline, not its healthy deadline.
        if (!this.firstLaunchAt.has(tracked.instance) && !this.proven.has(tracked.instance))
          this.firstLaunchAt.set(tracked.instance, tracked.since);
        this.emit({
          type: "launch",
          app: this.app,
          task: tracked.taskId,
          instance: tracked.instance,
          release: tracked.release,
          host: tracked.host,
          ports: Object.fromEntries(spec.ports.map((p, i) => [p.name, tracked.ports[i] ?? 0] as const)),
        });
      }
      const sent = await this.tolerate("ACCEPT", () =>
        session.launch(
          [offer.id.value],
          batch.map((b) => b.info),
          RETRY_REFUSE_SECONDS,
        ),
      );
      if (!sent) this.reconcileUnsure(batch.map((b) => b.tracked.taskId));
    }
  }

  /**
   * The plan holds while its agents offer: an instance whose planned agent has not offered (enough) within
   * PLANNED_OFFER_WAIT_MS of becoming launchable is placed anew by the placement engine among whatever is
   * offered (the agent may be lost, or busy with other frameworks' tasks), and that change is reported.
   */
  private replanOverdue(launchable: readonly number[]): void {
    const now = this.options.now();
    const still = new Set(launchable);
    for (const instance of [...this.launchableSince.keys()])
      if (!still.has(instance)) this.launchableSince.delete(instance);
    for (const instance of launchable) {
      if (!this.launchableSince.has(instance)) this.launchableSince.set(instance, now);
      const agent = this.planned.get(instance);
      const since = this.launchableSince.get(instance);
      if (agent === undefined || since === undefined || now - since < PLANNED_OFFER_WAIT_MS) continue;
      this.dropPlan(
        instance,
        `${agent.hostname} offered no room for it within ${formatDuration(PLANNED_OFFER_WAIT_MS)}`,
      );
    }
  }

  /** Reality diverged from the plan for this instance: it is placed anew among the offers, and that is said. */
  private dropPlan(instance: number, reason: string): void {
    const agent = this.planned.get(instance);
    if (agent === undefined) return;
    this.planned.delete(instance);
    // Agents declined while the plan held must offer again.
    this.refusedLong = true;
    this.emit({ type: "replan", app: this.app, instance, planned: agent.hostname, reason });
  }

  // ---- the rollout -------------------------------------------------------------------------------------

  private decide(): ReturnType<typeof nextActions> {
    const spec = this.target.spec;
    const limits = rolloutLimits(spec, this.options.desired);
    return nextActions({
      desired: this.options.desired,
      ...limits,
      minHealthyMs: spec.update.minHealthyTimeMs,
      now: this.options.now(),
      tasks: [...this.tasks.values()].map((t) => this.rolloutTask(t)),
      backoffUntil: this.backoffUntil,
      keepPrevious: this.failedAfterCounting,
    });
  }

  private async step(session: SchedulerSession): Promise<AppResult | undefined> {
    this.noteProgress();
    const failure = this.fatal ?? this.deadlineFailure();
    if (failure !== undefined) {
      const next = await this.onFailure(failure);
      if (next) return next;
    }
    const decision = this.decide();
    if (decision.done) return this.finished();
    this.replanOverdue(decision.actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : [])));
    for (const action of decision.actions) {
      if (action.kind !== "kill") continue;
      const task = this.tasks.get(action.taskId);
      if (!task) continue;
      task.killSent = true;
      this.emit({
        type: "killing",
        app: this.app,
        task: task.taskId,
        instance: task.instance,
        reason: action.reason,
      });
      const sent = await this.tolerate("KILL", () =>
        session.kill(task.taskId, {
          ...(task.agentId ? { agentId: task.agentId } : {}),
          gracePeriodMs: this.specOf(task)?.killGraceMs ?? this.target.spec.killGraceMs,
        }),
      );
      // The next step decides the kill again.
      if (!sent) task.killSent = false;
    }
    this.wanted = decision.pending;
    const launchNow = decision.actions.some((a) => a.kind === "launch");
    if (launchNow && (this.suppressed || this.refusedLong)) {
      if (await this.tolerate("REVIVE", () => session.revive())) {
        this.suppressed = false;
        this.refusedLong = false;
      }
    } else if (decision.pending.length === 0 && !this.suppressed) {
      if (await this.tolerate("SUPPRESS", () => session.suppress())) this.suppressed = true;
    }
    return undefined;
  }

  /**
   * An instance that counts for the first time is progress; the progress deadline runs from the last one. The same
   * instance counting again after a crash is not: a release that warms up and then fails must run into the deadline
   * (and its restart backoff keeps growing) instead of looping for ever.
   */
  private noteProgress(): void {
    const now = this.options.now();
    const minHealthy = this.target.spec.update.minHealthyTimeMs;
    for (const task of this.tasks.values()) {
      if (!this.isCurrent(task) || this.countingIds.has(task.taskId)) continue;
      if (!counts(this.rolloutTask(task), now, minHealthy)) continue;
      this.countingIds.add(task.taskId);
      if (this.proven.has(task.instance)) continue;
      this.proven.add(task.instance);
      this.lastProgressAt = now;
      this.refusals.delete(task.instance);
      this.firstLaunchAt.delete(task.instance);
    }
  }

  private deadlineFailure(): string | undefined {
    const now = this.options.now();
    const update = this.target.spec.update;
    for (const task of this.tasks.values()) {
      if (!this.isCurrent(task) || task.killSent || this.countingIds.has(task.taskId)) continue;
      if (now - task.since > update.healthyDeadlineMs) {
        return `instance ${task.instance} (${task.taskId}) was not healthy within healthy_deadline ${formatDuration(update.healthyDeadlineMs)}`;
      }
    }
    // Relaunches of an instance (crashes, refused or dropped launches) run against its first launch's deadline.
    for (const [instance, since] of this.firstLaunchAt) {
      if (instance < this.options.desired && now - since > update.healthyDeadlineMs)
        return `instance ${instance} was not healthy within healthy_deadline ${formatDuration(update.healthyDeadlineMs)} of its first launch`;
    }
    if (update.progressDeadlineMs > 0 && now - this.lastProgressAt > update.progressDeadlineMs) {
      return `no instance became healthy within progress_deadline ${formatDuration(update.progressDeadlineMs)}`;
    }
    return undefined;
  }

  private async onFailure(reason: string): Promise<AppResult | undefined> {
    this.fatal = undefined;
    const failed = this.target.release;
    if (this.rollingBackFrom) {
      return {
        outcome: "failed",
        release: this.rollingBackFrom.number,
        reason: `the rollback to release ${failed.number} failed too: ${reason}`,
        instances: this.instances(),
      };
    }
    const previous = this.run.autoRollback ? this.previousRelease() : undefined;
    if (!previous) {
      return {
        outcome: "failed",
        release: failed.number,
        reason: this.run.autoRollback
          ? `${reason}; there is no earlier healthy release to roll back to`
          : reason,
        instances: this.instances(),
      };
    }
    this.emit({ type: "rollback", app: this.app, from: failed.number, to: previous.number, reason });
    this.rollingBackFrom = failed;
    this.rollbackReason = reason;
    this.target = {
      spec: previous.spec,
      release: previous,
      environment: await this.options.resolveEnvironment(previous.spec),
    };
    this.digestOfRelease.set(previous.number, previous.manifestDigest);
    // The plan was for the failed release: the rollback places on whatever is offered.
    this.planned.clear();
    this.backoffUntil.clear();
    this.failures.clear();
    this.refusals.clear();
    this.firstLaunchAt.clear();
    this.countingIds.clear();
    this.proven.clear();
    this.failedAfterCounting = false;
    const now = this.options.now();
    this.lastProgressAt = now;
    for (const task of this.tasks.values()) task.since = now;
    await this.saveProgress("rolling_back");
    return undefined;
  }

  private previousRelease(): Release | undefined {
    const current = this.target.release;
    return [...this.run.releases]
      .reverse()
      .find(
        (r) =>
          r.outcome === "deployed" &&
          r.number !== current.number &&
          r.manifestDigest !== current.manifestDigest,
      );
  }

  private async finished(): Promise<AppResult> {
    await this.saveProgress("finished", true);
    const instances = this.instances();
    if (this.rollingBackFrom) {
      return {
        outcome: "rolled_back",
        release: this.rollingBackFrom.number,
        rolledBackTo: this.target.release.number,
        ...(this.rollbackReason === undefined ? {} : { reason: this.rollbackReason }),
        instances,
      };
    }
    return { outcome: "deployed", release: this.target.release.number, instances };
  }

  private instances(): DoneInstances {
    return [...this.tasks.values()]
      .filter((t) => this.isCurrent(t) && !t.killSent)
      .sort((a, b) => a.instance - b.instance)
      .map((t) => ({ instance: t.instance, task: t.taskId, host: t.host, ports: t.ports }));
  }

  // ---- bookkeeping -------------------------------------------------------------------------------------

  private adopt(
    taskId: string,
    fields: Pick<Tracked, "instance" | "release" | "incarnation" | "digest" | "state" | "host" | "ports"> & {
      agentId?: string;
    },
  ): Tracked {
    const task: Tracked = {
      taskId,
      ...fields,
      since: this.options.now(),
      killSent: fields.state === "TASK_KILLING",
      launchedHere: false,
    };
    // A task found running has run for an unknown time: it counts at once (health permitting).
    if (fields.state === "TASK_RUNNING" && !this.specOf(task)?.health) task.healthySince = 0;
    this.tasks.set(taskId, task);
    this.noteIncarnation(fields.release, fields.instance, fields.incarnation);
    return task;
  }

  private noteIncarnation(release: number, instance: number, incarnation: number): void {
    const key = `${release}.${instance}`;
    this.incarnations.set(key, Math.max(this.incarnations.get(key) ?? 0, incarnation));
  }

  private nextIncarnation(release: number, instance: number): number {
    return (this.incarnations.get(`${release}.${instance}`) ?? 0) + 1;
  }

  private digestOf(task: Tracked): string | undefined {
    return task.digest ?? this.digestOfRelease.get(task.release);
  }

  private isCurrent(task: Tracked): boolean {
    return this.digestOf(task) === this.target.release.manifestDigest;
  }

  private specOf(task: Tracked): AppSpec | undefined {
    if (this.isCurrent(task)) return this.target.spec;
    return this.run.releases.find((r) => r.number === task.release)?.spec;
  }

  private rolloutTask(task: Tracked): RolloutTask {
    return {
      taskId: task.taskId,
      instance: task.instance,
      incarnation: task.incarnation,
      current: this.isCurrent(task),
      phase: this.awaitingReconcile.has(task.taskId) ? "unknown" : phaseOf(task),
      ...(task.healthySince === undefined ? {} : { healthySince: task.healthySince }),
    };
  }

  private async saveProgress(phase: DeployProgress["phase"], prune = false): Promise<void> {
    this.progress = {
      release: this.target.release.number,
      phase,
      launched: prune ? [] : this.progress.launched,
      updatedAt: this.options.now(),
    };
    await this.options.store.saveProgress(this.app, this.progress);
  }

  private emitTask(type: "running" | "healthy" | "unhealthy" | "unreachable", task: Tracked): void {
    this.emit({ type, app: this.app, task: task.taskId, instance: task.instance });
  }

  private emit(event: DeployEvent): void {
    this.lastChangeAt = this.options.now();
    this.options.emit(event);
  }

  /** Nothing waits silently: after a few quiet seconds the output says what the deploy waits for. */
  private reportWaiting(): void {
    const now = this.options.now();
    if (now - this.lastChangeAt < SILENT_WAIT_MS) return;
    if (this.lastWaitingAt > this.lastChangeAt && now - this.lastWaitingAt < WAITING_REPEAT_MS) return;
    this.lastWaitingAt = now;
    this.options.emit({ type: "waiting", app: this.app, for: waitingFor(this.waitingView(now)) });
  }

  private waitingView(now: number): WaitingView {
    const tasks = [...this.tasks.values()];
    const current = tasks.filter((t) => this.isCurrent(t) && !t.killSent);
    const settled = this.subscribed && !this.holdingForReconcile();
    const decision = settled ? this.decide() : undefined;
    return {
      subscribed: this.subscribed,
      ...(this.reconnectingUntil === undefined ? {} : { reconnectingUntil: this.reconnectingUntil }),
      unanswered: [...this.awaitingReconcile],
      awaitingOffers:
        decision?.actions.flatMap((a) => {
          if (a.kind !== "launch") return [];
          const agent = this.planned.get(a.instance);
          return [agent === undefined ? String(a.instance) : `${a.instance} (planned on ${agent.hostname})`];
        }) ?? [],
      backoff: (decision?.pending ?? []).flatMap((instance) => {
        const until = this.backoffUntil.get(instance);
        return until !== undefined && until > now ? [{ instance, until }] : [];
      }),
      starting: current.filter((t) => t.state !== "TASK_RUNNING").map((t) => t.taskId),
      warming: current
        .filter((t) => t.state === "TASK_RUNNING" && !this.countingIds.has(t.taskId))
        .map((t) => t.taskId),
      stopping: tasks.filter((t) => t.killSent).map((t) => t.taskId),
    };
  }
}

function phaseOf(task: Tracked): TaskPhase {
  if (task.killSent || task.state === "TASK_KILLING") return "killing";
  if (task.state === "TASK_UNREACHABLE") return "unreachable";
  if (task.state === "TASK_RUNNING") return "running";
  return "starting";
}

function messageOf(status: TaskStatus, killSent: boolean): { message?: string } {
  const message = terminalMessage(status, killSent);
  return message === undefined ? {} : { message };
}

/** Settles with `promise`, or resolves after `ms` when it is still pending (the promise's result is then ignored). */
function withinMs(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
