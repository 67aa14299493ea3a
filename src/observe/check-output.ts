/**
 * What a task's health check last said before its executor killed it. Mesos puts it in no status update: the
 * executor's health checker logs each failure to its stderr, the sandbox's, as "<TYPE> health check for task
 * '<id>' failed: <why>" (src/checks/health_checker.cpp), behind a glog prefix on a real agent.
 */
/** A task whose executor killed it for its failing health check, and where to find its sandbox. */
export interface CheckedTask {
  taskId: string;
  agentId: string;
  frameworkId: string;
}

const FAILURE = /(\b[A-Z]+ health check) for task '([^']*)' failed: (.*)$/;
const MAX_CHARS = 300;

/** The last failure logged for the task in the tail of its stderr, as "HTTP health check failed: <why>". */
export function lastCheckFailure(stderrTail: string, taskId: string): string | undefined {
  const lines = stderrTail.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = FAILURE.exec(lines[i]?.trimEnd() ?? "");
    if (match === null || match[2] !== taskId) continue;
    // The check's own output is data from the task: no terminal control reaches the screen.
    const why = (match[3] ?? "").replace(/\p{Cc}/gu, "?");
    const text = `${match[1]} failed: ${why}`;
    return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
  }
  return undefined;
}
