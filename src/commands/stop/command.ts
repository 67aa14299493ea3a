import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { applyFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const stopFlagTable = {
  purge: switchFlag("--purge", "after stopping, tear the framework down and forget the app's releases"),
  ...applyFlagTable,
} as const;

export type StopOptions = OptionsOf<typeof stopFlagTable>;

export function registerStop(program: Command, ctx: CommandContext): void {
  const command = program
    .command("stop")
    .description(
      "stop every instance of one or more apps; --purge also removes their Mesos frameworks and titan's records",
    )
    .argument("<apps...>", "the apps");
  addFlags(command, stopFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan stop api --yes\n  titan stop web ticker --yes        both, in one plan and one confirmation\n  titan stop api --purge --yes",
    )
    .action(
      flagAction(ctx, stopFlagTable, async (env, opts, apps: string[]) => {
        const { runStop } = await import("./run.js");
        return runStop(env, apps, opts);
      }),
    );
}
