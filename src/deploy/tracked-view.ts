import { type AppSpec, formatDuration } from "../manifest/index.js";
import { hourlyReplacements } from "../manifest/types.js";
import { defined } from "../mesos/defined.js";
import type { RunningTask } from "../placement/types.js";
import { rolloutLimits } from "../plan/rollout.js";
import type { DeployProgress } from "../state/types.js";
import type { SchedulerCall } from "./calls.js";
import type { Failure } from "./failure.js";
import { counts, nextActions, type RolloutDecision, type RolloutTask, type TaskPhase } from "./rollout.js";
import {
  DISRUPTION_WINDOW_MS,
  type DoneInstances,
  type Tracked,
  type TrackedInstances,
  withinHour,
} from "./tracking.js";

/** Questions about tracked instances, answered without changing them. */
type View = Pick<
  TrackedInstances,
  | "app"
  | "desired"
  | "releases"
  | "target"
  | "digestOfRelease"
  | "tasks"
  | "unanswered"
  | "backoffUntil"
  | "firstLaunchAt"
  | "counting"
  | "lastProgressAt"
  | "failedAfterCounting"
  | "ran"
  | "launchEnds"
  | "leaving"
  | "disrupted"
  | "budgeted"
>;

/** The task carries the target release (its digest matches). */
export function isCurrent(tracked: Pick<View, "digestOfRelease" | "target">, task: Tracked): boolean {
  const digest = task.digest ?? tracked.digestOfRelease.get(task.release);
  return digest === tracked.target.release.manifestDigest;
}

/** The spec a task was launched with, when titan knows its release. */
/** The KILL of a task, with the grace period of the release it runs (the target's when that release is gone). */
export function killCall(
  tracked: Pick<View, "digestOfRelease" | "target" | "releases">,
  task: Tracked,
): Extract<SchedulerCall, { kind: "kill" }> {
  const gracePeriodMs = specOf(tracked, task)?.killGraceMs ?? tracked.target.spec.killGraceMs;
  return { kind: "kill", taskId: task.taskId, ...defined({ agentId: task.agentId }), gracePeriodMs };
}

export function specOf(
  tracked: Pick<View, "digestOfRelease" | "target" | "releases">,
  task: Tracked,
): AppSpec | undefined {
  if (isCurrent(tracked, task)) return tracked.target.spec;
  return tracked.releases.find((r) => r.number === task.release)?.spec;
}

/** The rollout's next launches and kills, from the tracked tasks. */
export function decide(tracked: View, now: number): RolloutDecision {
  const spec = tracked.target.spec;
  const allowance = disruptionAllowance(tracked, now);
  return nextActions({
    desired: tracked.desired,
    ...rolloutLimits(spec, tracked.desired),
    minHealthyMs: spec.update.minHealthyTimeMs,
    now,
    tasks: [...tracked.tasks.values()].map((t) => rolloutTask(tracked, t)),
    backoffUntil: tracked.backoffUntil,
    keepPrevious: tracked.failedAfterCounting,
    ...(allowance === undefined ? {} : { disruptionAllowance: allowance }),
  });
}

/** What the hour leaves of the app's disruption budget (`disruption.max_per_hour`); undefined: no limit. */
export function disruptionAllowance(tracked: View, now: number): number | undefined {
  const limit = tracked.budgeted ? hourlyReplacements(tracked.target.spec, tracked.desired) : undefined;
  return limit === undefined ? undefined : limit - withinHour(tracked.disrupted, now).length;
}

/** When the budget next lets one more running instance be replaced: an hour after the oldest of the last hour. */
export function budgetFreesAt(tracked: View, now: number): number | undefined {
  const [oldest] = withinHour(tracked.disrupted, now);
  return oldest === undefined ? undefined : oldest + DISRUPTION_WINDOW_MS;
}

function rolloutTask(tracked: View, task: Tracked): RolloutTask {
  return {
    taskId: task.taskId,
    instance: task.instance,
    incarnation: task.incarnation,
    // A task on an agent being emptied is replaced like one of an older release.
    current: isCurrent(tracked, task) && !(task.agentId !== undefined && tracked.leaving.has(task.agentId)),
    phase: tracked.unanswered.has(task.taskId) ? "unknown" : phaseOf(task),
    healthySince: task.healthySince,
    ...(task.disruptedAt === undefined ? {} : { charged: true }),
  };
}

function phaseOf(task: Tracked): TaskPhase {
  // Before "killing": a KILL cannot reach a task cut off with its agent, which may stay unreachable for weeks.
  if (task.state === "TASK_UNREACHABLE") return "unreachable";
  if (task.killSent || task.state === "TASK_KILLING") return "killing";
  if (task.state === "TASK_RUNNING") return "running";
  return "starting";
}

/** Tasks of the target that count now and did not before. */
export function tracksProgress(tracked: View, now: number): Tracked[] {
  const minHealthy = tracked.target.spec.update.minHealthyTimeMs;
  return [...tracked.tasks.values()].filter(
    (task) =>
      isCurrent(tracked, task) &&
      !tracked.counting.has(task.taskId) &&
      counts(rolloutTask(tracked, task), now, minHealthy),
  );
}

