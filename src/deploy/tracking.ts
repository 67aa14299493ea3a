import type { TitanTask } from "../cluster/types.js";
import { type AppSpec, formatDuration } from "../manifest/index.js";
import { endsInstance, TaskStatusTracker } from "../mesos/task-status.js";
import type { TaskState, TaskStatus } from "../mesos/types/mesos.js";
import { terminalMessage } from "../observe/task-end.js";
import type { RunningTask } from "../placement/types.js";
import { rolloutLimits } from "../plan/rollout.js";
import type { Release } from "../state/types.js";
import type { DeployEvent } from "./events.js";
import { counts, nextActions, type RolloutDecision, type RolloutTask, type TaskPhase } from "./rollout.js";
import { parseTaskId } from "./task-id.js";

/** The release an app is being moved to, with its env already resolved (secrets included, never shown). */
export interface AppTarget {
  spec: AppSpec;
  release: Release;
  environment: Readonly<Record<string, string>>;
}

/** One task of the app as the deploy tracks it. */
export interface Tracked {
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

export type DoneInstances = Extract<DeployEvent, { type: "done" }>["instances"];

/** What the tracking needs from its surroundings; no I/O beyond the event sink. */
export interface TrackingContext {
  app: string;
  /** Desired instances in this region. */
  desired: number;
  /** Every release of the app, for the spec and digest behind a task id's release number. */
  releases: readonly Release[];
  now(): number;
  emit(event: DeployEvent): void;
  warn(line: string): void;
  /** A task of the target ended on its own: its instance wants a fresh placement and fresh offers. */
  instanceEnded(instance: number, reason: string): void;
}

/** A launch the master refuses (TASK_ERROR) is retried this often for one instance before the deploy fails. */
const MAX_REFUSALS = 3;
/** Launches that end the same way before they ever run, in a row, before the release stops with that reason. */
const MAX_SAME_LAUNCH_FAILURES = 3;
const LAUNCH_FAILURES: ReadonlySet<string> = new Set(["TASK_FAILED", "TASK_DROPPED", "TASK_ERROR"]);

/**
 * The app's tasks and what the rollout knows of them: status updates in (ordered as Mesos orders them), the
 * rollout's view, progress and deadlines out. No scheduler calls and no state store: the effect loop
 * (executor.ts) does those, so this can be driven by recorded updates in a test.
 */
export class Tracking {
  readonly tasks = new Map<string, Tracked>();
  /** Tasks asked about in reconciliation and not answered yet (unknown, never gone). */
  readonly unanswered = new Set<string>();
  readonly backoffUntil = new Map<number, number>();
  readonly firstLaunchAt = new Map<number, number>();
  readonly countingIds = new Set<string>();
  /** Instances of the target that have counted at least once: counting again after a crash is not progress. */
  readonly proven = new Set<number>();
  target: AppTarget;
  lastProgressAt: number;
  /** A reason the release cannot succeed (the master refuses its launches), set by an update. */
  fatal: string | undefined;
  /**
   * An instance of the target died after it had counted: the release has not proved itself, so the previous
   * release's counting tasks are no longer replaced (they are all that serves) until the outcome is known.
   */
  private failedAfterCounting = false;
  private readonly tracker = new TaskStatusTracker();
  private readonly incarnations = new Map<string, number>();
  private readonly failures = new Map<number, number>();
  /** TASK_ERRORs per instance since it last counted. */
  private readonly refusals = new Map<number, number>();
  /** Launches of the target that ended before they ever ran, by how they ended; cleared when one runs. */
  private readonly launchFailures = new Map<string, number>();
  private readonly digestOfRelease: Map<number, string>;

  constructor(
    private readonly ctx: TrackingContext,
    target: AppTarget,
  ) {
    this.target = target;
    this.digestOfRelease = new Map(ctx.releases.map((r) => [r.number, r.manifestDigest]));
    this.digestOfRelease.set(target.release.number, target.release.manifestDigest);
    this.lastProgressAt = ctx.now();
  }

