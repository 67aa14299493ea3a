import type { Command } from "commander";
import { type ApplyFlags, withApplyOptions } from "../deploy/options.js";
import { type CommandContext, lazyAction } from "../types.js";

export function registerRollback(program: Command, ctx: CommandContext): void {
  withApplyOptions(
    program
      .command("rollback")
      .description("deploy an earlier release again (default: the one before the running release)")
      .argument("<app>", "the app")
      .option("--to <release>", "the release number to go back to (see `titan releases APP`)"),
  )
    .addHelpText(
      "after",
      "\nThe plan is shown first; the release's stored spec is then deployed as a new release with the same gates.\n\nExamples:\n  titan rollback api\n  titan rollback api --to 3 --yes",
    )
    .action(
      lazyAction(ctx, async (env, app: string, opts: ApplyFlags & { to?: string }) => {
        const { runRollback } = await import("./run.js");
        return runRollback(env, app, opts);
      }),
    );
}
