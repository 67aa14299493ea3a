import type { Command } from "commander";
import { addFlags, type OptionsOf, valueFlag } from "../../cli/flags.js";
import { replacingFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const rollbackFlagTable = {
  to: valueFlag("--to <release>", "the release number to go back to (see `titan releases APP`)"),
  ...replacingFlagTable,
} as const;

export type RollbackOptions = OptionsOf<typeof rollbackFlagTable>;

export function registerRollback(program: Command, ctx: CommandContext): void {
  const command = program
    .command("rollback")
    .description("deploy an earlier release again (default: the one before the running release)")
    .argument("<app>", "the app");
  addFlags(command, rollbackFlagTable)
    .addHelpText(
      "after",
      "\nThe plan is shown first; the release's stored spec is then deployed as a new release with the same gates.\n--dry-run shows it and stops there.\n\nExamples:\n  titan rollback api --dry-run      what a rollback would change, and where every instance would land\n  titan rollback api\n  titan rollback api --to 3 --yes",
    )
    .action(
      flagAction(ctx, rollbackFlagTable, async (env, opts, app: string) => {
        const { runRollback } = await import("./run.js");
        return runRollback(env, app, opts);
      }),
    );
}
