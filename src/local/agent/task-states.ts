import type { TaskStateName } from "./api.js";

/** The states after which Mesos never changes a task again (the master's and the agents' shared view). */
export const TERMINAL_STATES: ReadonlySet<TaskStateName> = new Set<TaskStateName>([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);

export function isTerminalState(state: TaskStateName): boolean {
  return TERMINAL_STATES.has(state);
}