/**
 * Whether the rollout waits only for tasks it killed to end: nothing of the target is on its way to counting, and
 * nothing is launched (or held back by the restart backoff) until their room is free. `progress_deadline` measures
 * new instances becoming healthy, so this wait does not run it: a kill is bounded by the task's kill_grace (then
 * SIGKILL), and one left unanswered is sent again (`retryKills`), never failing the release.
 */
export function waitsOnlyForKills(tracked: View, decision: RolloutDecision, now: number): boolean {
  if (decision.actions.some((a) => a.kind === "launch")) return false;
  if (decision.pending.some((instance) => (tracked.backoffUntil.get(instance) ?? 0) > now)) return false;
  let killing = false;
  for (const task of tracked.tasks.values()) {
    if (task.state === "TASK_UNREACHABLE") continue;
    if (task.killSent || task.state === "TASK_KILLING") killing = true;
    else if (
      isCurrent(tracked, task) &&
      task.instance < tracked.desired &&
      !tracked.counting.has(task.taskId)
    )
      return false;
  }
  return killing;
}

/** Why the release has run out of time, if it has, and of what it failed: its health gates, or its launches. */
export function deadlineFailure(tracked: View, now: number): Failure | undefined {
  const update = tracked.target.spec.update;
  const within = `within healthy_deadline ${formatDuration(update.healthyDeadlineMs)}`;
  for (const task of tracked.tasks.values()) {
    if (!isCurrent(tracked, task) || task.killSent || tracked.counting.has(task.taskId)) continue;
    // A task cut off with its agent is not the release's failure: its instance is replaced (rollout.ts).
    if (task.state === "TASK_UNREACHABLE") continue;
    // A launch in flight (its ACCEPT unanswered) is bounded by the call's deadline, then asked about.
    if (task.accepting === true || now - task.since <= update.healthyDeadlineMs) continue;
    const named = `instance ${task.instance} (${task.taskId})`;
    // No status at all, not even TASK_STAGING, and none when asked: the master took the launch and no agent ever
    // reported it (an agent that has not re-registered after a master failover), which says nothing of the app.
    if (task.state === "LAUNCHING")
      return {
        reason: `${named} never started: the master reported nothing of its launch (no TASK_STAGING) ${within}`,
        cause: "not_started",
      };
    // The agent has it and never started it (an image that does not arrive): nothing of the app ran either.
    if (task.state === "TASK_STAGING")
      return {
        reason: `${named} never started: its agent${task.host === "" ? "" : ` ${task.host}`} still held it staging (TASK_STAGING) ${within}`,
        cause: "not_started",
      };
    return { reason: `${named} was not healthy ${within}`, cause: "unhealthy" };
  }
  // Relaunches of an instance (crashes, refused launches, launches its agent failed) run against its first launch's
  // deadline; a launch the cluster lost before any agent ran it starts it over (tracking.ts).
  for (const [instance, since] of tracked.firstLaunchAt) {
    if (instance < tracked.desired && now - since > update.healthyDeadlineMs)
      return firstLaunchFailure(tracked, instance, `${within} of its first launch`);
  }
  if (update.progressDeadlineMs > 0 && now - tracked.lastProgressAt > update.progressDeadlineMs)
    return progressFailure(
      tracked,
      `no instance became healthy within progress_deadline ${formatDuration(update.progressDeadlineMs)}`,
    );
  return undefined;
}

/** An instance out of time since its first launch: unhealthy if the app ran there, else how its launches ended. */
function firstLaunchFailure(tracked: View, instance: number, within: string): Failure {
  const end = tracked.ran.has(instance) ? undefined : tracked.launchEnds.get(instance);
  if (end === undefined)
    return { reason: `instance ${instance} was not healthy ${within}`, cause: "unhealthy" };
  return {
    reason: `instance ${instance} never ran ${within}: ${end.text}`,
    cause: end.lost ? "not_started" : "launch_failed",
  };
}

/**
 * No progress for progress_deadline: the app's failure when it ran on any instance still short of counting; when it
 * ran on none of them, what became of their launches.
 */
function progressFailure(tracked: View, reason: string): Failure {
  const counted = new Set<number>();
  for (const task of tracked.tasks.values())
    if (tracked.counting.has(task.taskId)) counted.add(task.instance);
  const short: number[] = [];
  for (let instance = 0; instance < tracked.desired; instance++)
    if (!counted.has(instance)) short.push(instance);
  if (short.length === 0 || short.some((i) => tracked.ran.has(i))) return { reason, cause: "unhealthy" };
  const ends = short.flatMap((i) => {
    const end = tracked.launchEnds.get(i);
    return end === undefined ? [] : [end];
  });
  const starting = [...tracked.tasks.values()].filter(
    (t) =>
      isCurrent(tracked, t) &&
      !counted.has(t.instance) &&
      t.instance < tracked.desired &&
      !t.killSent &&
      (t.state === "LAUNCHING" || t.state === "TASK_STAGING"),
  );
  if (ends.length === 0 && starting.length === 0) return { reason, cause: "unhealthy" };
  const why = ends[0]?.text ?? `${few(starting.map((t) => t.taskId))} never started`;
  return {
    reason: `${reason}: instance(s) ${few(short)} never ran; ${why}`,
    cause: ends.some((e) => !e.lost) ? "launch_failed" : "not_started",
  };
}

