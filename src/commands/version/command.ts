import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const versionFlagTable = { json: switchFlag("--json", "print as JSON") } as const;

export type VersionOptions = OptionsOf<typeof versionFlagTable>;

export function registerVersion(program: Command, ctx: CommandContext): void {
  const command = program.command("version").description("print titan's version and the Node.js it runs on");
  addFlags(command, versionFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan version\n  titan --version\n  titan version --json\n\nExit codes: 0 printed, 2 usage error.",
    )
    .action(
      flagAction(ctx, versionFlagTable, async (env, opts) => {
        const { runVersion } = await import("./run.js");
        return runVersion(env, opts);
      }),
    );
}
