import type { Command } from "commander";
import { type ApplyFlags, withApplyOptions } from "../deploy/options.js";
import { type CommandContext, lazyAction } from "../types.js";

export function registerStop(program: Command, ctx: CommandContext): void {
  withApplyOptions(
    program
      .command("stop")
      .description(
        "stop every instance of an app; --purge also removes its Mesos framework and titan's records",
      )
      .argument("<app>", "the app")
      .option("--purge", "after stopping, tear the framework down and forget the app's releases"),
  )
    .addHelpText("after", "\nExamples:\n  titan stop api --yes\n  titan stop api --purge --yes")
    .action(
      lazyAction(ctx, async (env, app: string, opts: ApplyFlags & { purge?: boolean }) => {
        const { runStop } = await import("./run.js");
        return runStop(env, app, opts);
      }),
    );
}
