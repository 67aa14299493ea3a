import type { TaskStatus } from "../mesos/types/mesos.js";
import type { SchedulerCall } from "./calls.js";
import { type TrackedInstances, track } from "./tracking.js";

const RESEND_MS = 2000;
/** Unanswered reconciliation is asked again this often once the rollout moved on without the answers. */
const SLOW_RESEND_MS = 10_000;
/**
 * How long the rollout holds still for reconciliation answers. A master that failed over answers nothing for tasks
 * on agents that have not re-registered (master.cpp `Master::reconcileTasks`, case 2: a task on a recovered agent
 * gets no answer) for up to --agent_reregister_timeout (10 min by default): silence is unknown, never gone. After
 * this the rollout goes on with such tasks holding their instances, neither counting nor relaunched.
 */
const HOLD_MS = 10_000;

/**
 * Explicit reconciliation of the tasks a deploy knows of: asked at every subscription and for launches whose
 * ACCEPT may not have arrived, asked again until answered. The answers arrive as status updates and clear the
 * tracked `unanswered`. Pure: each function returns the next state and the calls to send.
 */
export interface Reconciliation {
  readonly startedAt: number;
  /** When the unanswered tasks were last asked about; -Infinity to ask at the next step. */
  readonly sentAt: number;
  /** A reconciliation ran since the rollout last moved. */
  readonly active: boolean;
}

export const NO_RECONCILIATION: Reconciliation = { startedAt: 0, sentAt: 0, active: false };

/** After SUBSCRIBED: every task known is asked about, then implicit reconciliation reveals the others. */
export function startReconciliation(
  tracked: TrackedInstances,
  now: number,
): { tracked: TrackedInstances; reconciliation: Reconciliation; calls: SchedulerCall[] } {
  const asked = [...tracked.tasks.keys()];
  const next = track(tracked, { type: "asked", taskIds: asked }, now).tracked;
  return {
    tracked: next,
    reconciliation: { startedAt: now, sentAt: now, active: true },
    calls: [
      { kind: "reconcile", tasks: explicit(next, asked), resendOnFailure: true },
      { kind: "reconcile", tasks: [], resendOnFailure: false },
    ],
  };
}

/** Launches whose ACCEPT failed may or may not have reached the master: ask it before launching them again. */
export function unsure(now: number): Reconciliation {
  return { startedAt: now, sentAt: Number.NEGATIVE_INFINITY, active: true };
}

/** The rollout waits for the answers, for a bounded time. */
export function holding(tracked: TrackedInstances, reconciliation: Reconciliation, now: number): boolean {
  return tracked.unanswered.size > 0 && now - reconciliation.startedAt < HOLD_MS;
}

/** Asks again about unanswered tasks: soon while the rollout holds still for them, slowly after. */
export function retryReconciliation(
  tracked: TrackedInstances,
  reconciliation: Reconciliation,
  now: number,
): { reconciliation: Reconciliation; calls: SchedulerCall[] } {
  if (tracked.unanswered.size === 0) return { reconciliation, calls: [] };
  const every = holding(tracked, reconciliation, now) ? RESEND_MS : SLOW_RESEND_MS;
  if (now - reconciliation.sentAt < every) return { reconciliation, calls: [] };
  return {
    reconciliation: { ...reconciliation, sentAt: now },
    calls: [{ kind: "reconcile", tasks: explicit(tracked, [...tracked.unanswered]), resendOnFailure: false }],
  };
}

/**
 * The rollout moves again. "answered" when every task was answered (that wait does not count against the progress
 * deadline), else a warning: the unknown tasks count against the deadlines, never relaunched. Undefined when no
 * reconciliation ran since the rollout last moved.
 */
