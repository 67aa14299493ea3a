import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export interface ValidateOptions {
  files: string[];
  json: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerValidate(program: Command, ctx: CommandContext): void {
  program
    .command("validate")
    .description("check manifests and report every problem at once (exit 2 when invalid)")
    .option(
      "-f, --file <file>",
      "manifest to check; repeatable; - reads stdin (default: ./titan.yaml)",
      collect,
      [],
    )
    .option("--json", "print the result, or the list of problems, as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  titan validate\n  titan validate -f api.yaml -f web.yaml\n  cat titan.yaml | titan validate -f -\n  titan validate --json",
    )
    .action(
      lazyAction(ctx, async (env, opts: { file: string[]; json?: boolean }) => {
        const { runValidate } = await import("./run.js");
        return runValidate(env, { files: opts.file, json: opts.json === true });
      }),
    );
}
