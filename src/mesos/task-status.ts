import type { TaskState, TaskStatus } from "./types/mesos.js";

/**
 * The one definition of terminal task states on titan's side: the master's own
 * (src/common/protobuf_utils.cpp `isTerminalState`). Such a task holds no resources and never runs again.
 * TASK_UNREACHABLE and TASK_UNKNOWN are not terminal: the task may still run somewhere.
 */
const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);

export function isTerminalState(state: TaskState | string): boolean {
  return TERMINAL.has(state as TaskState);
}

/**
 * The task ends its instance for a deploy: terminal, or TASK_UNKNOWN (the master answered that it has no record of
 * it, which a partition-aware framework must treat as gone). Silence is never this: see the reconciliation rules in
 * the deploy engine.
 */
export function endsInstance(state: TaskState): boolean {
  return isTerminalState(state) || state === "TASK_UNKNOWN";
}

/**
 * The task is, or may still be, a process on its agent. TASK_LOST is terminal for the master, yet for a framework
 * that is not partition-aware it is what an unreachable task reports, and the process may well live on.
 */
export function mayStillRun(state: TaskState): boolean {
  return state === "TASK_LOST" || !endsInstance(state);
}

/** What an update means given what was seen before. */
export type UpdateVerdict = "new" | "duplicate" | "stale";

export interface LatestStatus {
  state: TaskState;
  timestamp: number;
  /** Whether the state came from a reconciliation answer (the master's view, stamped with the time it answered). */
  reconciliation: boolean;
}

/** Where a non-terminal state stands in a task's life; a task never moves backwards along it. */
const LIFECYCLE: Partial<Record<TaskState, number>> = {
  TASK_STAGING: 0,
  TASK_STARTING: 1,
  TASK_RUNNING: 2,
  TASK_KILLING: 3,
};

/** A reconciliation answer, as the master sends it (master.cpp `Master::reconcile`: SOURCE_MASTER, REASON_RECONCILIATION). */
export function isReconciliationAnswer(status: TaskStatus): boolean {
  return status.reason === "REASON_RECONCILIATION";
}

/**
 * Status updates are at-least-once and may arrive twice or out of order (after reconnects and master failover).
 * The order is decided as Mesos decides it, not by timestamps alone:
 * - an update whose uuid was already seen is a duplicate;
 * - a terminal state is never overridden (the agent's status update manager ends a task's stream with it);
 * - a task never moves backwards along STAGING → STARTING → RUNNING → KILLING;
 * - timestamps only order updates of the same kind: a reconciliation answer carries the time the master answered,
 *   while an agent's queued update keeps the older time it happened at, so a later-arriving TASK_FAILED stamped
 *   before a reconciliation's TASK_RUNNING is news, not stale.
 * Duplicates and stale updates must still be acknowledged when they carry a uuid; they just must not move the
 * task's state.
 */
export class TaskStatusTracker {
  private readonly latest = new Map<string, LatestStatus>();
  private readonly seenUuids = new Set<string>();

  observe(status: TaskStatus): UpdateVerdict {
    if (status.uuid !== undefined) {
      if (this.seenUuids.has(status.uuid)) return "duplicate";
      this.seenUuids.add(status.uuid);
    }
    const taskId = status.task_id.value;
    const next = latestOf(status);
    const known = this.latest.get(taskId);
    if (known !== undefined && isStale(known, next)) return "stale";
    this.latest.set(taskId, next);
    return "new";
  }

  stateOf(taskId: string): TaskState | undefined {
    return this.latest.get(taskId)?.state;
  }
}

/** What one task's updates so far decide about the next one: its latest state and the uuids seen for it. */
export interface StatusOrder {
  readonly latest: Readonly<LatestStatus>;
  readonly uuids: readonly string[];
}

/**
 * The same ordering as `TaskStatusTracker`, without state of its own: given what a task's earlier updates left
 * (undefined for its first), the verdict on `status` and what to keep for the next one. A uuid is a per-update
 * id, so duplicates are recognised among the task's own updates.
 */
export function orderStatus(
  known: StatusOrder | undefined,
  status: TaskStatus,
): { verdict: UpdateVerdict; order: StatusOrder | undefined } {
  const uuid = status.uuid;
  if (uuid !== undefined && known?.uuids.includes(uuid)) return { verdict: "duplicate", order: known };
  const uuids = uuid === undefined ? (known?.uuids ?? []) : [...(known?.uuids ?? []), uuid];
  const next = latestOf(status);
  if (known !== undefined && isStale(known.latest, next))
    return { verdict: "stale", order: { latest: known.latest, uuids } };
  return { verdict: "new", order: { latest: next, uuids } };
}

function latestOf(status: TaskStatus): LatestStatus {
  return {
    state: status.state,
    timestamp: status.timestamp ?? 0,
    reconciliation: isReconciliationAnswer(status),
  };
}

function isStale(known: LatestStatus, next: LatestStatus): boolean {
  if (isTerminalState(known.state)) return true;
  if (isTerminalState(next.state)) return false;
  const before = LIFECYCLE[known.state];
  const after = LIFECYCLE[next.state];
  if (before !== undefined && after !== undefined && after < before) return true;
  return known.reconciliation === next.reconciliation && next.timestamp < known.timestamp;
}
