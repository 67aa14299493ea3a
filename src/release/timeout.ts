import { UsageError } from "../cli/errors.js";
import { parseDuration } from "../manifest/index.js";

/** `--timeout` of the commands that change an app, in ms. */
export function parseTimeout(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(
      `--timeout ${JSON.stringify(text)} is not a positive duration`,
      "e.g. --timeout 10m",
    );
  return parsed.value;
}
