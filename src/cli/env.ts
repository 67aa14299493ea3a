import type { IO } from "./io.js";
import type { PlatformPaths } from "./paths.js";
import type { Prompter } from "./prompter.js";

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The one environment every command receives (the factory of gh's cmdutil). Nothing below src/main.ts reads
 * process.env, process.cwd() or the process streams directly: tests build an Env of their own.
 */
export interface Env {
  readonly io: IO;
  /** Environment variables as the command sees them (TITAN_*, NO_COLOR, CI, ...). */
  readonly vars: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly paths: PlatformPaths;
  readonly clock: Clock;
  /** `--debug`: stack traces and HTTP traces (secrets redacted). */
  readonly debug: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** The prompter; only usable when io.canPrompt. */
  prompter(): Prompter;
}
