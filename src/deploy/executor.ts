import type { TitanTask } from "../cluster/types.js";
import type { AppSpec } from "../manifest/index.js";
import type { MasterCluster } from "../mesos/leader.js";
import { DEFAULT_SESSION_TIMINGS, type SessionEvent, type SessionTimings } from "../mesos/session.js";
import type { CheckedTask } from "../observe/check-output.js";
import { desiredInstances } from "../plan/regions.js";
import type { DeployProgress, Release, StateStore } from "../state/types.js";
import { announcing, isAnnouncement } from "./announced.js";
import { type CallSink, type SchedulerCall, sessionCalls } from "./calls.js";
import { DetachedAccepts } from "./detached-accepts.js";
import { type EngineEvent, type LoopEvent, type ReactContext, react } from "./engine.js";
import { type EngineSettings, type EngineState, initialState, type Reaction } from "./engine-state.js";
import { evacuating } from "./evacuation.js";
import { type EventQueue, queued, withinMs } from "./event-queue.js";
import type { DeployEvent, DeployEventSink, DeployOutcome } from "./events.js";
import type { FailureCause } from "./failure.js";
import { offeredWithoutGpus, wantsGpuAgents } from "./gpu-agents.js";
import type { PlannedAgent } from "./offer-plan.js";
import { openSession } from "./open-session.js";
import { deployPlan, type PlanCluster, rollbackPlan } from "./replan.js";
import { type Finish, step } from "./step.js";
import type { Containerizer } from "./task-spec.js";
import {
  disruptionLedger,
  doneInstances,
  isCurrent,
  recordedAgents,
  recordedTaskIds,
  sameTaskIds,
} from "./tracked-view.js";
import {
  type AppTarget,
  type DoneInstances,
  incarnationFloor,
  startTracking,
  type TrackedInstances,
  track,
} from "./tracking.js";
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
  /**
   * Whether the deploy still holds the app's lock, asked before it takes its framework back from another
   * subscriber: a deploy whose lock was taken over (--force-unlock) lets the new holder have the framework.
   */
  mayRetake?: () => Promise<boolean>;
  /** Reads what a task's health check last said, for a task its executor killed for failing it. */
  checkOutput?: (task: CheckedTask, signal?: AbortSignal) => Promise<string | undefined>;
}

/** How long a finishing deploy waits for the health check output it is still reading. */
const CHECK_OUTPUT_WAIT_MS = 3000;

export interface AppRun {
  target: AppTarget;
  /** The app's non-terminal tasks as the cluster state showed them before the deploy. */
  known: readonly TitanTask[];
  /** Every release of the app, for the digest behind a task id's release number and the rollback target. */
  releases: readonly Release[];
  autoRollback: boolean;
  /** Where the plan put each instance to launch: the deploy launches it there while that agent offers room. */
  planned?: ReadonlyMap<number, PlannedAgent>;
  /** The cluster state the plan was made from, for re-placing the rest of the rollout when reality diverges. */
  cluster?: PlanCluster;
  /** Agents to empty (`titan drain`, or scheduled for maintenance): their instances move elsewhere, gated. */
  evacuate?: readonly string[];
  /** `--override-disruption`: replacements do not wait for the app's `max_per_hour`. */
  unpaced?: boolean;
  /** The command that finishes a rollback this run starts if it stops halfway (`titan rollback web --context prod`). */
  finishRollback?: string;
}

export type AppResult =
  | {
      outcome: DeployOutcome;
      release: number;
      reason?: string;
      /** Of what the release failed, when it failed: its health gates, room in the offers, or its launches. */
      cause?: FailureCause;
      rolledBackTo?: number;
      instances: DoneInstances;
    }
  | {
      outcome: "interrupted" | "timed_out";
      release: number;
      reason: string;
      /** Stopped while rolling `release` back after it failed: the release it was rolling back to, and why. */
      rollingBack?: { to: number; reason: string };
    };

