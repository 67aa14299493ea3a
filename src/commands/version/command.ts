import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export interface VersionOptions {
  json: boolean;
}

export function registerVersion(program: Command, ctx: CommandContext): void {
  program
    .command("version")
    .description("print titan's version and the Node.js it runs on")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nExamples:\n  titan version\n  titan version --json")
    .action(
      lazyAction(ctx, async (env, opts: { json?: boolean }) => {
        const { runVersion } = await import("./run.js");
        return runVersion(env, { json: opts.json === true });
      }),
    );
}
