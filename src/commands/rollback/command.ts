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
      "\nThe plan is shown first; the release's stored spec is then deployed as a new release with the same gates.\n--dry-run shows it and stops there.\n\nExamples:\n  titan rollback api --dry-run      what a rollback would change, and where every instance would land\n  titan rollback api\n  titan rollback api --to 3 --yes" +
        "\n\nExit codes: 0 rolled back (or nothing to do, or declined), 2 usage error, an app titan does not know or no\n" +
        "release to go back to, 4 does not fit, 5 failed and rolled back, 6 failed (not rolled back), 7 --timeout passed,\n" +
        "8 an image could not be pinned (nothing changed), 10 refused outside an app's disruption windows,\n" +
        "130 interrupted (re-run to resume), 1 other errors (also a lock another deploy holds).",
    )
    .action(
      flagAction(ctx, rollbackFlagTable, async (env, opts, app: string) => {
        const { runRollback } = await import("./run.js");
        return runRollback(env, app, opts);
      }),
    );
}
