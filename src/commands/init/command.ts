import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const initFlagTable = {
  name: valueFlag("--name <name>", "app name (lowercase letters, digits, '-')"),
  image: valueFlag("--image <image>", "Docker image to run, e.g. registry.example.com/team/api:1.0"),
  command: valueFlag("--command <command>", "command to run (instead of, or inside, the image)"),
  port: valueFlag("--port <name>", 'name of the port the app listens on ("none" for no port)'),
  instances: valueFlag("--instances <n>", "how many instances to run"),
  healthPath: valueFlag("--health-path <path>", 'HTTP health check path ("none" for no health check)'),
  file: valueFlag("-f, --file <file>", "where to write (default: ./titan.yaml)"),
  yes: switchFlag("-y, --yes", "do not ask; use the flags and defaults for the rest"),
  force: switchFlag("--force", "overwrite an existing file"),
} as const;

export type InitOptions = OptionsOf<typeof initFlagTable>;

export function registerInit(program: Command, ctx: CommandContext): void {
  const command = program
    .command("init")
    .description("write a commented titan.yaml for a new app (asks on a terminal; flags for scripts)");
  addFlags(command, initFlagTable)
    .addHelpText(
      "after",
      "\nExamples:\n  titan init\n  titan init --name api --image registry.example.com/payments/api:1.4.2\n" +
        "  titan init --yes --name worker --command 'python worker.py' --port none" +
        "\n\nExit codes: 0 written, 2 usage error, an answer that is not valid, missing answers without a terminal, or a\n" +
        "file that exists (without --force) or cannot be written, 130 interrupted at a question, 1 other errors.",
    )
    .action(
      flagAction(ctx, initFlagTable, async (env, opts) => {
        const { runInit } = await import("./run.js");
        return runInit(env, opts);
      }),
    );
}