const FINAL_SUPPRESS_MS = 2000;

/**
 * How often a deploy takes its framework back from another subscriber. Bounded: a subscriber that keeps taking it
 * (a titan that does not honour the lock) ends the deploy with the master's message instead of a tug of war.
 */
const RETAKE_FAILOVERS = 3;

/**
 * The effect loop of a deploy of one app as its own Mesos framework. Each event from the injected source (the
 * scheduler session's events and timer ticks) goes through the engine's reducer (`react`), then the step function
 * (`step`) decides what to do; this loop only sends the calls they return to the injected sink, writes the state
 * store (framework id, write-ahead launches, progress) and reports. Never tears the framework down: closing the
 * session leaves every task running for the failover timeout.
 */
export class AppDeployment {
  private state: EngineState;
  private progress: DeployProgress;
  private frameworkId: string | undefined;
  private readonly checkReads = new Set<Promise<void>>();
  private readonly settings: EngineSettings;
  private readonly quiet = new QuietTimer();
  /** The framework subscribes with GPU_RESOURCES (src/deploy/gpu-agents.ts says when). */
  private readonly gpuAgents: boolean;

  constructor(
    private readonly run: AppRun,
    private readonly options: ExecutorOptions,
    previous: DeployProgress | undefined,
  ) {
    const now = options.now();
    this.quiet.changed(now);
    const tracked = startTracking({
      app: run.target.spec.name,
      desired: options.desired,
      releases: run.releases,
      target: run.target,
      known: run.known,
      // Launches a stopped run sent (or was about to send) that the cluster state did not show: reconciled too.
      launchedBefore: previous?.launched ?? [],
      ...(previous?.agents === undefined ? {} : { agentsBefore: previous.agents }),
      ...(previous?.incarnations === undefined ? {} : { incarnationFloor: previous.incarnations }),
      ...(previous?.disrupted === undefined ? {} : { disruptedBefore: previous.disrupted }),
      ...(previous?.disruptedTasks === undefined ? {} : { disruptedTasksBefore: previous.disruptedTasks }),
      ...(run.unpaced === true ? { budgeted: false } : {}),
      now,
    });
    this.gpuAgents = wantsGpuAgents(run.target.spec.resources.gpus > 0, run.planned, run.cluster);
    // Re-planning must not count on agents the master will not offer this framework.
    const cluster =
      run.cluster === undefined || this.gpuAgents ? run.cluster : offeredWithoutGpus(run.cluster);
    const start = initialState(tracked, deployPlan(run.planned ?? new Map(), cluster));
    const evacuation = evacuating(start, run.evacuate ?? [], now);
    this.state = evacuation.state;
    this.settings = {
      seed: options.seed,
      region: options.region,
      ...(options.containerizer === undefined ? {} : { containerizer: options.containerizer }),
      autoRollback: run.autoRollback,
      reconnectDeadlineMs:
        options.sessionTimings?.reconnectDeadlineMs ?? DEFAULT_SESSION_TIMINGS.reconnectDeadlineMs,
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    };
    this.progress = {
      release: run.target.release.number,
      phase: "deploying",
      launched: recordedTaskIds(tracked),
      incarnations: incarnationFloor(tracked),
      ...disruptionLedger(tracked),
      updatedAt: now,
    };
    for (const task of tracked.tasks.values()) {
      const { taskId, instance, state } = task;
      const current = isCurrent(tracked, task);
      this.emit({ type: "existing", app: tracked.app, task: taskId, instance, state, current });
    }
    for (const event of evacuation.events) this.emit(event);
  }

  /** The current engine state (for a supervisor or a test that drives the loop). */
  get engineState(): EngineState {
    return this.state;
  }

