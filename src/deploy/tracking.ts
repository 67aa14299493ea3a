import type { TitanTask } from "../cluster/types.js";
import type { AppSpec } from "../manifest/index.js";
import { endsInstance, orderStatus, type StatusOrder } from "../mesos/task-status.js";
import type { TaskState, TaskStatus } from "../mesos/types/mesos.js";
import { killedByHealthCheck, terminalMessage } from "../observe/task-end.js";
import type { Release } from "../state/types.js";
import type { DeployEvent } from "./events.js";
import { inOneCopy, put, without } from "./immutable.js";
import { type IncarnationFloor, incarnationKey } from "./incarnations.js";
import { parseTaskId } from "./task-id.js";
import { isCurrent, specOf, tracksProgress } from "./tracked-view.js";

/** The release an app is being moved to, with its env already resolved (secrets included, never shown). */
export interface AppTarget {
  spec: AppSpec;
  release: Release;
  environment: Readonly<Record<string, string>>;
}

/** One task of the app as the deploy tracks it. Never changed in place: the reducer returns a new one. */
export interface Tracked {
  readonly taskId: string;
  readonly instance: number;
  readonly release: number;
  readonly incarnation: number;
  readonly digest: string | undefined;
  readonly state: TaskState | "LAUNCHING";
  /** Since when it runs healthy (or runs, without a health check); 0 when found so, for an unknown time. */
  readonly healthySince?: number | undefined;
  readonly agentId?: string | undefined;
  readonly host: string;
  readonly ports: readonly number[];
  /**
   * When this run adopted it, or when the master took its launch (answered its ACCEPT, reported on it, or the ACCEPT
   * was given up to reconciliation); the healthy deadline runs from here.
   */
  readonly since: number;
  /**
   * Launched here and its ACCEPT not answered yet: the launch is in flight, and no deadline of the release runs for
   * it until the master takes it or the call's deadline gives it up (reconciliation then says what became of it).
   */
  readonly accepting?: boolean | undefined;
  readonly killSent: boolean;
  /** Since when the master reports it unreachable (it may still run). */
  readonly unreachableSince?: number | undefined;
  /** When this run last sent its KILL: a kill with no answer is sent again (`killsToRetry`). */
  readonly killSentAt?: number | undefined;
  /**
   * When its KILL was counted against the disruption budget (by this run, or by an earlier one the progress record
   * names): it is never counted again, and a KILL the master refused before any reached the task gives it back.
   */
  readonly disruptedAt?: number | undefined;
  /** Launched by this run (rather than found running). */
  readonly launchedHere: boolean;
}

/**
 * Everything a deploy knows of an app's tasks, as an immutable value: `track` returns the next one for each event
 * (unchanged collections are shared), so a supervisor or a test can keep, compare and replay them.
 */
