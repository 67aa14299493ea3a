import type { TitanTask } from "../cluster/types.js";
import { type AppSpec, formatDuration } from "../manifest/index.js";
import type { MasterCluster } from "../mesos/leader.js";
import {
  DEFAULT_SESSION_TIMINGS,
  type SchedulerSession,
  type SessionEvent,
  type SessionTimings,
} from "../mesos/session.js";
import type { Offer } from "../mesos/types/mesos.js";
import type { DeployProgress, Release, StateStore } from "../state/types.js";
import { carveLaunches, type Launch } from "./carve.js";
import { EventQueue, withinMs } from "./event-queue.js";
import type { DeployEvent, DeployEventSink, DeployOutcome } from "./events.js";
import { decideOffers, type PlannedAgent } from "./offer-plan.js";
import { openSession } from "./open-session.js";
import { Reconciliation } from "./reconciliation.js";
import { rollbackTarget } from "./releases.js";
import type { Containerizer } from "./task-spec.js";
import { type AppTarget, type DoneInstances, Tracking } from "./tracking.js";
import { isTransient } from "./transient.js";
import { describeWait, QuietTimer } from "./waiting.js";

export type { AppTarget } from "./tracking.js";

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

const NOTHING_WANTED_REFUSE_SECONDS = 120;
const RETRY_REFUSE_SECONDS = 2;
/** Offers of agents the plan does not need while it waits for its own agents. */
const NOT_PLANNED_REFUSE_SECONDS = 30;
/** How long an instance waits for the agent the plan put it on before it is placed anew. */
const PLANNED_OFFER_WAIT_MS = 5000;
const FINAL_SUPPRESS_MS = 2000;

/**
 * The effect loop of a deploy of one app as its own Mesos framework: subscribes (or fails over), reconciles,
 * revives, then rolls the app to the target release, health-gated, with restart backoff, deadlines and automatic
 * rollback. One event at a time from the scheduler session (or a timer tick) goes to its handler; what to do is
 * decided by the pure parts (tracking's updates, `nextActions`, `decideOffers`) and the calls are sent here.
 * Never tears the framework down: closing the session leaves every task running for the failover timeout.
 */
export class AppDeployment {
  private readonly app: string;
  private readonly tracking: Tracking;
  private readonly reconciliation: Reconciliation;
  private rollingBackFrom: Release | undefined;
  private rollbackReason: string | undefined;
  /** Where the plan put each instance still to be launched there; an instance leaves it when it is re-planned. */
  private readonly planned: Map<number, PlannedAgent>;
  /** Since when each instance waits to be launched (for the bounded wait on its planned agent). */
  private readonly launchableSince = new Map<number, number>();
  private progress: DeployProgress;
  private subscribed = false;
  private suppressed = false;
  /** Offers were refused for long since the last REVIVE; a REVIVE lifts that filter when launches are wanted. */
  private refusedLong = false;
  private wanted: number[] = [];
  private readonly quiet = new QuietTimer();
  /** While re-subscribing after the connection to the master was lost: when the deploy gives up. */
  private reconnectingUntil: number | undefined;

  constructor(
    private readonly run: AppRun,
    private readonly options: ExecutorOptions,
    previous: DeployProgress | undefined,
  ) {
    this.app = run.target.spec.name;
    this.planned = new Map(run.planned ?? []);
    const now = options.now();
    this.quiet.changed(now);
    this.tracking = new Tracking(
      {
        app: this.app,
        desired: options.desired,
        releases: run.releases,
        now: options.now,
        emit: (event) => this.emit(event),
        warn: options.warn,
        instanceEnded: (instance, reason) => {
          // Its replacement must not wait out the short refusals of offers declined meanwhile.
          this.refusedLong = true;
          this.dropPlan(instance, reason);
        },
      },
      run.target,
    );
    this.reconciliation = new Reconciliation(this.tracking, options.now);
    // Launches a stopped run sent (or was about to send) that the cluster state did not show: reconciled too.
    this.tracking.adoptKnown(run.known, previous?.launched ?? []);
    this.progress = {
      release: run.target.release.number,
      phase: "deploying",
      launched: [...this.tracking.tasks.keys()].filter((id) => previous?.launched.includes(id) ?? false),
      updatedAt: now,
    };
    for (const task of this.tracking.tasks.values()) {
      this.emit({
        type: "existing",
        app: this.app,
        task: task.taskId,
        instance: task.instance,
        state: task.state,
        current: this.tracking.isCurrent(task),
      });
    }
  }

