import { atMost, MAX_WAIT_FLAG_MS } from "../../cli/duration-flag.js";
import { UsageError } from "../../cli/errors.js";
import { parseDuration } from "../../manifest/units.js";

const MIN_INTERVAL_MS = 100;

/** `--interval` of the commands that poll (`ps --watch`, `top`): a duration from 100 ms to a day, in ms. */
export function parseInterval(text: string | undefined, defaultMs: number, example: string): number {
  if (text === undefined) return defaultMs;
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value < MIN_INTERVAL_MS) {
    throw new UsageError(
      `--interval ${JSON.stringify(text)} is not a duration of at least ${MIN_INTERVAL_MS}ms`,
      `e.g. --interval ${example}`,
    );
  }
  return atMost(
    parsed.value,
    MAX_WAIT_FLAG_MS,
    `--interval ${JSON.stringify(text)}`,
    `e.g. --interval ${example}`,
  );
}
