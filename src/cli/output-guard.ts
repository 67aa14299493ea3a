import type { Writable } from "node:stream";
import { TitanError } from "./errors.js";
import { ExitCode, STDOUT_CLOSED } from "./exit-codes.js";

/**
 * The reason bin/titan.js aborts with when stdout cannot be written while its reader is still there: the file or
 * device behind it is full or failing (ENOSPC on a full disk, EIO).
 */
export class StdoutUnwritable {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

/** What a reader that went away looks like to its writer. */
const READER_GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED"]);

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  EIO: "input/output error",
  EBADF: "bad file descriptor",
};

/**
 * Listens for write errors on the process's stdout and stderr (without a listener one crashes titan with a stack
 * trace). A reader that went away (EPIPE), of either, stops the command as an interruption does (STDOUT_CLOSED). A
 * stdout that cannot be written for another reason stops it too, to end as an error (StdoutUnwritable). A stderr
 * that cannot be written for another reason is let be: what it would say can be said nowhere, and the exit code,
 * the one word left, must be the command's own. After an error a stream takes writes and drops them, calling their
 * callbacks, so that a wait for what was written (`flushed`) ends.
 */
export function guardOutput(stdout: Writable, stderr: Writable, controller: AbortController): void {
  const guard = (stream: Writable, isStdout: boolean): void => {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      stream.write = dropWrite;
      const code = error.code ?? "EIO";
      if (READER_GONE.has(code)) controller.abort(STDOUT_CLOSED);
      else if (isStdout) controller.abort(new StdoutUnwritable(code, REASONS[code] ?? error.message));
    });
  };
  guard(stdout, true);
  guard(stderr, false);
}

function dropWrite(_chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
  const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
  if (typeof done === "function") process.nextTick(() => done());
  return true;
}

/** The one-line error for stdout that cannot be written, keeping the hint of the interruption it caused. */
export function stdoutUnwritableError(failure: StdoutUnwritable, interruption?: unknown): TitanError {
  const hint =
    interruption instanceof TitanError && interruption.hint !== undefined
      ? interruption.hint
      : "check the file or device stdout goes to, or send the output elsewhere";
  return new TitanError(`cannot write to stdout: ${failure.reason} (${failure.code})`, {
    exitCode: ExitCode.Runtime,
    hint,
  });
}