  private get target(): AppTarget {
    return this.tracking.target;
  }

  async execute(): Promise<AppResult> {
    const frameworkId = await this.options.store.frameworkId(this.app);
    const session = openSession(this.options, this.app, frameworkId, this.run.target.spec.resources.gpus > 0);
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

  /** One event (or a tick) at a time: its handler, then a rollout step once the reconciliation allows it. */
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
      await this.reconciliation.retry(session, this.tolerate);
      if (this.reconciliation.holding()) continue;
      const ended = this.reconciliation.endHold();
      // Nothing could be launched while reconciling: that wait does not eat the progress deadline.
      if (ended === "answered") this.tracking.lastProgressAt = options.now();
      else if (ended !== undefined) options.warn(ended);
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
        return this.onSubscribed(session, event.subscribed.framework_id.value);
      case "RECONNECTING": {
        this.subscribed = false;
        this.reconnectingUntil ??= this.reconnectBound();
        const until = new Date(this.reconnectingUntil).toISOString();
        this.emit({ type: "reconnecting", app: this.app, reason: event.reason, until });
        return;
      }
      case "OFFERS":
        return this.onOffers(session, event.offers.offers ?? []);
      case "UPDATE":
        this.tracking.onStatus(event.update.status);
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
    await this.reconciliation.start(session, this.tolerate);
    // An earlier run may have refused offers for long (or suppressed them): lift that at once, not in 120 s.
    if (await this.tolerate("REVIVE", () => session.revive())) this.refusedLong = false;
  }

  /**
   * Runs a scheduler call, swallowing a transient failure (a 503 mid-election, a dropped connection) that the
   * loop repairs by itself; returns whether the call went through.
   */
  private readonly tolerate = async (what: string, call: () => Promise<void>): Promise<boolean> => {
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
  };

  // ---- offers ------------------------------------------------------------------------------------------

