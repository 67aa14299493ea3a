import type { Command } from "commander";
import { addFlags } from "../../cli/flags.js";
import { replacingFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export function registerRestart(program: Command, ctx: CommandContext): void {
  const command = program
    .command("restart")
    .description("replace every instance of an app with a fresh one, rolling, with the deploy's health gates")
    .argument("<app>", "the app");
  addFlags(command, replacingFlagTable)
    .addHelpText("after", "\nExample:\n  titan restart api --yes")
    .action(
      flagAction(ctx, replacingFlagTable, async (env, opts, app: string) => {
        const { runRestart } = await import("./run.js");
        return runRestart(env, app, opts);
      }),
    );
}
