import type { Command } from "commander";
import { addFlags } from "../../cli/flags.js";
import { replacingFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export function registerScale(program: Command, ctx: CommandContext): void {
  const command = program
    .command("scale")
    .description("change how many instances of an app run (a deploy of its running release with a new count)")
    .argument("<app>", "the app")
    .argument("<count>", "the number of instances");
  addFlags(command, replacingFlagTable)
    .addHelpText("after", "\nExample:\n  titan scale api 6 --yes")
    .action(
      flagAction(ctx, replacingFlagTable, async (env, opts, app: string, count: string) => {
        const { runScale } = await import("./run.js");
        return runScale(env, app, count, opts);
      }),
    );
}
