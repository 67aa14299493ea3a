import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const releasesFlagTable = {
  json: switchFlag("--json", "print the releases as one JSON document"),
  ...targetFlagTable,
} as const;

export type ReleasesOptions = OptionsOf<typeof releasesFlagTable>;

export function registerReleases(program: Command, ctx: CommandContext): void {
  const command = program
    .command("releases")
    .description("list an app's releases: number, outcome, image, manifest digest, who and when")
    .argument("<app>", "the app");
  addFlags(command, releasesFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan releases api\n  titan releases api --json\n\nExit codes: 0 listed, 2 usage error or an app titan does not know, 130 interrupted, 1 the state store could not\nbe read (or another error).",
    )
    .action(
      flagAction(ctx, releasesFlagTable, async (env, opts, app: string) => {
        const { runReleases } = await import("./run.js");
        return runReleases(env, app, opts);
      }),
    );
}
