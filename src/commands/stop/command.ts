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
      "\nExamples:\n  titan stop api --yes\n  titan stop web ticker --yes        both, in one plan and one confirmation\n  titan stop api --purge --yes" +
        "\n\nExit codes: 0 stopped (or declined; a stop waits for its kills, however long, and never rolls back),\n" +
        "2 usage error or an app titan does not know, 7 --timeout passed, 130 interrupted (re-run to resume),\n" +
        "1 other errors (also a lock another deploy holds, or a teardown that failed).",
    )
    .action(
      flagAction(ctx, stopFlagTable, async (env, opts, apps: string[]) => {
        const { runStop } = await import("./run.js");
        return runStop(env, apps, opts);
      }),
    );
}