  /** The tasks the cluster state showed, and launches a stopped run wrote ahead that it did not show. */
  adoptKnown(known: readonly TitanTask[], launchedBefore: readonly string[]): void {
    for (const task of known) {
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
    for (const taskId of launchedBefore) {
      const parts = parseTaskId(taskId);
      if (!parts || parts.app !== this.ctx.app || this.tasks.has(taskId)) continue;
      this.adopt(taskId, { ...parts, digest: undefined, state: "LAUNCHING", host: "", ports: [] });
    }
  }

  adopt(
    taskId: string,
    fields: Pick<Tracked, "instance" | "release" | "incarnation" | "digest" | "state" | "host" | "ports"> & {
      agentId?: string;
    },
  ): Tracked {
    const task: Tracked = {
      taskId,
      ...fields,
      since: this.ctx.now(),
      killSent: fields.state === "TASK_KILLING",
      launchedHere: false,
    };
    // A task found running has run for an unknown time: it counts at once (health permitting).
    if (fields.state === "TASK_RUNNING" && !this.specOf(task)?.health) task.healthySince = 0;
    this.tasks.set(taskId, task);
    this.noteIncarnation(fields.release, fields.instance, fields.incarnation);
    return task;
  }

  /** A launch this run sends. */
  launched(task: Tracked): void {
    this.tasks.set(task.taskId, task);
    this.noteIncarnation(task.release, task.instance, task.incarnation);
    // A proven instance that crashed is bounded by the progress deadline, not its healthy deadline.
    if (!this.firstLaunchAt.has(task.instance) && !this.proven.has(task.instance))
      this.firstLaunchAt.set(task.instance, task.since);
  }

  nextIncarnation(release: number, instance: number): number {
    return (this.incarnations.get(`${release}.${instance}`) ?? 0) + 1;
  }

  private noteIncarnation(release: number, instance: number, incarnation: number): void {
    const key = `${release}.${instance}`;
    this.incarnations.set(key, Math.max(this.incarnations.get(key) ?? 0, incarnation));
  }

  isCurrent(task: Tracked): boolean {
    const digest = task.digest ?? this.digestOfRelease.get(task.release);
    return digest === this.target.release.manifestDigest;
  }

  specOf(task: Tracked): AppSpec | undefined {
    if (this.isCurrent(task)) return this.target.spec;
    return this.ctx.releases.find((r) => r.number === task.release)?.spec;
  }

  // ---- status updates ----------------------------------------------------------------------------------

  /** One status update; returns nothing, reports through the context's events. */
  onStatus(status: TaskStatus): void {
    const taskId = status.task_id.value;
    const parts = parseTaskId(taskId);
    if (!parts || parts.app !== this.ctx.app) {
      this.ctx.warn(
        `the framework of ${this.ctx.app} reports a task titan did not launch: ${taskId}; left alone`,
      );
      return;
    }
    this.unanswered.delete(taskId);
    if (this.tracker.observe(status) !== "new") return;
    let task = this.tasks.get(taskId);
    if (!task) {
      if (endsInstance(status.state)) return;
      // Found by implicit reconciliation: a task of this app that the cluster state did not list.
      task = this.adopt(taskId, { ...parts, digest: undefined, state: status.state, host: "", ports: [] });
    }
    if (status.agent_id) task.agentId = status.agent_id.value;
    const before = task.state;
    task.state = status.state;
    if (status.state === "TASK_RUNNING") this.onRunning(task, status, before);
    else if (status.state === "TASK_UNREACHABLE") {
      task.healthySince = undefined;
      this.emitTask("unreachable", task);
    } else if (status.state === "TASK_KILLING") task.killSent = true;
    else if (endsInstance(status.state)) this.onTerminal(task, status, before);
  }

  private onRunning(task: Tracked, status: TaskStatus, before: Tracked["state"]): void {
    if (before !== "TASK_RUNNING") this.emitTask("running", task);
    if (this.isCurrent(task)) this.launchFailures.clear();
    const hasHealthCheck = this.specOf(task)?.health !== undefined;
    if (!hasHealthCheck || status.healthy === true) {
      if (task.healthySince !== undefined) return;
      // Found healthy by reconciliation: it has been healthy for an unknown time already.
      const reconciling = status.reason === "REASON_RECONCILIATION";
      task.healthySince = reconciling && !task.launchedHere ? 0 : this.ctx.now();
      if (hasHealthCheck) this.emitTask("healthy", task);
    } else if (status.healthy === false) {
      if (task.healthySince !== undefined || before !== "TASK_RUNNING") this.emitTask("unhealthy", task);
      task.healthySince = undefined;
    }
  }

  private onTerminal(task: Tracked, status: TaskStatus, before: Tracked["state"]): void {
    this.tasks.delete(task.taskId);
    const wasCounting = this.countingIds.delete(task.taskId);
    this.ctx.emit({
      type: endEventType(status.state),
      app: this.ctx.app,
      task: task.taskId,
      instance: task.instance,
      state: status.state,
      ...messageOf(status, task.killSent),
    });
    if (task.killSent || !this.isCurrent(task)) return;
    if (wasCounting) this.failedAfterCounting = true;
    const state = status.state.replace(/^TASK_/, "").toLowerCase();
    this.ctx.instanceEnded(task.instance, `its task ${task.taskId} ended (${state})`);
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
    if (this.noteLaunchFailure(task, status, before)) return;
    // A current task died on its own: relaunch with the restart backoff.
    const restart = this.target.spec.restart;
    const failures = (this.failures.get(task.instance) ?? 0) + 1;
    this.failures.set(task.instance, failures);
    const delay = Math.min(restart.maxDelayMs, restart.backoffMs * restart.factor ** (failures - 1));
    this.backoffUntil.set(task.instance, this.ctx.now() + delay);
  }

  /**
   * A launch that never ran and that the agent ended the same way as the two before it (a missing executable, a fetch that cannot
   * work, a user the agents do not have) will fail every time: the release stops with the agent's message instead
   * of relaunching until its deadline. Returns whether it did.
   */
  private noteLaunchFailure(task: Tracked, status: TaskStatus, before: Tracked["state"]): boolean {
    if (before === "TASK_RUNNING" || !LAUNCH_FAILURES.has(status.state)) return false;
    // The master's own drops and refusals (a stale offer, an over-asked one) are cured by another offer and are
    // counted apart (refusals); what the agent or executor says about a launch is what repeats.
    if (status.source === "SOURCE_MASTER") return false;
    const how = `${status.state} ${status.reason ?? ""} ${status.message ?? ""}`;
    const times = (this.launchFailures.get(how) ?? 0) + 1;
    this.launchFailures.set(how, times);
    if (times < MAX_SAME_LAUNCH_FAILURES) return false;
    const state = status.state.replace(/^TASK_/, "").toLowerCase();
    this.fatal = `${times} launches of ${this.ctx.app} failed the same way before running (${state}): ${status.message ?? status.reason ?? status.state} (last: ${task.taskId})`;
    return true;
  }

  private emitTask(type: "running" | "healthy" | "unhealthy" | "unreachable", task: Tracked): void {
    this.ctx.emit({ type, app: this.ctx.app, task: task.taskId, instance: task.instance });
  }

  // ---- the rollout -------------------------------------------------------------------------------------

  decide(): RolloutDecision {
    const spec = this.target.spec;
    return nextActions({
      desired: this.ctx.desired,
      ...rolloutLimits(spec, this.ctx.desired),
      minHealthyMs: spec.update.minHealthyTimeMs,
      now: this.ctx.now(),
      tasks: [...this.tasks.values()].map((t) => this.rolloutTask(t)),
      backoffUntil: this.backoffUntil,
      keepPrevious: this.failedAfterCounting,
    });
  }

  private rolloutTask(task: Tracked): RolloutTask {
    return {
      taskId: task.taskId,
      instance: task.instance,
      incarnation: task.incarnation,
      current: this.isCurrent(task),
      phase: this.unanswered.has(task.taskId) ? "unknown" : phaseOf(task),
      ...(task.healthySince === undefined ? {} : { healthySince: task.healthySince }),
    };
  }

  /**
   * An instance that counts for the first time is progress; the progress deadline runs from the last one. The same
   * instance counting again after a crash is not: a release that warms up and then fails must run into the deadline
   * (and its restart backoff keeps growing) instead of looping for ever.
   */
  noteProgress(): void {
    const now = this.ctx.now();
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

  deadlineFailure(): string | undefined {
    const now = this.ctx.now();
    const update = this.target.spec.update;
    const within = `within healthy_deadline ${formatDuration(update.healthyDeadlineMs)}`;
    for (const task of this.tasks.values()) {
      if (!this.isCurrent(task) || task.killSent || this.countingIds.has(task.taskId)) continue;
      if (now - task.since > update.healthyDeadlineMs)
        return `instance ${task.instance} (${task.taskId}) was not healthy ${within}`;
    }
    // Relaunches of an instance (crashes, refused or dropped launches) run against its first launch's deadline.
    for (const [instance, since] of this.firstLaunchAt) {
      if (instance < this.ctx.desired && now - since > update.healthyDeadlineMs)
        return `instance ${instance} was not healthy ${within} of its first launch`;
    }
    if (update.progressDeadlineMs > 0 && now - this.lastProgressAt > update.progressDeadlineMs)
      return `no instance became healthy within progress_deadline ${formatDuration(update.progressDeadlineMs)}`;
    return undefined;
  }

  /** The rollback's target: counting, deadlines and backoff start over; every task's deadline runs from now. */
  retarget(target: AppTarget): void {
    this.target = target;
    this.digestOfRelease.set(target.release.number, target.release.manifestDigest);
    this.backoffUntil.clear();
    this.failures.clear();
    this.refusals.clear();
    this.launchFailures.clear();
    this.firstLaunchAt.clear();
    this.countingIds.clear();
    this.proven.clear();
    this.failedAfterCounting = false;
    const now = this.ctx.now();
    this.lastProgressAt = now;
    for (const task of this.tasks.values()) task.since = now;
  }

  instances(): DoneInstances {
    return [...this.tasks.values()]
      .filter((t) => this.isCurrent(t) && !t.killSent)
      .sort((a, b) => a.instance - b.instance)
      .map((t) => ({ instance: t.instance, task: t.taskId, host: t.host, ports: t.ports }));
  }

  /** The app's tasks that hold resources on a known agent, as the placement engine counts them. */
  runningTasks(): RunningTask[] {
    return [...this.tasks.values()].flatMap((t) =>
      t.agentId === undefined
        ? []
        : [
            {
              app: this.ctx.app,
              agentId: t.agentId,
              instance: t.instance,
              demand: this.target.spec.resources,
              portCount: t.ports.length,
            },
          ],
    );
  }
}

function endEventType(state: TaskState): "killed" | "finished" | "failed" | "lost" {
  if (state === "TASK_KILLED") return "killed";
  if (state === "TASK_FINISHED") return "finished";
  if (state === "TASK_FAILED" || state === "TASK_ERROR") return "failed";
  return "lost";
}

function phaseOf(task: Tracked): TaskPhase {
  if (task.killSent || task.state === "TASK_KILLING") return "killing";
  if (task.state === "TASK_UNREACHABLE") return "unreachable";
  if (task.state === "TASK_RUNNING") return "running";
  return "starting";
}

/** What ended a task, in words: a health-check kill says so rather than echoing the executor's exit. */
function messageOf(status: TaskStatus, killSent: boolean): { message?: string } {
  const message = terminalMessage(status, killSent);
  return message === undefined ? {} : { message };
}
