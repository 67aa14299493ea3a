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
    .addHelpText(
      "after",
      `\nExample:\n  titan scale api 6 --yes\n\nExit codes: 0 scaled (or nothing to change, or declined), 2 usage error or an app titan does not know,\n4 does not fit, 5 failed and rolled back, 6 failed (not rolled back), 7 --timeout passed, 8 an image could not be\npinned (nothing changed), 10 refused outside an app's disruption windows (it would replace instances a failed\nrelease left), 130 interrupted (re-run to resume), 1 other errors (also a lock another deploy holds).`,
    )
    .action(
      flagAction(ctx, replacingFlagTable, async (env, opts, app: string, count: string) => {
        const { runScale } = await import("./run.js");
        return runScale(env, app, count, opts);
      }),
    );
}
