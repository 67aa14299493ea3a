import type { TaskStateName } from "../agent/api.js";
import { isTerminalState } from "../agent/task-states.js";
import type { JsonObject } from "../json.js";
import type { TaskRecord } from "./model.js";

/**
 * What the master does to a task it holds for each status update, its own (agent or framework removal) or an
 * agent's, as master.cpp `Master::updateTask` does:
 *
 * - the task takes the update's state, unless it is already terminal: a terminal state is kept;
 * - the status goes to the end of `statuses`, in place of the latest one when that has the same state (a health
 *   check's TASK_RUNNING replaces the TASK_RUNNING before it), so the history holds each state once in a row;
 * - `status_update_state` and `status_update_uuid` are not touched here: `Master::forward` sets them from each
 *   agent update it forwards (the master's own updates have no uuid).
 *
 * Returns true when the task has just become terminal or unreachable, when the master recovers its resources.
 */
export function updateTask(task: TaskRecord, status: JsonObject): boolean {
  const state = status.state as TaskStateName;
  const ended = (s: TaskStateName) => isTerminalState(s) || s === "TASK_UNREACHABLE";
  const transitioned = !ended(task.state) && ended(state);
  if (!isTerminalState(task.state)) task.state = state;
  const last = task.statuses[task.statuses.length - 1];
  if (last !== undefined && last.state === status.state) task.statuses.pop();
  task.statuses.push(status);
  return transitioned;
}
