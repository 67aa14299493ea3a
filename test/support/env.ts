import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { type Clock, type Env, withTargets } from "../../src/cli/env.js";
import { createIO } from "../../src/cli/io.js";
import { platformPaths } from "../../src/cli/paths.js";
import type { Prompter } from "../../src/cli/prompter.js";
import { tempDir } from "./tmp.js";

/** One scripted answer: the first unused answer whose `match` occurs in the prompt's message is given. */
export interface ScriptedAnswer {
  match: string | RegExp;
  answer: string | boolean;
}

export interface ScriptedPrompter extends Prompter {
  /** Every message asked, in order. */
  readonly asked: string[];
}

/** A prompter that answers from a script and fails the test on any question the script does not expect. */
export function scriptedPrompter(script: readonly ScriptedAnswer[]): ScriptedPrompter {
  const remaining = [...script];
  const asked: string[] = [];
  const next = (message: string): string | boolean => {
    asked.push(message);
    const index = remaining.findIndex((s) =>
      typeof s.match === "string" ? message.includes(s.match) : s.match.test(message),
    );
    const found = remaining[index];
    if (!found) throw new Error(`unexpected prompt: ${message}`);
    remaining.splice(index, 1);
    return found.answer;
  };
  return {
    asked,
    async confirm(message) {
      const answer = next(message);
      if (typeof answer !== "boolean") throw new Error(`prompt "${message}" expects a boolean answer`);
      return answer;
    },
    async input(message, options = {}) {
      const answer = next(message);
      if (typeof answer !== "string") throw new Error(`prompt "${message}" expects a text answer`);
      const value = answer === "" ? (options.default ?? "") : answer;
      const verdict = options.validate?.(value) ?? true;
      if (verdict !== true)
        throw new Error(`scripted answer ${JSON.stringify(value)} was refused: ${verdict}`);
      return value;
    },
    async select(message, choices) {
      const answer = next(message);
      const choice = choices.find((c) => c.value === answer);
      if (!choice) throw new Error(`prompt "${message}" has no choice ${String(answer)}`);
      return choice.value;
    },
  };
}

export interface TestEnvOptions {
  /** Working directory; a fresh temp directory when absent. */
  cwd?: string;
  vars?: Record<string, string | undefined>;
  /** Text on stdin (ended). */
  stdin?: string;
  /** Pretend stdin and stdout are terminals (so io.canPrompt holds unless CI is set). */
  tty?: boolean;
  answers?: readonly ScriptedAnswer[];
  debug?: boolean;
  /** The clock's fixed time in ms since the epoch. */
  now?: number;
  signal?: AbortSignal;
}

export interface TestEnv {
  env: Env;
  prompter: ScriptedPrompter;
  /** Everything written to stdout so far. */
  out(): string;
  /** Everything written to stderr so far. */
  err(): string;
}

function capture(stream: PassThrough): () => string {
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return () => text;
}

/**
 * An in-memory Env: captured streams, colour off, platform directories under a temp directory, a fixed clock, a
 * signal that never aborts unless given, and a scripted prompter.
 */
export function testEnv(options: TestEnvOptions = {}): TestEnv {
  const home = tempDir("titan-env-");
  const cwd = options.cwd ?? join(home, "work");
  mkdirSync(cwd, { recursive: true });
  const vars: Record<string, string | undefined> = {
    NO_COLOR: "1",
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_STATE_HOME: join(home, "state"),
    XDG_DATA_HOME: join(home, "data"),
    XDG_CACHE_HOME: join(home, "cache"),
    ...options.vars,
  };
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  stdin.end(options.stdin ?? "");
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  const out = capture(stdout);
  const err = capture(stderr);
  const io = createIO({ stdin, out: stdout, err: stderr, env: vars });
  const prompter = scriptedPrompter(options.answers ?? []);
  const now = options.now ?? Date.UTC(2026, 0, 1);
  const clock: Clock = { now: () => now };
  const env: Env = withTargets({
    io,
    vars,
    cwd,
    paths: platformPaths(vars, "linux", home),
    clock,
    debug: options.debug === true,
    signal: options.signal ?? new AbortController().signal,
    prompter: () => prompter,
  });
  return { env, prompter, out, err };
}
