import type { Command } from "commander";
import type { Env } from "../cli/env.js";
import { type FlagTable, type OptionsOf, readFlags } from "../cli/flags.js";

/** What a command's registration needs: the environment (built after global flags are parsed) and a result sink. */
export interface CommandContext {
  /** The environment, built on first use from the parsed global flags. */
  env(): Env;
  /** Records the exit code a command's run function decided (0 unless it says otherwise). */
  setExitCode(code: number): void;
}

/** The run function of every command: does the work and returns the exit code, or throws a TitanError. */
export type RunResult = Promise<number | undefined>;

/**
 * A commander action that reads the command's flags through its table (global flags given before the command
 * included) and calls the lazily imported run function with the options first, then the command's arguments.
 */
export function flagAction<T extends FlagTable, A extends unknown[]>(
  ctx: CommandContext,
  table: T,
  run: (env: Env, opts: OptionsOf<T>, ...args: A) => RunResult,
): (...commanderArgs: unknown[]) => Promise<void> {
  return async (...commanderArgs: unknown[]) => {
    // commander calls an action with the declared arguments, then the parsed options, then the command.
    const command = commanderArgs.at(-1) as Command;
    const args = commanderArgs.slice(0, -2) as A;
    const code = await run(ctx.env(), readFlags(table, command), ...args);
    ctx.setExitCode(code ?? 0);
  };
}
