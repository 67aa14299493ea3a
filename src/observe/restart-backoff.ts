import { formatDuration } from "../manifest/units.js";
import type { InstanceBackoff } from "../state/types.js";
import { isoTime } from "./iso-time.js";

/** States whose end is the process's own: it crashed (or exited, or its health check had it killed). */
const CRASHES: ReadonlySet<string> = new Set(["TASK_FAILED", "TASK_FINISHED", "TASK_KILLED"]);

/** Whole seconds until the instance's next launch, rounded up; 0 once it is due. */
export function secondsToLaunch(backoff: InstanceBackoff, now: number): number {
  return Math.max(0, Math.ceil((backoff.nextLaunchAt - now) / 1000));
}

/**
 * `restarting in 25s (crashed 3×: exit 1)`: an instance a supervisor holds in restart backoff, as `ps` and `status`
 * show it (kubectl's CrashLoopBackOff, Marathon's "delayed"), counted down against the clock of the reader. Once its
 * time has come it is `restarting now`: the supervisor launches it as an offer holds it.
 */
export function restartText(backoff: InstanceBackoff, now: number): string {
  const seconds = secondsToLaunch(backoff, now);
  const when = seconds === 0 ? "restarting now" : `restarting in ${formatDuration(seconds * 1000)}`;
  return `${when} (${restartCause(backoff)})`;
}

/** `crashed 3×: exit 1`: what brought the instance down, without the countdown (a watch's change lines). */
export function restartCause(backoff: InstanceBackoff): string {
  const how = backoff.lastState !== undefined && !CRASHES.has(backoff.lastState) ? "ended" : "crashed";
  const times = backoff.restarts > 0 ? `${how} ${backoff.restarts}×` : how;
  return backoff.reason === undefined ? times : `${times}: ${backoff.reason}`;
}

/** The same in `--json`: `{"next_launch_at", "in_seconds", "restarts", "last_state", "reason"}`. */
export function restartJson(backoff: InstanceBackoff, now: number): Record<string, unknown> {
  return {
    next_launch_at: isoTime(backoff.nextLaunchAt),
    in_seconds: secondsToLaunch(backoff, now),
    restarts: backoff.restarts,
    last_state: backoff.lastState ?? null,
    reason: backoff.reason ?? null,
  };
}
