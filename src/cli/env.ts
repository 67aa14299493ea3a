import type { TargetFlags } from "../config/resolve.js";
import type { ClusterTarget } from "../config/target.js";
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
  /**
   * The cluster the command acts on, for its target flags (global ones before the command included): resolved
   * on first use, then the same object for the same flags, so every part of a command talks to one target.
   */
  target(flags: TargetFlags): Promise<ClusterTarget>;
}

/** Completes an environment with its target cache. */
export function withTargets(base: Omit<Env, "target">): Env {
  const env: Env = { ...base, target: targetCache(() => env) };
  return env;
}

/** An `Env.target` that resolves each distinct set of flags once (lazily: the config is read on first use). */
export function targetCache(env: () => Env): (flags: TargetFlags) => Promise<ClusterTarget> {
  const cache = new Map<string, Promise<ClusterTarget>>();
  return (flags) => {
    const key = JSON.stringify([flags.context, flags.master, flags.region, flags.role]);
    let target = cache.get(key);
    if (target === undefined) {
      target = import("../config/target.js").then(({ openTarget }) => openTarget(env(), flags));
      target.catch(() => cache.delete(key));
      cache.set(key, target);
    }
    return target;
  };
}
