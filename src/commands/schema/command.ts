import type { Command } from "commander";
import { type CommandContext, flagAction } from "../types.js";

export function registerSchema(program: Command, ctx: CommandContext): void {
  program
    .command("schema")
    .description("print the JSON Schema of titan.yaml, for editors that complete and check YAML")
    .addHelpText(
      "after",
      "\nExamples:\n  titan schema > titan.schema.json\n" +
        "  then put this first line in titan.yaml (yaml-language-server,\n" +
        "  e.g. the VS Code YAML extension):\n" +
        "  # yaml-language-server: $schema=./titan.schema.json\n\nExit codes: 0 printed, 2 usage error.",
    )
    .action(
      flagAction(ctx, {}, async (env) => {
        const { runSchema } = await import("./run.js");
        return runSchema(env);
      }),
    );
}
