import { atMost, MAX_TIMEOUT_FLAG_MS } from "../cli/duration-flag.js";
import { UsageError } from "../cli/errors.js";
import { parseDuration } from "../manifest/index.js";

/** `--timeout` of the commands that change an app (and of `status --wait`), in ms: at most a week. */
export function parseTimeout(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(
      `--timeout ${JSON.stringify(text)} is not a positive duration`,
      "e.g. --timeout 10m",
    );
  return atMost(parsed.value, MAX_TIMEOUT_FLAG_MS, `--timeout ${JSON.stringify(text)}`, "e.g. --timeout 10m");
}
