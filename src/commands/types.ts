import type { Env } from "../cli/env.js";

/** What a command's registration needs: the environment (built after global flags are parsed) and a result sink. */
export interface CommandContext {
  /** The environment, built on first use from the parsed global flags. */
  env(): Env;
  /** Records the exit code a command's run function decided (0 unless it says otherwise). */
  setExitCode(code: number): void;
}

/** The run function of every command: does the work and returns the exit code, or throws a TitanError. */
export type RunResult = Promise<number | undefined>;

/** Wraps a lazily imported run function as a commander action. */
export function lazyAction<A extends unknown[]>(
  ctx: CommandContext,
  run: (env: Env, ...args: A) => RunResult,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await run(ctx.env(), ...args);
    ctx.setExitCode(code ?? 0);
  };
}