export function endHold(
  tracked: TrackedInstances,
  reconciliation: Reconciliation,
): { reconciliation: Reconciliation; ended: "answered" | string | undefined } {
  if (!reconciliation.active) return { reconciliation, ended: undefined };
  const next = { ...reconciliation, active: false };
  const ids = [...tracked.unanswered];
  if (ids.length === 0) return { reconciliation: next, ended: "answered" };
  return {
    reconciliation: next,
    ended: `the master has not reported ${ids.length} task(s) since titan asked (${ids.join(", ")}); their agents may not have re-registered after a master failover. They keep their instances and are not relaunched; the deploy waits for them within its deadlines`,
  };
}

/**
 * How long a launch the master took may go without any status before titan asks the master about it. A master
 * answers an ACCEPT before it carries it out, so a launch can still be lost after the answer (a master that fails
 * over before passing it on to the agent); an agent reports a task it starts within a second or two. Asked, the
 * master says TASK_STAGING for a launch it holds (an image still being pulled), or that it knows no such task, which
 * relaunches it; silence holds it as any unanswered task.
 */
export const LAUNCH_CONFIRM_MS = 5000;

/**
 * Launches the master took that no status followed within LAUNCH_CONFIRM_MS are to be asked about, now: they join
 * the unanswered tasks (asked again with them until the master answers) and the next question is due at once.
 */
export function confirmLaunches(
  tracked: TrackedInstances,
  reconciliation: Reconciliation,
  now: number,
): { tracked: TrackedInstances; reconciliation: Reconciliation } {
  const silent = [...tracked.tasks.values()]
    .filter(
      (t) =>
        t.launchedHere &&
        t.state === "LAUNCHING" &&
        t.accepting !== true &&
        !t.killSent &&
        !tracked.unanswered.has(t.taskId) &&
        now - t.since >= LAUNCH_CONFIRM_MS,
    )
    .map((t) => t.taskId);
  if (silent.length === 0) return { tracked, reconciliation };
  return {
    tracked: track(tracked, { type: "unsure", taskIds: silent }, now).tracked,
    reconciliation: { ...reconciliation, sentAt: Number.NEGATIVE_INFINITY },
  };
}

/** The tasks of an explicit RECONCILE: each tracked task asked about, with its agent when known. */
export function explicit(
  tracked: TrackedInstances,
  taskIds: readonly string[],
): Array<{ taskId: string; agentId?: string }> {
  return taskIds.flatMap((id) => {
    const task = tracked.tasks.get(id);
    if (task === undefined) return [];
    return [task.agentId ? { taskId: id, agentId: task.agentId } : { taskId: id }];
  });
}

/**
 * Agents the updates show registered with the master: an agent's own update, or the master's word that it
 * re-registered. A reconciliation answer or a master's update of a lost agent says nothing of the sort.
 */
export function agentsSeen(statuses: readonly TaskStatus[]): Set<string> {
  const seen = new Set<string>();
  for (const status of statuses) {
    const agentId = status.agent_id?.value;
    if (agentId === undefined) continue;
    if (status.source !== "SOURCE_MASTER" || status.reason === "REASON_AGENT_REREGISTERED") seen.add(agentId);
  }
  return seen;
}

/**
 * Tracked unreachable tasks on agents seen again are asked about explicitly. A re-registering agent brings back
 * only the tasks it reports; the master erases its other unreachable tasks without an update (master.cpp
 * `Master::__reregisterSlave`), so without asking titan would hold them as unreachable until its next periodic
 * reconciliation. The answers are ordinary status updates (TASK_GONE for a task the agent does not have).
 */
export function askReturned(tracked: TrackedInstances, agentIds: ReadonlySet<string>): SchedulerCall[] {
  if (agentIds.size === 0) return [];
  const taskIds = [...tracked.tasks.values()]
    .filter((t) => t.state === "TASK_UNREACHABLE" && t.agentId !== undefined && agentIds.has(t.agentId))
    .map((t) => t.taskId);
  if (taskIds.length === 0) return [];
  return [{ kind: "reconcile", tasks: explicit(tracked, taskIds), resendOnFailure: false }];
}
