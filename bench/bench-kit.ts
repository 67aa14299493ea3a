import { fork } from "node:child_process";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { type Env, systemClock, withTargets } from "../src/cli/env.js";
import { createIO } from "../src/cli/io.js";
import { platformPaths } from "../src/cli/paths.js";

/** What the benches that run titan's commands in-process share (not a bench itself: its name has a hyphen). */

/** A stdout that counts what it is given and keeps nothing. */
export function countingSink(): { stream: Writable; bytes(): number } {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  return { stream, bytes: () => bytes };
}

/** The environment of a command run in a bench: its own home, stdout `out`, stderr counted away, no prompts. */
export function benchEnv(out: Writable, home: string): Env {
  const vars = { NO_COLOR: "1", XDG_CONFIG_HOME: join(home, "config"), XDG_DATA_HOME: join(home, "data") };
  const stdin = new PassThrough();
  stdin.end();
  const io = createIO({ stdin, out, err: countingSink().stream, env: vars });
  return withTargets({
    io,
    vars,
    cwd: home,
    paths: platformPaths(vars, "linux", home),
    clock: systemClock,
    debug: false,
    signal: new AbortController().signal,
    prompter: () => {
      throw new Error("no prompts in a benchmark");
    },
  });
}

/** Runs `module` (a bench file) in a child process with `args`; resolves with the one message it sends back. */
export function measureInChild<T>(module: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(module, [...args], { stdio: "inherit" });
    child.once("message", (message) => resolve(message as T));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`the measurement ${args.join(" ")} exited ${code}`));
    });
  });
}

/**
 * `rounds` rounds, each measuring every kind once in a child process of `module` (`--measure KIND …args`), each
 * round starting with the next kind so that none always follows the same one (the server's collection of its last
 * answer overlaps the next measurement); the samples of each kind in round order.
 */
export async function measureRounds<K extends string, S>(
  module: string,
  kinds: readonly K[],
  rounds: number,
  args: readonly string[],
): Promise<Map<K, S[]>> {
  const samples = new Map<K, S[]>(kinds.map((k) => [k, []]));
  for (let i = 0; i < rounds; i += 1) {
    for (let j = 0; j < kinds.length; j += 1) {
      const kind = kinds[(i + j) % kinds.length] as K;
      samples.get(kind)?.push(await measureInChild<S>(module, ["--measure", kind, ...args]));
    }
  }
  return samples;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2 : (sorted[mid] ?? 0);
}
