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
    .addHelpText(
      "after",
      `\nExample:\n  titan restart api --yes\n\nExit codes: 0 restarted (or a stopped app: nothing to restart, or declined), 2 usage error or an app titan does\nnot know, 4 does not fit, 5 failed and rolled back, 6 failed (not rolled back), 7 --timeout passed, 8 an image\ncould not be pinned (nothing changed), 10 refused outside an app's disruption windows, 130 interrupted (re-run to\nresume), 1 other errors (also a lock another deploy holds).`,
    )
    .action(
      flagAction(ctx, replacingFlagTable, async (env, opts, app: string) => {
        const { runRestart } = await import("./run.js");
        return runRestart(env, app, opts);
      }),
    );
}
