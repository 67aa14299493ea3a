import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export function registerReleases(program: Command, ctx: CommandContext): void {
  program
    .command("releases")
    .description("list an app's releases: number, outcome, image, manifest digest, who and when")
    .argument("<app>", "the app")
    .option("--context <name>", "the context (env TITAN_CONTEXT; default: current, else local)")
    .option("--region <region>", "the region whose cluster keeps the records")
    .option("--json", "print the releases as one JSON document")
    .addHelpText("after", "\nExamples:\n  titan releases api\n  titan releases api --json")
    .action(
      lazyAction(
        ctx,
        async (env, app: string, opts: { context?: string; region?: string; json?: boolean }) => {
          const { runReleases } = await import("./run.js");
          return runReleases(env, app, opts);
        },
      ),
    );
}
