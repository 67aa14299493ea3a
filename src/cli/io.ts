import { createRequire } from "node:module";
import type { Readable, Writable } from "node:stream";
import type { ChalkInstance } from "chalk";

// chalk costs several milliseconds to load and `titan --help` never colours anything, so it loads on first use.
const requireModule = createRequire(import.meta.url);
let chalkModule: typeof import("chalk") | undefined;

function chalkAt(level: 0 | 1): ChalkInstance {
  chalkModule ??= requireModule("chalk") as typeof import("chalk");
  return new chalkModule.Chalk({ level });
}

/** Where a command reads and writes. Decided once, in `createIO`, and passed down; nothing below main touches process.std*. */
export interface IO {
  readonly stdin: Readable;
  readonly out: Writable;
  readonly err: Writable;
  readonly isStdinTTY: boolean;
  readonly isStdoutTTY: boolean;
  readonly isStderrTTY: boolean;
  /** Colour for data written to stdout. */
  readonly color: ChalkInstance;
  /** Colour for progress and diagnostics written to stderr. */
  readonly errColor: ChalkInstance;
  /** True when a person can answer a prompt: stdin and stdout are terminals and CI is not set. */
  readonly canPrompt: boolean;
  /** Why no prompt can be shown (for a refusal to go ahead without one), or undefined when one can. */
  readonly whyNoPrompt: string | undefined;
}

export interface ColorInputs {
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** `--no-color` was given. */
  noColorFlag: boolean;
}

/**
 * NO_COLOR (any non-empty value) and --no-color turn colour off; FORCE_COLOR turns it on (FORCE_COLOR=0 off);
 * otherwise colour follows the terminal, and TERM=dumb means none.
 */
export function colorLevel({ isTTY, env, noColorFlag }: ColorInputs): 0 | 1 {
  if (noColorFlag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force === "0" || force === "false" ? 0 : 1;
  if (!isTTY) return 0;
  if (env.TERM === "dumb") return 0;
  return 1;
}

export interface CreateIOOptions {
  stdin: Readable & { isTTY?: boolean };
  out: Writable & { isTTY?: boolean };
  err: Writable & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  noColorFlag?: boolean;
}

const CI_IS_SET = "CI is set, and titan never prompts in CI";

export function createIO(options: CreateIOOptions): IO {
  const isStdinTTY = options.stdin.isTTY === true;
  const isStdoutTTY = options.out.isTTY === true;
  const isStderrTTY = options.err.isTTY === true;
  const noColorFlag = options.noColorFlag ?? false;
  const ci = options.env.CI !== undefined && options.env.CI !== "" && options.env.CI !== "false";
  const outLevel = colorLevel({ isTTY: isStdoutTTY, env: options.env, noColorFlag });
  const errLevel = colorLevel({ isTTY: isStderrTTY, env: options.env, noColorFlag });
  let color: ChalkInstance | undefined;
  let errColor: ChalkInstance | undefined;
  return {
    stdin: options.stdin,
    out: options.out,
    err: options.err,
    isStdinTTY,
    isStdoutTTY,
    isStderrTTY,
    get color() {
      color ??= chalkAt(outLevel);
      return color;
    },
    get errColor() {
      errColor ??= chalkAt(errLevel);
      return errColor;
    },
    canPrompt: isStdinTTY && isStdoutTTY && !ci,
    whyNoPrompt: !isStdinTTY || !isStdoutTTY ? "there is no terminal to ask on" : ci ? CI_IS_SET : undefined,
  };
}

/**
 * Settles once everything written to `stream` so far has been handed to the system (the pipe, the file, the
 * terminal), or failed to be, and the stream's error listeners have heard of any failure: then the command's
 * signal says whether the reader went away (or stdout cannot be written) before the output was delivered.
 */
export function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    stream.write("", () => setImmediate(resolve));
  });
}

/**
 * For a command whose job is its stdout, before it says it succeeded: waits for the output to be delivered and
 * stops the command (throwing the signal's reason) when its reader went away or stdout failed meanwhile.
 */
export async function outputDelivered(io: IO, signal: AbortSignal): Promise<void> {
  await flushed(io.out);
  signal.throwIfAborted();
}

/** Writes one line to a stream. */
export function writeLine(stream: Writable, line = ""): void {
  stream.write(`${line}\n`);
}
