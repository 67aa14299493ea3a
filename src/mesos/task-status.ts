import type { TaskState, TaskStatus } from "./types/mesos.js";

/** Terminal for a PARTITION_AWARE framework: the task will never run again (TASK_UNREACHABLE is not). */
const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);

export function isTerminalState(state: TaskState): boolean {
  return TERMINAL.has(state);
}

/** What an update means given what was seen before. */
export type UpdateVerdict = "new" | "duplicate" | "stale";

interface Latest {
  state: TaskState;
  timestamp: number;
}

/**
 * Status updates are at-least-once and may arrive twice or out of order (after reconnects and master
 * failover). This keeps the newest state per task: an update whose uuid was already seen is a duplicate, one
 * older than the newest known (or a non-terminal state after a terminal one) is stale. Duplicates and stale
 * updates must still be acknowledged when they carry a uuid; they just must not move the task's state.
 */
export class TaskStatusTracker {
  private readonly latest = new Map<string, Latest>();
  private readonly seenUuids = new Set<string>();

  observe(status: TaskStatus): UpdateVerdict {
    if (status.uuid !== undefined) {
      if (this.seenUuids.has(status.uuid)) return "duplicate";
      this.seenUuids.add(status.uuid);
    }
    const taskId = status.task_id.value;
    const timestamp = status.timestamp ?? 0;
    const known = this.latest.get(taskId);
    if (known !== undefined) {
      if (timestamp < known.timestamp) return "stale";
      if (isTerminalState(known.state) && !isTerminalState(status.state)) return "stale";
    }
    this.latest.set(taskId, { state: status.state, timestamp });
    return "new";
  }

  stateOf(taskId: string): TaskState | undefined {
    return this.latest.get(taskId)?.state;
  }
}
