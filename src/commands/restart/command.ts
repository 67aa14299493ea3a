import type { Command } from "commander";
import { type ApplyFlags, withApplyOptions } from "../deploy/options.js";
import { type CommandContext, lazyAction } from "../types.js";

export function registerRestart(program: Command, ctx: CommandContext): void {
  withApplyOptions(
    program
      .command("restart")
      .description(
        "replace every instance of an app with a fresh one, rolling, with the deploy's health gates",
      )
      .argument("<app>", "the app"),
  )
    .addHelpText("after", "\nExample:\n  titan restart api --yes")
    .action(
      lazyAction(ctx, async (env, app: string, opts: ApplyFlags) => {
        const { runRestart } = await import("./run.js");
        return runRestart(env, app, opts);
      }),
    );
}