  /** Subscribes as the app's framework and runs the loop over its session. */
  async execute(): Promise<AppResult> {
    const app = this.run.target.spec.name;
    const frameworkId = await this.options.store.frameworkId(app);
    // The deploy holds the app's lock: a supervisor that subscribed before it saw the lock took the framework over
    // without a right to it (it steps aside once failed over in turn), so the deploy takes the framework back.
    const session = openSession(this.options, app, frameworkId, this.gpuAgents, RETAKE_FAILOVERS);
    const { queue, pumped } = queued(session.events());
    try {
      const ticks = ticking(queue, this.options.tickMs ?? 100, this.options.signal);
      return await this.drive(ticks, sessionCalls(session, this.options.log, this.options.signal));
    } finally {
      // Bounded: a master that does not answer must not hold an interrupted titan (and its lock) for 75 s.
      if (session.subscribed && !this.state.link.suppressed)
        await withinMs(session.suppress(), FINAL_SUPPRESS_MS).catch(() => undefined);
      session.close();
      await pumped;
    }
  }

  /**
   * The loop: event → reducer → step → calls, until the release is done, failed, interrupted or out of time. ACCEPTs
   * go to the sink without holding the loop up; what the master answered comes back as an event.
   */
  async drive(events: AsyncIterable<LoopEvent>, sink: CallSink): Promise<AppResult> {
    const { options } = this;
    const calls = new DetachedAccepts(
      sink,
      (call) => this.failed(call),
      (call) => this.answered({ type: "ACCEPTED", call }),
    );
    for await (const event of events) {
      calls.check();
      const stop = this.stopReason();
      if (stop !== undefined) return stop;
      await this.apply(react(this.state, event, this.context()), calls);
      await this.reportWaiting();
      if (!this.state.link.subscribed || options.signal.aborted) continue;
      const stepped = step(this.state, options.now(), this.settings);
      await this.apply(stepped, calls);
      if (stepped.finish === undefined) continue;
      const result = await this.finish(stepped.finish);
      if (result !== undefined) return result;
    }
    return (await this.stopReason()) ?? this.stopped("interrupted", "the scheduler session ended");
  }

  private stopReason(): Promise<AppResult> | undefined {
    if (this.options.signal.aborted) return this.stopped("interrupted", "interrupted");
    if (this.settings.deadline !== undefined && this.options.now() > this.settings.deadline)
      return this.stopped("timed_out", "the --timeout passed");
    return undefined;
  }

  private context(): ReactContext {
    return { now: this.options.now(), settings: this.settings, stopping: this.options.signal.aborted };
  }

  /**
   * Takes the next state, reports, writes ahead, then sends each call; a call that fails goes back as an event.
   * A launch is said as its ACCEPT leaves and a stop once its KILL went out: a write-ahead that fails (the store
   * lost) or a KILL that did not go through leaves no line about a call that was never made.
   */
  private async apply(reaction: Reaction, calls: CallSink): Promise<void> {
    const before = this.state.tracked;
    this.state = reaction.state;
    this.report({ events: reaction.events.filter((e) => !isAnnouncement(e)), warnings: reaction.warnings });
    this.readCheckOutputs(reaction.events, before);
    if (reaction.frameworkId !== undefined) {
      this.frameworkId = reaction.frameworkId;
      await this.options.store.setFrameworkId(this.state.tracked.app, reaction.frameworkId);
    }
    await this.recordTrackedTasks(before);
    const launched = reaction.calls.flatMap((c) =>
      c.kind === "accept" ? c.launches.map((l) => l.tracked.taskId) : [],
    );
    const charged = this.state.tracked.disrupted !== before.disrupted;
    if (launched.length > 0 || charged) {
      // Write-ahead: the intent is durable before any ACCEPT leaves, and a replacement's KILL is counted against
      // the disruption budget (with the task it is for) before it does.
      this.progress = {
        ...this.progress,
        launched: [...new Set([...this.progress.launched, ...launched])],
        incarnations: incarnationFloor(this.state.tracked),
      };
      await this.saveProgress(this.state.rollingBack ? "rolling_back" : "deploying");
    }
    for (const call of reaction.calls) {
      const said = announcing(call, reaction.events);
      if (call.kind === "accept") for (const event of said) this.emit(event);
      if (!(await calls.send(call))) this.failed(call);
      else if (call.kind === "kill") for (const event of said) this.emit(event);
    }
  }

