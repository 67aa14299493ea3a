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
