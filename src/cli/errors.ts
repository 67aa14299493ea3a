import { ExitCode } from "./exit-codes.js";

/** A diagnostic that points into a file (manifest, config, plan). */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Path into the document, e.g. `apps[2].resources.mem`. */
  path: string;
  message: string;
  hint?: string;
}

/**
 * Every error a command expects to happen is a TitanError: one line of message, an optional hint and the exit
 * code. `src/main.ts` is the only place that turns these into output and a process exit code.
 */
export class TitanError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.Runtime;
    this.hint = options.hint;
  }
}

/** Bad flags, bad arguments, or something the user must change before re-running. Exit 2. */
export class UsageError extends TitanError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.Usage, hint });
  }
}

/** One or more diagnostics in a manifest or config file. Exit 2, nothing else done. */
export class ValidationError extends TitanError {
  readonly diagnostics: readonly Diagnostic[];
  /** The hint in a --json error, where the errors are the `diagnostics` beside it, not lines above. */
  readonly jsonHint: string;

  constructor(diagnostics: readonly Diagnostic[], summary?: string, hint?: string) {
    const n = diagnostics.length;
    super(summary ?? `${n} error${n === 1 ? "" : "s"} in the manifest`, {
      exitCode: ExitCode.Usage,
      hint: hint ?? "fix the errors above and run `titan validate` again",
    });
    this.diagnostics = diagnostics;
    this.jsonHint = hint ?? "fix each error in `diagnostics` and run `titan validate` again";
  }
}

/** The user (or a signal) interrupted the command. Exit 130. */
export class InterruptedError extends TitanError {
  constructor(message = "interrupted", hint?: string) {
    super(message, { exitCode: ExitCode.Interrupted, hint });
  }
}

/** A deadline passed. Exit 7. */
export class TimeoutError extends TitanError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.TimedOut, hint });
  }
}

export function isTitanError(error: unknown): error is TitanError {
  return error instanceof TitanError;
}