  /** The record follows the app's tracked tasks (recordedTaskIds): ended ones leave it, found ones join it. */
  private async recordTrackedTasks(before: TrackedInstances): Promise<void> {
    if (this.state.tracked.tasks === before.tasks) return;
    const launched = recordedTaskIds(this.state.tracked);
    if (sameTaskIds(launched, this.progress.launched)) return;
    this.progress = { ...this.progress, launched };
    await this.saveProgress(
      this.state.rollingBack ? "rolling_back" : "deploying",
      false,
      this.progress.waiting,
    );
  }

  /** For each task its executor killed for its health check, what the check last said, reported when read. */
  private readCheckOutputs(events: readonly DeployEvent[], before: TrackedInstances): void {
    const read = this.options.checkOutput;
    const frameworkId = this.frameworkId;
    if (read === undefined || frameworkId === undefined) return;
    for (const event of events) {
      if (event.type !== "killed" || event.cause !== "health_check") continue;
      const agentId = before.tasks.get(event.task)?.agentId;
      if (agentId === undefined) continue;
      const { app, task, instance } = event;
      const reading = read({ taskId: task, agentId, frameworkId }, this.options.signal).then((output) => {
        if (output !== undefined) this.emit({ type: "check_output", app, task, instance, output });
      });
      this.checkReads.add(reading);
      void reading.finally(() => this.checkReads.delete(reading));
    }
  }

  /** Lets the reads still going finish, bounded, so their output comes before the deploy's outcome. */
  private async settleCheckReads(): Promise<void> {
    if (this.checkReads.size === 0) return;
    const all = Promise.all(this.checkReads).then(() => undefined);
    await withinMs(all, CHECK_OUTPUT_WAIT_MS).catch(() => undefined);
  }

  private failed(call: SchedulerCall): void {
    this.answered({ type: "CALL_FAILED", call });
  }

  /** What became of a call, as the master answered it (or did not), taken in between the loop's turns. */
  private answered(event: EngineEvent): void {
    const reaction = react(this.state, event, this.context());
    this.state = reaction.state;
    this.report(reaction);
  }

  private report(reaction: Pick<Reaction, "events" | "warnings">): void {
    for (const event of reaction.events) this.emit(event);
    for (const line of reaction.warnings) this.options.warn(line);
  }

  /** Tasks cut off with their agents outlive the deploy: they may still run, and nothing can stop them yet. */
  private warnOfUnreachable(): void {
    const { tracked } = this.state;
    const cutOff = [...tracked.tasks.values()].filter((t) => t.state === "TASK_UNREACHABLE");
    if (cutOff.length === 0) return;
    this.options.warn(
      `${tracked.app}: ${cutOff.length} task(s) unreachable with their agents (${cutOff.map((t) => t.taskId).join(", ")}) may still run; their instances were replaced, and they are stopped if their agents return while \`titan supervise\` runs, or at the next deploy`,
    );
  }

