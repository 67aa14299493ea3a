import { MAX_DURATION_MS } from "../manifest/limits.js";
import { formatDuration } from "../manifest/units.js";
import { UsageError } from "./errors.js";

/**
 * The most a flag that sets a wait or an interval takes: a day, as every duration in a manifest. Far beyond any
 * use, and well inside a node timer, which past about 24.8 days fires at once.
 */
export const MAX_WAIT_FLAG_MS = MAX_DURATION_MS;

/** The most `--timeout` takes: a week, since it bounds a whole change (waves, each soaking for up to a day). */
export const MAX_TIMEOUT_FLAG_MS = 7 * 24 * 3_600_000;

/**
 * `ms`, the value of a duration flag or variable, when it is at most `maxMs`; otherwise a usage error naming the
 * maximum. `given` is the flag and its value as the user wrote them (`--interval "99999h"`).
 */
export function atMost(ms: number, maxMs: number, given: string, hint: string): number {
  if (ms <= maxMs) return ms;
  throw new UsageError(`${given} is longer than ${formatDuration(maxMs)}, the most it takes`, hint);
}