  private async onOffers(session: SchedulerSession, offers: readonly Offer[]): Promise<void> {
    if (offers.length === 0) return;
    const settled = this.subscribed && !this.reconciliation.holding();
    const launches =
      settled && !this.options.signal.aborted && !this.tracking.fatal
        ? this.tracking.decide().actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : []))
        : [];
    if (launches.length === 0) {
      const idle = settled && this.wanted.length === 0;
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
      running: this.tracking.runningTasks(),
    });
    const perOffer = carveLaunches(decision.placements, {
      app: this.app,
      target: this.target,
      region: this.options.region,
      ...(this.options.containerizer === undefined ? {} : { containerizer: this.options.containerizer }),
      now: this.options.now(),
      nextIncarnation: (release, instance) => this.tracking.nextIncarnation(release, instance),
    });
    await this.launch(session, perOffer);
    // Offers of agents the plan waits for come back soon; the others are not needed while the plan holds.
    const waitingForPlan = decision.waiting.length > 0;
    const later = decision.unused.filter((u) => !u.neededByPlan && waitingForPlan).map((u) => u.offer);
    const soon = decision.unused.map((u) => u.offer).filter((o) => !later.includes(o));
    await this.decline(session, soon, RETRY_REFUSE_SECONDS);
    if (later.length > 0) {
      this.refusedLong = true;
      await this.decline(session, later, NOT_PLANNED_REFUSE_SECONDS);
    }
  }

  private async decline(session: SchedulerSession, offers: readonly Offer[], seconds: number): Promise<void> {
    if (offers.length === 0) return;
    const ids = offers.map((o) => o.id.value);
    await this.tolerate("DECLINE", () => session.decline(ids, seconds));
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
        this.tracking.launched(tracked);
        this.launchableSince.delete(tracked.instance);
        const ports = Object.fromEntries(spec.ports.map((p, i) => [p.name, tracked.ports[i] ?? 0] as const));
        const { taskId: task, instance, release, host } = tracked;
        this.emit({ type: "launch", app: this.app, task, instance, release, host, ports });
      }
      const infos = batch.map((b) => b.info);
      const sent = await this.tolerate("ACCEPT", () =>
        session.launch([offer.id.value], infos, RETRY_REFUSE_SECONDS),
      );
      if (!sent) this.reconciliation.unsure(batch.map((b) => b.tracked.taskId));
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
      const since = this.launchableSince.get(instance) ?? now;
      if (agent === undefined || now - since < PLANNED_OFFER_WAIT_MS) continue;
      const wait = formatDuration(PLANNED_OFFER_WAIT_MS);
      this.dropPlan(instance, `${agent.hostname} offered no room for it within ${wait}`);
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

  private async step(session: SchedulerSession): Promise<AppResult | undefined> {
    this.tracking.noteProgress();
    const failure = this.tracking.fatal ?? this.tracking.deadlineFailure();
    if (failure !== undefined) {
      const next = await this.onFailure(failure);
      if (next) return next;
    }
    const decision = this.tracking.decide();
    if (decision.done) return this.finished();
    this.replanOverdue(decision.actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : [])));
    for (const action of decision.actions)
      if (action.kind === "kill") await this.kill(session, action.taskId, action.reason);
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

  private async kill(session: SchedulerSession, taskId: string, reason: string): Promise<void> {
    const task = this.tracking.tasks.get(taskId);
    if (!task) return;
    task.killSent = true;
    this.emit({ type: "killing", app: this.app, task: task.taskId, instance: task.instance, reason });
    const gracePeriodMs = this.tracking.specOf(task)?.killGraceMs ?? this.target.spec.killGraceMs;
    const sent = await this.tolerate("KILL", () =>
      session.kill(task.taskId, { ...(task.agentId ? { agentId: task.agentId } : {}), gracePeriodMs }),
    );
    // The next step decides the kill again.
    if (!sent) task.killSent = false;
  }

  private async onFailure(reason: string): Promise<AppResult | undefined> {
    this.tracking.fatal = undefined;
    const failed = this.target.release;
    const instances = this.tracking.instances();
    if (this.rollingBackFrom) {
      const why = `the rollback to release ${failed.number} failed too: ${reason}`;
      return { outcome: "failed", release: this.rollingBackFrom.number, reason: why, instances };
    }
    const previous = this.run.autoRollback
      ? rollbackTarget(this.run.releases, this.target.release)
      : undefined;
    if (!previous) {
      const why = this.run.autoRollback
        ? `${reason}; there is no earlier healthy release to roll back to`
        : reason;
      return { outcome: "failed", release: failed.number, reason: why, instances };
    }
    this.emit({ type: "rollback", app: this.app, from: failed.number, to: previous.number, reason });
    this.rollingBackFrom = failed;
    this.rollbackReason = reason;
    const environment = await this.options.resolveEnvironment(previous.spec);
    this.tracking.retarget({ spec: previous.spec, release: previous, environment });
    // The plan was for the failed release: the rollback places on whatever is offered.
    this.planned.clear();
    await this.saveProgress("rolling_back");
    return undefined;
  }

  private async finished(): Promise<AppResult> {
    await this.saveProgress("finished", true);
    const instances = this.tracking.instances();
    if (!this.rollingBackFrom) return { outcome: "deployed", release: this.target.release.number, instances };
    return {
      outcome: "rolled_back",
      release: this.rollingBackFrom.number,
      rolledBackTo: this.target.release.number,
      ...(this.rollbackReason === undefined ? {} : { reason: this.rollbackReason }),
      instances,
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

  private emit(event: DeployEvent): void {
    this.quiet.changed(this.options.now());
    this.options.emit(event);
  }

  // ---- nothing waits silently ----------------------------------------------------------------------------

  /** After a few quiet seconds the output says what the deploy waits for, and again while the wait lasts. */
  private reportWaiting(): void {
    const now = this.options.now();
    if (!this.quiet.due(now)) return;
    const view = {
      tracking: this.tracking,
      planned: this.planned,
      subscribed: this.subscribed,
      settled: this.subscribed && !this.reconciliation.holding(),
      ...(this.reconnectingUntil === undefined ? {} : { reconnectingUntil: this.reconnectingUntil }),
    };
    this.options.emit({ type: "waiting", app: this.app, for: describeWait(view, now) });
  }
}