  private async finish(finish: Finish): Promise<AppResult | undefined> {
    await this.settleCheckReads();
    const { tracked, rollingBack } = this.state;
    switch (finish.kind) {
      case "failed":
        return {
          outcome: "failed",
          release: finish.release,
          reason: finish.reason,
          cause: finish.cause,
          instances: doneInstances(tracked),
        };
      case "done": {
        await this.saveProgress("finished", true);
        this.warnOfUnreachable();
        const instances = doneInstances(tracked);
        const release = tracked.target.release.number;
        if (!rollingBack) return { outcome: "deployed", release, instances };
        const { from, reason, cause } = rollingBack;
        return {
          outcome: "rolled_back",
          release: from.number,
          rolledBackTo: release,
          reason,
          cause,
          instances,
        };
      }
      case "rollback": {
        const from = tracked.target.release;
        this.emit({
          type: "rollback",
          app: tracked.app,
          from: from.number,
          to: finish.to.number,
          reason: finish.reason,
        });
        // The release rolled back to runs as many instances as it did, not the failed release's count.
        const desired = desiredInstances(finish.to.spec, this.options.region);
        const environment = desired > 0 ? await this.options.resolveEnvironment(finish.to.spec) : {};
        const target = { spec: finish.to.spec, release: finish.to, environment };
        const now = this.options.now();
        const retargeted = track(tracked, { type: "retarget", target, desired }, now).tracked;
        const plan = rollbackPlan(this.state.plan, retargeted, this.settings.seed, now);
        const rolling = { from, reason: finish.reason, cause: finish.cause };
        const offerRounds = { ...this.state.offerRounds, short: undefined };
        this.state = { ...this.state, tracked: retargeted, plan, rollingBack: rolling, offerRounds };
        await this.saveProgress("rolling_back");
        return undefined;
      }
    }
  }

  private async stopped(outcome: "interrupted" | "timed_out", reason: string): Promise<AppResult> {
    await this.saveProgress("interrupted");
    const target = this.state.tracked.target.release.number;
    const rolling = this.state.rollingBack;
    if (rolling === undefined) return { outcome, release: target, reason };
    return {
      outcome,
      release: rolling.from.number,
      reason,
      rollingBack: { to: target, reason: rolling.reason },
    };
  }

  private async saveProgress(
    phase: DeployProgress["phase"],
    settled = false,
    waiting?: DeployProgress["waiting"],
  ): Promise<void> {
    const {
      waiting: _said,
      rollback: _was,
      disrupted: _ledger,
      disruptedTasks: _charges,
      ...rest
    } = this.progress;
    const rolling = this.state.rollingBack;
    const finish = this.run.finishRollback;
    const launched = settled ? recordedTaskIds(this.state.tracked) : this.progress.launched;
    this.progress = {
      ...rest,
      release: this.state.tracked.target.release.number,
      phase,
      launched,
      agents: recordedAgents(this.state.tracked, launched, this.progress.agents),
      ...disruptionLedger(this.state.tracked),
      updatedAt: this.options.now(),
      ...(waiting === undefined ? {} : { waiting }),
      ...(rolling === undefined || phase === "finished"
        ? {}
        : {
            rollback: {
              from: rolling.from.number,
              to: this.state.tracked.target.release.number,
              ...(finish === undefined ? {} : { finish }),
            },
          }),
    };
    await this.options.store.saveProgress(this.state.tracked.app, this.progress);
  }

  private emit(event: DeployEvent): void {
    this.quiet.changed(this.options.now());
    this.options.emit(event);
  }

  /**
   * After a few quiet seconds the output says what the deploy waits for, and again while the wait lasts; the
   * progress record keeps it for `titan status` in another terminal or on a teammate's machine.
   */
  private async reportWaiting(): Promise<void> {
    const now = this.options.now();
    if (!this.quiet.due(now)) return;
    const wait = describeWait(this.state, now);
    this.options.emit({ type: "waiting", app: this.state.tracked.app, for: wait });
    await this.saveProgress(this.state.rollingBack ? "rolling_back" : "deploying", false, {
      for: wait,
      at: now,
    });
  }
}

/** The session's events as the loop reads them: a TICK whenever `tickMs` pass without one (or on abort). */
export async function* ticking(
  queue: EventQueue<SessionEvent>,
  tickMs: number,
  signal: AbortSignal,
): AsyncGenerator<LoopEvent> {
  for (;;) {
    const event = await queue.next(tickMs, signal);
    if (event === "end") return;
    yield event ?? { type: "TICK" };
  }
}