export interface TrackedInstances {
  readonly app: string;
  /** Desired instances in this region. */
  readonly desired: number;
  /** Every release of the app, for the spec and digest behind a task id's release number. */
  readonly releases: readonly Release[];
  readonly target: AppTarget;
  readonly digestOfRelease: ReadonlyMap<number, string>;
  /** The app's non-terminal tasks by task id. */
  readonly tasks: ReadonlyMap<string, Tracked>;
  /** Per task id, what its status updates so far decide about the next (Mesos ordering, duplicates). */
  readonly statuses: ReadonlyMap<string, StatusOrder>;
  /** Tasks asked about in reconciliation and not answered yet (unknown, never gone). */
  readonly unanswered: ReadonlySet<string>;
  /** Instances held back by the restart backoff, until when. */
  readonly backoffUntil: ReadonlyMap<number, number>;
  /** Per instance of the target not proven yet: its first launch (its relaunches run against that deadline). */
  readonly firstLaunchAt: ReadonlyMap<number, number>;
  /** Tasks of the target that count (healthy for min_healthy_time). */
  readonly counting: ReadonlySet<string>;
  /** Instances of the target that have counted at least once. */
  readonly proven: ReadonlySet<number>;
  /**
   * Instances whose counting task of the target ended on its own (crashed, or lost with its agent): one of theirs
   * counting again is not progress. A task that replaces a counting one titan stopped (a move) is.
   */
  readonly crashedAfterCounting: ReadonlySet<number>;
  /** Highest incarnation seen per `<release>.<instance>`. */
  readonly incarnations: ReadonlyMap<string, number>;
  /** Consecutive failures per instance, for the restart backoff (a long run starts the count over). */
  readonly failures: ReadonlyMap<number, number>;
  /** How each instance's last task ended on its own (what its relaunch follows). */
  readonly lastEnd: ReadonlyMap<number, InstanceEnd>;
  /** TASK_ERRORs per instance since it last counted. */
  readonly refusals: ReadonlyMap<number, number>;
  /** Launches of the target that ended before they ever ran, by how they ended; cleared when one runs. */
  readonly launchFailures: ReadonlyMap<string, number>;
  /** Instances of the target with a task that reached TASK_RUNNING: the app itself ran there. */
  readonly ran: ReadonlySet<number>;
  /** Per instance of the target, how its last launch ended before it ever ran, for saying why it never did. */
  readonly launchEnds: ReadonlyMap<number, LaunchEnd>;
  readonly lastProgressAt: number;
  /** A reason the release cannot succeed (the master refuses its launches), set by an update. */
  readonly fatal: string | undefined;
  /**
   * An instance of the target died after it had counted: the release has not proved itself, so the previous
   * release's counting tasks are no longer replaced (they are all that serves) until the outcome is known.
   */
  readonly failedAfterCounting: boolean;
  /**
   * Agents being emptied (drained, or asked back by the master's inverse offers): the rollout replaces a task there
   * like one of an older release, and nothing new is placed there.
   */
  readonly leaving: ReadonlySet<string>;
  /**
   * When running instances were taken down on purpose (a KILL of a replaced task) within the last hour, oldest
   * first, earlier commands' included: what the disruption budget counts.
   */
  readonly disrupted: readonly number[];
  /** Whether the disruption budget paces the rollout: not once it rolls back (restoring is never held). */
  readonly budgeted: boolean;
}

/** How a launch ended before its task ever ran. */
export interface LaunchEnd {
  /** `web.1.0.3 ended TASK_DROPPED before it ran (Task launched with invalid offers)`. */
  readonly text: string;
  /** The cluster lost or dropped it (no agent ran it), rather than refusing or failing it. */
  readonly lost: boolean;
}

/** How a task ended without titan killing it. */
export interface InstanceEnd {
  readonly state: TaskState;
  readonly message?: string;
  /** Its executor killed it for failing its health check. */
  readonly healthCheck?: true;
}

/** What changes the tracked instances: the master's updates, and what the deploy itself did or decided. */
export type TrackingEvent =
  | { type: "status"; status: TaskStatus }
  /** ACCEPTs about to be sent (written ahead): their tasks are tracked from now, in flight. */
  | { type: "launched"; tasks: readonly Tracked[] }
  /** The master answered the ACCEPT of these tasks: it took their launch. */
  | { type: "taken"; taskIds: readonly string[] }
  /** Several updates at once, in order (a burst of reconciliation answers): one copy of each collection. */
  | { type: "statuses"; statuses: readonly TaskStatus[] }
  /** `disruption`: the task ran and is replaced, which the disruption budget counts (not sent again). */
  | { type: "kill_sent"; taskId: string; disruption?: boolean }
  /** A KILL did not go through: the next step decides it again, and counts it then, not twice. */
  | { type: "kill_failed"; taskId: string }
  /** Reconciliation asked about exactly these tasks: they are unanswered until the master reports them. */
  | { type: "asked"; taskIds: readonly string[] }
  /**
   * Tasks to ask the master about: launches whose ACCEPT may not have reached it (given up), or that it took and
   * reported nothing of since. Unanswered until it does.
   */
  | { type: "unsure"; taskIds: readonly string[] }
  /** Time passed: tasks that count now are progress. */
  | { type: "progress" }
  /** Every task was answered after a hold: that wait does not eat the progress deadline. */
  | { type: "reconciled" }
  /** The rollback's target: counting, deadlines and backoff start over; every task's deadline runs from now. */
  | { type: "retarget"; target: AppTarget; desired: number }
  /** The fatal reason was acted on (failed or rolled back). */
  | { type: "failure_taken" }
  /** These agents are to be emptied from now on. */
  | { type: "leave"; agentIds: readonly string[] }
  /** The rollout waits for the disruption budget: that wait does not eat the progress deadline. */
  | { type: "budget_wait" }
  /**
   * The rollout waits only for tasks it killed to end: that wait does not eat the progress deadline either, and an
   * instance waiting for their room gets a fresh healthy deadline at its next launch.
   */
  | { type: "kills_wait" };

