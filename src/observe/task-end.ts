import type { TaskStatus } from "../mesos/types/mesos.js";

/**
 * How to word a task's terminal update. Mesos' command executor kills a task whose health check failed too often
 * and reports TASK_KILLED with `healthy: false` and the wait status as its message ("Command exited with status
 * 0", src/launcher/executor.cpp, `reaped`): taken literally that reads as a clean exit. A kill titan did not ask
 * for, with that flag, is the health check's doing; the check's own output is only in the executor's log, the
 * sandbox's stderr.
 */
export function terminalMessage(status: TaskStatus, killRequested: boolean): string | undefined {
  if (killedByHealthCheck(status, killRequested)) {
    return "failed its health check and was killed by its executor (the check's output is in the task's stderr: titan logs APP/N --stderr)";
  }
  return status.message;
}

/** A kill nobody asked for, reported unhealthy: the executor's health checker did it. */
export function killedByHealthCheck(status: TaskStatus, killRequested: boolean): boolean {
  return status.state === "TASK_KILLED" && status.healthy === false && !killRequested;
}

/** How a task ended, as the supervisor keeps it for an instance it launches again. */
export interface TaskEnd {
  state: string;
  message?: string;
  healthCheck?: boolean;
}

/** The longest reason kept: an agent's message can be long, and a table cell is not the place for all of it. */
const REASON_CHARS = 120;

/**
 * Why a task ended, in a few words: `exit 1` and `signal Killed` for the command executor's "Command exited with
 * status 1" and "Command terminated with signal Killed" (src/launcher/executor.cpp, `WSTRINGIFY`), `failed its
 * health check`, else the agent's message, or the state when it gave none.
 */
export function endReason(end: TaskEnd): string {
  if (end.healthCheck === true) return "failed its health check";
  const message = end.message?.trim();
  if (message === undefined || message === "") return end.state.replace(/^TASK_/, "").toLowerCase();
  const exited = /^Command exited with status (-?\d+)/.exec(message);
  if (exited !== null) return `exit ${exited[1]}`;
  const signalled = /^Command terminated with signal (.+)$/.exec(message);
  if (signalled !== null) return `signal ${signalled[1]}`;
  const chars = [...message];
  return chars.length <= REASON_CHARS ? message : `${chars.slice(0, REASON_CHARS - 1).join("")}…`;
}