/** `0, 1, 2 and 7 more`: a reason or a wait names a few, however large the app. */
export function few(items: readonly (string | number)[]): string {
  const shown = items.slice(0, 3).join(", ");
  return items.length > 3 ? `${shown} and ${items.length - 3} more` : shown;
}

/** The instances of the target that serve, for the outcome (an unreachable task is not known to serve). */
export function doneInstances(tracked: View): DoneInstances {
  return [...tracked.tasks.values()]
    .filter((t) => isCurrent(tracked, t) && !t.killSent && t.state !== "TASK_UNREACHABLE")
    .sort((a, b) => a.instance - b.instance)
    .map((t) => ({ instance: t.instance, task: t.taskId, host: t.host, ports: t.ports }));
}

/**
 * The ids the app's progress record keeps: every task still tracked, launched here or found, since only a status
 * from the master (the task ended, or no agent knows it) ends a tracked task. The next run asks the master about
 * each, so it knows the app's tasks even when the master does not list them: after a master failover, a task on
 * an agent that has not re-registered is in no state the master shows (master.cpp `Master::_recover`), and without
 * its id a run would take its instance for missing and launch it again. An ended task's id leaves the record at
 * once; a written-ahead launch stays however old, as it may still be on its way to an agent.
 */
export function recordedTaskIds(tracked: Pick<View, "tasks">): string[] {
  return [...tracked.tasks.keys()];
}

/**
 * The agent of each recorded id titan knows it on, by task id (`DeployProgress.agents`); an id whose agent only the
 * previous record knew keeps it from there.
 */
export function recordedAgents(
  tracked: Pick<View, "tasks">,
  ids: readonly string[],
  before: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const agents: Record<string, string> = {};
  for (const id of ids) {
    const agentId = tracked.tasks.get(id)?.agentId ?? before[id];
    if (agentId !== undefined) agents[id] = agentId;
  }
  return agents;
}

/**
 * The disruption budget's charge of each live task, by task id (`DeployProgress.disruptedTasks`): a later run
 * sending its KILL again does not charge it twice. An ended task leaves it (its time stays in `disrupted`).
 */
export function recordedCharges(tracked: Pick<View, "tasks">): Record<string, number> {
  const charges: Record<string, number> = {};
  for (const task of tracked.tasks.values())
    if (task.disruptedAt !== undefined) charges[task.taskId] = task.disruptedAt;
  return charges;
}

/** The disruption budget's part of the progress record: the hour's charges, and the live task each is for. */
export function disruptionLedger(
  tracked: Pick<View, "tasks" | "disrupted">,
): Pick<DeployProgress, "disrupted" | "disruptedTasks"> {
  const charges = recordedCharges(tracked);
  return {
    ...(tracked.disrupted.length === 0 ? {} : { disrupted: [...tracked.disrupted] }),
    ...(Object.keys(charges).length === 0 ? {} : { disruptedTasks: charges }),
  };
}

/** Whether two lists of task ids hold the same ids. */
export function sameTaskIds(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

/** Whether a live task of the app (launching, running or being killed) is on the agent. */
export function holdsTasksOn(tracked: Pick<View, "tasks">, agentId: string): boolean {
  for (const task of tracked.tasks.values()) if (task.agentId === agentId) return true;
  return false;
}

/**
 * The app's tasks that count for its spread and uniqueness where new instances are placed: the ones that stay, as
 * the plan counts them. Tasks being killed, surplus ones, and those a rollout replaces (of an older release, or on
 * an agent being emptied) hold their room until they end but count for no constraint, and neither does a task cut
 * off with its agent (the plan's diff stands it for no instance: its instance is launched anew). A supervisor, which
 * never rolls out and holds an unreachable instance through its grace, counts every task but those it kills and
 * those on agents being emptied.
 */
export function stayingTasks(tracked: View, supervising: boolean): RunningTask[] {
  return [...tracked.tasks.values()].flatMap((t) =>
    t.agentId === undefined ||
    t.killSent ||
    t.state === "TASK_KILLING" ||
    t.instance >= tracked.desired ||
    tracked.leaving.has(t.agentId) ||
    (!supervising && (!isCurrent(tracked, t) || t.state === "TASK_UNREACHABLE"))
      ? []
      : [
          {
            app: tracked.app,
            agentId: t.agentId,
            instance: t.instance,
            demand: tracked.target.spec.resources,
            portCount: t.ports.length,
          },
        ],
  );
}