/** An instance of the target whose task ended on its own: it wants a fresh placement and fresh offers. */
export interface EndedInstance {
  instance: number;
  reason: string;
}

export interface TrackingResult {
  tracked: TrackedInstances;
  /** What to report (task transitions). */
  events: DeployEvent[];
  warnings: string[];
  ended: EndedInstance[];
}

export type DoneInstances = Extract<DeployEvent, { type: "done" }>["instances"];

/** A launch the master refuses (TASK_ERROR) is retried this often for one instance before the deploy fails. */
const MAX_REFUSALS = 3;
/** Launches that end the same way before they ever run, in a row, before the release stops with that reason. */
const MAX_SAME_LAUNCH_FAILURES = 3;
const LAUNCH_FAILURES: ReadonlySet<string> = new Set(["TASK_FAILED", "TASK_DROPPED", "TASK_ERROR"]);

type Draft = { -readonly [K in keyof TrackedInstances]: TrackedInstances[K] };
type Output = Omit<TrackingResult, "tracked">;

export interface TrackingStart {
  app: string;
  desired: number;
  releases: readonly Release[];
  target: AppTarget;
  /** The app's non-terminal tasks as the cluster state showed them. */
  known: readonly TitanTask[];
  /** Launches a stopped run wrote ahead: those the cluster state did not show are tracked (and reconciled) too. */
  launchedBefore: readonly string[];
  /** The agent of each of them the record kept (`DeployProgress.agents`): reconciliation names it. */
  agentsBefore?: Readonly<Record<string, string>>;
  /** The highest incarnation the app ever launched per `release.instance`: new task ids go above it. */
  incarnationFloor?: IncarnationFloor;
  now: number;
  /** Agents to empty from the start (`titan drain`, machines scheduled for maintenance). */
  leaving?: readonly string[];
  /** When earlier runs took running instances down on purpose (the progress record's `disrupted`). */
  disruptedBefore?: readonly number[];
  /** Which task each of those charges is for, while it lives (the progress record's `disruptedTasks`). */
  disruptedTasksBefore?: Readonly<Record<string, number>>;
  /** false: the disruption budget does not pace this rollout (`--override-disruption`). */
  budgeted?: boolean;
}

/** The tracked instances a deploy starts from. */
export function startTracking(start: TrackingStart): TrackedInstances {
  return inOneCopy(() => startOnce(start));
}

