import type { Command } from "commander";
import { addFlags, listFlag, type OptionsOf, switchFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const validateFlagTable = {
  files: listFlag(
    "-f, --file <file>",
    "manifest to check; repeatable; - reads stdin (default: ./titan.yaml)",
  ),
  json: switchFlag("--json", "print the result, or the list of problems, as JSON"),
} as const;

export type ValidateOptions = OptionsOf<typeof validateFlagTable>;

export function registerValidate(program: Command, ctx: CommandContext): void {
  const command = program
    .command("validate")
    .description("check manifests and report every problem at once (exit 2 when invalid)");
  addFlags(command, validateFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan validate\n  titan validate -f api.yaml -f web.yaml\n  cat titan.yaml | titan validate -f -\n  titan validate --json" +
        "\n\nExit codes: 0 valid (warnings do not fail it), 2 invalid or unreadable manifests, or a usage error, 1 other\n" +
        "errors.",
    )
    .action(
      flagAction(ctx, validateFlagTable, async (env, opts) => {
        const { runValidate } = await import("./run.js");
        return runValidate(env, opts);
      }),
    );
}
