import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { lastBytesRead, SandboxGoneError } from "../../mesos/index.js";
import { formatLine, type LineOrigin } from "../../observe/log-format.js";
import { lastLines, readAll, readLastLines } from "./read.js";
import type { LogSource } from "./sources.js";

export type ReadOutcome = "ok" | "gone" | "failed";

/** Writes lines to stdout (text with prefixes, or NDJSON) and notes to stderr. */
export class LogPrinter {
  /** Whether lines are shown with their control characters escaped: text on a terminal, unless `raw`. */
  private readonly escape: boolean;

  constructor(
    private readonly env: Env,
    private readonly options: { json: boolean; showStream: boolean; match?: RegExp; raw?: boolean },
  ) {
    this.escape = !options.json && options.raw !== true && env.io.isStdoutTTY;
  }

  line(origin: LineOrigin, text: string): void {
    if (this.options.match !== undefined && !this.options.match.test(text)) return;
    writeLine(
      this.env.io.out,
      formatLine(origin, text, { ...this.options, color: this.env.io.color, escape: this.escape }),
    );
  }

  lines(origin: LineOrigin, texts: readonly string[]): void {
    for (const text of texts) this.line(origin, text);
  }

  note(text: string): void {
    writeLine(this.env.io.err, this.env.io.errColor.dim(`titan: ${escapeTerminal(text)}`));
  }
}

/** `web[0] stdout (task web.4.0.1)`, with its region first when `logs` spans several, as its lines are. */
export function describeSource(source: LogSource): string {
  const { app, instance, taskId, stream, region } = source.origin;
  return `${region === undefined ? "" : `${region} `}${app}[${instance}] ${stream} (task ${taskId})`;
}

/** Prints the held partial line of a source whose file will not grow any more. */
export function flushSource(source: LogSource, printer: LogPrinter): void {
  const rest = source.splitter.flush();
  if (rest !== undefined) printer.line(source.origin, rest);
}

/**
 * The first read of a source: its last `tail` lines, or the whole file when `tail` is undefined. Afterwards
 * `source.offset` is where following continues: after the last byte printed, also when the read failed part way,
 * so that following neither skips nor repeats output. A vanished sandbox or an unreachable agent is a note, not an
 * error, so the other instances still print; while `following`, the note says it is retried, once per failure streak.
 */
export async function readInitial(
  env: Env,
  source: LogSource,
  tail: number | undefined,
  printer: LogPrinter,
  following?: { signal: AbortSignal },
): Promise<ReadOutcome> {
  const signal = following?.signal ?? env.signal;
  try {
    if (tail === undefined) {
      source.offset = 0;
      source.before = Buffer.alloc(0);
      await readAll(
        source.files,
        source.path,
        (data) => {
          printer.lines(source.origin, source.splitter.push(data));
          source.offset += data.length;
          source.before = lastBytesRead(source.before, data);
        },
        signal,
      );
    } else {
      const read = await readLastLines(source.files, source.path, tail, signal);
      const lines = source.splitter.push(read.data);
      printer.lines(source.origin, lastLines(lines, tail, source.splitter.holding > 0));
      source.offset = read.end;
      source.before = read.last;
    }
    return "ok";
  } catch (error) {
    if (signal.aborted || !(error instanceof TitanError)) throw error;
    if (error instanceof SandboxGoneError) {
      printer.note(`${describeSource(source)}: the sandbox is gone (garbage-collected or removed)`);
      return "gone";
    }
    // Following retries a failed read: its note is given once, when the failures start.
    if (!source.failing)
      printer.note(`${describeSource(source)}: ${error.message}${following ? "; retrying" : ""}`);
    source.failing = true;
    return "failed";
  }
}