function startOnce(start: TrackingStart): TrackedInstances {
  const digests = new Map(start.releases.map((r) => [r.number, r.manifestDigest] as const));
  digests.set(start.target.release.number, start.target.release.manifestDigest);
  const draft: Draft = {
    app: start.app,
    desired: start.desired,
    releases: start.releases,
    target: start.target,
    digestOfRelease: digests,
    tasks: new Map(),
    statuses: new Map(),
    unanswered: new Set(),
    backoffUntil: new Map(),
    firstLaunchAt: new Map(),
    counting: new Set(),
    proven: new Set(),
    crashedAfterCounting: new Set(),
    incarnations: new Map(Object.entries(start.incarnationFloor ?? {})),
    failures: new Map(),
    lastEnd: new Map(),
    refusals: new Map(),
    launchFailures: new Map(),
    ran: new Set(),
    launchEnds: new Map(),
    lastProgressAt: start.now,
    fatal: undefined,
    failedAfterCounting: false,
    leaving: new Set(start.leaving ?? []),
    disrupted: withinHour(start.disruptedBefore ?? [], start.now),
    budgeted: start.budgeted ?? true,
  };
  for (const task of start.known) {
    const parts = parseTaskId(task.taskId);
    adopt(draft, start.now, {
      taskId: task.taskId,
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
  for (const taskId of start.launchedBefore) {
    const parts = parseTaskId(taskId);
    if (!parts || parts.app !== start.app || draft.tasks.has(taskId)) continue;
    const agentId = start.agentsBefore?.[taskId];
    adopt(draft, start.now, {
      taskId,
      ...parts,
      digest: undefined,
      state: "LAUNCHING",
      ...(agentId === undefined ? {} : { agentId }),
      host: "",
      ports: [],
    });
  }
  // A KILL an earlier run charged and that has not stopped the task yet is sent again by this one: not charged twice.
  for (const [taskId, at] of Object.entries(start.disruptedTasksBefore ?? {})) {
    const task = draft.tasks.get(taskId);
    if (task !== undefined) draft.tasks = put(draft.tasks, taskId, { ...task, disruptedAt: at });
  }
  return draft;
}

/** The reducer: the tracked instances after one event, with what to report. Pure; `now` is the event's time. */
export function track(tracked: TrackedInstances, event: TrackingEvent, now: number): TrackingResult {
  return inOneCopy(() => trackOnce(tracked, event, now));
}

function trackOnce(tracked: TrackedInstances, event: TrackingEvent, now: number): TrackingResult {
  const draft: Draft = { ...tracked };
  const out: Output = { events: [], warnings: [], ended: [] };
  switch (event.type) {
    case "status":
      onStatus(draft, event.status, now, out);
      break;
    case "statuses":
      for (const status of event.statuses) onStatus(draft, status, now, out);
      break;
    case "launched":
      for (const task of event.tasks) onLaunched(draft, task);
      break;
    case "taken":
      for (const taskId of event.taskIds) taken(draft, taskId, now);
      break;
    case "kill_sent":
      setKillSent(draft, event.taskId, true, now);
      if (event.disruption === true) chargeDisruption(draft, event.taskId, now);
      break;
    case "kill_failed":
      killFailed(draft, event.taskId, now);
      break;
    case "asked":
      draft.unanswered = new Set(event.taskIds);
      break;
    case "unsure":
      // A launch given up is in reconciliation's hands: its fate is known once the master answers.
      for (const taskId of event.taskIds) taken(draft, taskId, now);
      draft.unanswered = new Set([...draft.unanswered, ...event.taskIds]);
      break;
    case "progress":
      noteProgress(draft, now);
      break;
    case "reconciled":
      draft.lastProgressAt = now;
      break;
    case "retarget":
      retarget(draft, event.target, event.desired, now);
      break;
    case "failure_taken":
      draft.fatal = undefined;
      break;
    case "leave":
      draft.leaving = new Set([...draft.leaving, ...event.agentIds]);
      break;
    case "budget_wait":
      draft.lastProgressAt = now;
      break;
    case "kills_wait":
      draft.lastProgressAt = now;
      waitForRoom(draft);
      break;
  }
  return { tracked: draft, ...out };
}

export const DISRUPTION_WINDOW_MS = 3_600_000;

/** The times of the last hour, oldest first. */
export function withinHour(times: readonly number[], now: number): number[] {
  return times.filter((t) => now - t < DISRUPTION_WINDOW_MS && t <= now).sort((a, b) => a - b);
}

/** The highest incarnation tracked per `release.instance`, as the app's progress record keeps it. */
export function incarnationFloor(tracked: TrackedInstances): IncarnationFloor {
  return Object.fromEntries(tracked.incarnations);
}

/** The next incarnation of an instance of a release: ids are never reused. */
export function nextIncarnation(tracked: TrackedInstances, release: number, instance: number): number {
  return (tracked.incarnations.get(incarnationKey(release, instance)) ?? 0) + 1;
}

type AdoptFields = Pick<
  Tracked,
  "taskId" | "instance" | "release" | "incarnation" | "digest" | "state" | "agentId" | "host" | "ports"
>;

function adopt(draft: Draft, now: number, fields: AdoptFields): Tracked {
  const found: Tracked = {
    ...fields,
    since: now,
    ...(fields.state === "TASK_UNREACHABLE" ? { unreachableSince: now } : {}),
    killSent: fields.state === "TASK_KILLING",
    launchedHere: false,
  };
  // A task found running has run for an unknown time: it counts at once (health permitting).
  const task =
    fields.state === "TASK_RUNNING" && !specOf(draft, found)?.health ? { ...found, healthySince: 0 } : found;
  if (fields.state === "TASK_RUNNING" && isCurrent(draft, task))
    draft.ran = withRun(draft.ran, task.instance);
  draft.tasks = put(draft.tasks, task.taskId, task);
  noteIncarnation(draft, task);
  return task;
}

function onLaunched(draft: Draft, task: Tracked): void {
  draft.tasks = put(draft.tasks, task.taskId, { ...task, accepting: true });
  noteIncarnation(draft, task);
}

/**
 * The master took the launch (or it was given up to reconciliation): the task's healthy deadline runs from now, and
 * so does its instance's when this is the instance's first launch (a proven instance that crashed is bounded by the
 * progress deadline instead).
 */
function taken(draft: Draft, taskId: string, now: number): void {
  const task = draft.tasks.get(taskId);
  if (task?.accepting !== true) return;
  draft.tasks = put(draft.tasks, taskId, { ...task, accepting: undefined, since: now });
  if (!draft.firstLaunchAt.has(task.instance) && !draft.proven.has(task.instance))
    draft.firstLaunchAt = put(draft.firstLaunchAt, task.instance, now);
}

function noteIncarnation(draft: Draft, task: Pick<Tracked, "release" | "instance" | "incarnation">): void {
  const key = incarnationKey(task.release, task.instance);
  if (task.incarnation > (draft.incarnations.get(key) ?? 0))
    draft.incarnations = put(draft.incarnations, key, task.incarnation);
}

function setKillSent(draft: Draft, taskId: string, killSent: boolean, now: number): void {
  const task = draft.tasks.get(taskId);
  if (task === undefined) return;
  draft.tasks = put(draft.tasks, taskId, { ...task, killSent, killSentAt: killSent ? now : undefined });
}

/** A replaced task's KILL takes one share of the hour's disruption budget, remembered on the task. */
function chargeDisruption(draft: Draft, taskId: string, now: number): void {
  const task = draft.tasks.get(taskId);
  if (task === undefined) return;
  draft.disrupted = [...withinHour(draft.disrupted, now), now];
  draft.tasks = put(draft.tasks, taskId, { ...task, disruptedAt: now });
}

/**
 * A KILL that did not go through. One that never reached the task stopped nothing: the next step decides the kill
 * again, and its share is given back for that KILL to take. A task already being killed (TASK_KILLING: an earlier
 * KILL reached it) is going down on purpose all the same: it keeps its share, and the KILL is sent again later.
 */
function killFailed(draft: Draft, taskId: string, now: number): void {
  const task = draft.tasks.get(taskId);
  if (task === undefined) return;
  if (task.state === "TASK_KILLING") {
    draft.tasks = put(draft.tasks, taskId, { ...task, killSent: true, killSentAt: now });
    return;
  }
  setKillSent(draft, taskId, false, now);
  if (task.disruptedAt === undefined) return;
  const at = draft.disrupted.indexOf(task.disruptedAt);
  if (at >= 0) draft.disrupted = [...draft.disrupted.slice(0, at), ...draft.disrupted.slice(at + 1)];
  draft.tasks = put(draft.tasks, taskId, { ...(draft.tasks.get(taskId) ?? task), disruptedAt: undefined });
}

// ---- status updates ------------------------------------------------------------------------------------

function onStatus(draft: Draft, status: TaskStatus, now: number, out: Output): void {
  const taskId = status.task_id.value;
  const parts = parseTaskId(taskId);
  if (!parts || parts.app !== draft.app) {
    out.warnings.push(
      `the framework of ${draft.app} reports a task titan did not launch: ${taskId}; left alone`,
    );
    return;
  }
  if (draft.unanswered.has(taskId)) draft.unanswered = without(draft.unanswered, taskId);
  // Any word of the task from the master, even before its ACCEPT is answered, says the master took the launch.
  taken(draft, taskId, now);
  const { verdict, order } = orderStatus(draft.statuses.get(taskId), status);
  if (order !== undefined) draft.statuses = put(draft.statuses, taskId, order);
  if (verdict !== "new") return;
  let found = draft.tasks.get(taskId);
  if (!found) {
    if (endsInstance(status.state)) return;
    // Found by implicit reconciliation: a task of this app that the cluster state did not list.
    found = adopt(draft, now, {
      taskId,
      ...parts,
      digest: undefined,
      state: status.state,
      host: "",
      ports: [],
    });
  }
  const before = found.state;
  let task: Tracked = {
    ...found,
    state: status.state,
    agentId: status.agent_id ? status.agent_id.value : found.agentId,
    unreachableSince: undefined,
  };
  if (status.state === "TASK_RUNNING") task = onRunning(draft, task, status, before, now, out);
  else if (status.state === "TASK_UNREACHABLE") {
    task = { ...task, healthySince: undefined, unreachableSince: found.unreachableSince ?? now };
    if (before !== "TASK_UNREACHABLE") {
      out.events.push(taskEvent("unreachable", draft, task));
      // Losing the agent is not the release's failure: the replacement gets a healthy_deadline of its own.
      if (isCurrent(draft, task) && draft.firstLaunchAt.has(task.instance))
        draft.firstLaunchAt = without(draft.firstLaunchAt, task.instance);
    }
  } else if (status.state === "TASK_KILLING") task = { ...task, killSent: true };
  else if (endsInstance(status.state)) {
    onTerminal(draft, task, status, before, now, out);
    return;
  }
  draft.tasks = put(draft.tasks, taskId, task);
}

function onRunning(
  draft: Draft,
  task: Tracked,
  status: TaskStatus,
  before: Tracked["state"],
  now: number,
  out: Output,
): Tracked {
  if (before !== "TASK_RUNNING") out.events.push(taskEvent("running", draft, task));
  if (isCurrent(draft, task)) {
    if (draft.launchFailures.size > 0) draft.launchFailures = new Map();
    draft.ran = withRun(draft.ran, task.instance);
  }
  const hasHealthCheck = specOf(draft, task)?.health !== undefined;
  if (!hasHealthCheck || status.healthy === true) {
    if (task.healthySince !== undefined) return task;
    // Found healthy by reconciliation: it has been healthy for an unknown time already.
    const reconciling = status.reason === "REASON_RECONCILIATION";
    const healthy = { ...task, healthySince: reconciling && !task.launchedHere ? 0 : now };
    if (hasHealthCheck) out.events.push(taskEvent("healthy", draft, healthy));
    return healthy;
  }
  if (status.healthy === false) {
    if (task.healthySince !== undefined || before !== "TASK_RUNNING")
      out.events.push(taskEvent("unhealthy", draft, task));
    return { ...task, healthySince: undefined };
  }
  return task;
}

function onTerminal(
  draft: Draft,
  task: Tracked,
  status: TaskStatus,
  before: Tracked["state"],
  now: number,
  out: Output,
): void {
  draft.tasks = without(draft.tasks, task.taskId);
  const wasCounting = draft.counting.has(task.taskId);
  if (wasCounting) draft.counting = without(draft.counting, task.taskId);
  // TASK_KILLING also marks a task being killed, but only a KILL this run sent is titan's request.
  const requested = task.killSentAt !== undefined;
  const message = terminalMessage(status, requested);
  out.events.push({
    type: endEventType(status.state),
    app: draft.app,
    task: task.taskId,
    instance: task.instance,
    state: status.state,
    ...(message === undefined ? {} : { message }),
    ...(killedByHealthCheck(status, requested) ? { cause: "health_check" as const } : {}),
  });
  if (task.killSent || !isCurrent(draft, task)) return;
  if (wasCounting) {
    draft.failedAfterCounting = true;
    draft.crashedAfterCounting = new Set([...draft.crashedAfterCounting, task.instance]);
  }
  const state = status.state.replace(/^TASK_/, "").toLowerCase();
  out.ended.push({ instance: task.instance, reason: `task ${task.taskId} ended (${state})` });
  draft.lastEnd = put(draft.lastEnd, task.instance, {
    state: status.state,
    ...(status.message === undefined ? {} : { message: status.message }),
    ...(killedByHealthCheck(status, requested) ? { healthCheck: true as const } : {}),
  });
  if (before !== "TASK_RUNNING")
    draft.launchEnds = put(draft.launchEnds, task.instance, launchEnd(task, status));
  if (status.state === "TASK_ERROR") {
    // A refused launch is a failed launch: a bad offer or carve is cured by another offer, while a malformed
    // spec is refused every time, so a few refusals in a row end the deploy with the master's reason.
    const refusals = (draft.refusals.get(task.instance) ?? 0) + 1;
    draft.refusals = put(draft.refusals, task.instance, refusals);
    if (refusals >= MAX_REFUSALS) {
      draft.fatal = `Mesos refused task ${task.taskId} (${refusals} launches of instance ${task.instance}): ${status.message ?? status.reason ?? "TASK_ERROR"}`;
      return;
    }
  }
  const lost = lostLaunch(task, status, before);
  // A launch an earlier run wrote ahead that the master never heard of (reconciliation says so) is simply launched
  // again: nothing of this release failed.
  if (!lost && status.reason === "REASON_RECONCILIATION" && before !== "TASK_RUNNING") return;
  if (noteLaunchFailure(draft, task, status, before)) return;
  // No agent ran it: the relaunch gets a healthy_deadline of its own (as the replacement of a task lost with its
  // agent does), the lost launch counting in the restart backoff below; progress_deadline bounds a launch that is
  // lost again and again.
  if (lost && draft.firstLaunchAt.has(task.instance))
    draft.firstLaunchAt = without(draft.firstLaunchAt, task.instance);
  // A current task died on its own: relaunch with the restart backoff.
  const restart = draft.target.spec.restart;
  const streak = ranPastStreak(task, restart.maxDelayMs, now) ? 0 : (draft.failures.get(task.instance) ?? 0);
  const failures = streak + 1;
  draft.failures = put(draft.failures, task.instance, failures);
  const delay = Math.min(restart.maxDelayMs, restart.backoffMs * restart.factor ** (failures - 1));
  draft.backoffUntil = put(draft.backoffUntil, task.instance, now + delay);
}

/** Ends of a launch that say the cluster lost or dropped it: no agent ran it, whatever the app would have done. */
const LOST_LAUNCH: ReadonlySet<TaskState> = new Set([
  "TASK_DROPPED",
  "TASK_LOST",
  "TASK_UNKNOWN",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);

/**
 * A launch of this run the cluster lost before any agent ran it: the master answered for it that it knows no such
 * task (a launch lost with a master that failed over), that it lost or dropped it (an offer gone stale, an agent
 * removed), never a task that ran or that the agent failed.
 */
function lostLaunch(task: Tracked, status: TaskStatus, before: Tracked["state"]): boolean {
  if (!task.launchedHere || (before !== "LAUNCHING" && before !== "TASK_STAGING")) return false;
  return LOST_LAUNCH.has(status.state);
}

function launchEnd(task: Tracked, status: TaskStatus): LaunchEnd {
  const detail = status.message ?? status.reason;
  return {
    text: `${task.taskId} ended ${status.state} before it ran${detail === undefined ? "" : ` (${detail})`}`,
    lost: LOST_LAUNCH.has(status.state),
  };
}

function withRun(ran: ReadonlySet<number>, instance: number): ReadonlySet<number> {
  return ran.has(instance) ? ran : new Set([...ran, instance]);
}

/**
 * A task that ran twice the backoff's max_delay before it ended was no part of a crash loop: its end starts a new
 * streak of failures, at the first delay (the kubelet lets a container's backoff expire after twice its maximum
 * too). Without it one crash loop would cost every later crash of a long-lived instance the longest delay.
 */
export const STREAK_RESET_FACTOR = 2;

function ranPastStreak(task: Tracked, maxDelayMs: number, now: number): boolean {
  return now - task.since >= STREAK_RESET_FACTOR * maxDelayMs;
}

/**
 * A launch that never ran and that the agent ended the same way as the two before it (a missing executable, a
 * fetch that cannot work, a user the agents do not have) will fail every time: the release stops with the agent's
 * message instead of relaunching until its deadline. Returns whether it did.
 */
function noteLaunchFailure(
  draft: Draft,
  task: Tracked,
  status: TaskStatus,
  before: Tracked["state"],
): boolean {
  if (before === "TASK_RUNNING" || !LAUNCH_FAILURES.has(status.state)) return false;
  // The master's own drops and refusals (a stale offer, an over-asked one) are cured by another offer and are
  // counted apart (refusals); what the agent or executor says about a launch is what repeats.
  if (status.source === "SOURCE_MASTER") return false;
  const how = `${status.state} ${status.reason ?? ""} ${status.message ?? ""}`;
  const times = (draft.launchFailures.get(how) ?? 0) + 1;
  draft.launchFailures = put(draft.launchFailures, how, times);
  if (times < MAX_SAME_LAUNCH_FAILURES) return false;
  const state = status.state.replace(/^TASK_/, "").toLowerCase();
  draft.fatal = `${times} launches of ${draft.app} failed the same way before running (${state}): ${status.message ?? status.reason ?? status.state} (last: ${task.taskId})`;
  return true;
}

function taskEvent(
  type: "running" | "healthy" | "unhealthy" | "unreachable",
  draft: Draft,
  task: Tracked,
): DeployEvent {
  return { type, app: draft.app, task: task.taskId, instance: task.instance };
}

// ---- progress and the rollback -------------------------------------------------------------------------

/**
 * A task of the target that counts is progress; the progress deadline runs from the last one. One of an instance
 * whose counting task crashed is not: a release that warms up and then fails must run into the deadline (and its
 * restart backoff keeps growing) instead of looping for ever. A task that took over from one titan stopped (an
 * instance moved off a drained agent) is: a drain of many instances moves them one after another, each in time.
 */
function noteProgress(draft: Draft, now: number): void {
  const counting = tracksProgress(draft, now);
  if (counting.length === 0) return;
  const newlyProven = counting.filter((t) => !draft.proven.has(t.instance)).map((t) => t.instance);
  draft.counting = new Set([...draft.counting, ...counting.map((t) => t.taskId)]);
  if (counting.some((t) => !draft.crashedAfterCounting.has(t.instance))) draft.lastProgressAt = now;
  if (newlyProven.length === 0) return;
  draft.proven = new Set([...draft.proven, ...newlyProven]);
  const refusals = new Map(draft.refusals);
  const firstLaunchAt = new Map(draft.firstLaunchAt);
  for (const instance of newlyProven) {
    refusals.delete(instance);
    firstLaunchAt.delete(instance);
  }
  draft.refusals = refusals;
  draft.firstLaunchAt = firstLaunchAt;
}

/**
 * The rollout waits only for tasks it killed to end: an instance of the target with no task left (it ended before it
 * counted) waits for the room they hold, which is not the release failing. Its health clock starts again at its next
 * launch, rather than running out against its first launch's `healthy_deadline` while kills take their grace. A
 * crash loop is still bounded: every relaunch waits out its restart backoff on that clock, and kills end.
 */
function waitForRoom(draft: Draft): void {
  if (draft.firstLaunchAt.size === 0) return;
  const live = new Set(
    // An instance whose own task is being killed (its executor's health check, a kill of titan's) is failing, not
    // waiting for room: its clock runs on.
    [...draft.tasks.values()].filter((t) => isCurrent(draft, t)).map((t) => t.instance),
  );
  const firstLaunchAt = new Map([...draft.firstLaunchAt].filter(([instance]) => live.has(instance)));
  if (firstLaunchAt.size < draft.firstLaunchAt.size) draft.firstLaunchAt = firstLaunchAt;
}

/** A rollback: the release rolled back to is the target, with its own count of instances. */
function retarget(draft: Draft, target: AppTarget, desired: number, now: number): void {
  draft.target = target;
  draft.desired = desired;
  draft.digestOfRelease = put(draft.digestOfRelease, target.release.number, target.release.manifestDigest);
  draft.backoffUntil = new Map();
  draft.failures = new Map();
  draft.lastEnd = new Map();
  draft.refusals = new Map();
  draft.launchFailures = new Map();
  draft.ran = new Set();
  draft.launchEnds = new Map();
  draft.firstLaunchAt = new Map();
  draft.counting = new Set();
  draft.proven = new Set();
  draft.crashedAfterCounting = new Set();
  draft.failedAfterCounting = false;
  draft.lastProgressAt = now;
  draft.tasks = new Map([...draft.tasks].map(([id, task]) => [id, { ...task, since: now }] as const));
  draft.budgeted = false;
}

function endEventType(state: TaskState): "killed" | "finished" | "failed" | "lost" {
  if (state === "TASK_KILLED") return "killed";
  if (state === "TASK_FINISHED") return "finished";
  if (state === "TASK_FAILED" || state === "TASK_ERROR") return "failed";
  return "lost";
}
