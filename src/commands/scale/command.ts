import type { Command } from "commander";
import { type ApplyFlags, withApplyOptions } from "../deploy/options.js";
import { type CommandContext, lazyAction } from "../types.js";

export function registerScale(program: Command, ctx: CommandContext): void {
  withApplyOptions(
    program
      .command("scale")
      .description(
        "change how many instances of an app run (a deploy of its running release with a new count)",
      )
      .argument("<app>", "the app")
      .argument("<count>", "the number of instances"),
  )
    .addHelpText("after", "\nExample:\n  titan scale api 6 --yes")
    .action(
      lazyAction(ctx, async (env, app: string, count: string, opts: ApplyFlags) => {
        const { runScale } = await import("./run.js");
        return runScale(env, app, count, opts);
      }),
    );
}
