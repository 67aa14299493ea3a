import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const statusFlagTable = {
  json: switchFlag("--json", "print one JSON document"),
  ...targetFlagTable,
} as const;

export type StatusOptions = OptionsOf<typeof statusFlagTable>;

const HELP = `
Examples:
  titan status api
  titan status api --json

One line: ok, degraded (fewer healthy instances than wanted), deploying, stopped or unknown; desired, running
and healthy counts; the running release with its image and spec digest; the last deploy and its outcome.
Exit codes: 0 answered (whatever the verdict; --json has "ok"), 1 the cluster could not be read, 2 usage error
or an app titan does not know.`;

export function registerStatus(program: Command, ctx: CommandContext): void {
  const command = program
    .command("status")
    .description("say in one line whether an app is OK: counts, running release, last deploy")
    .argument("<app>", "the app");
  addFlags(command, statusFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, statusFlagTable, async (env, opts, app: string) => {
        const { runStatus } = await import("./run.js");
        return runStatus(env, app, opts);
      }),
    );
}
