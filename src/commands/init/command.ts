import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export interface InitOptions {
  name?: string;
  image?: string;
  command?: string;
  port?: string;
  instances?: string;
  healthPath?: string;
  file?: string;
  yes: boolean;
  force: boolean;
}

export function registerInit(program: Command, ctx: CommandContext): void {
  program
    .command("init")
    .description("write a commented titan.yaml for a new app (asks on a terminal; flags for scripts)")
    .option("--name <name>", "app name (lowercase letters, digits, '-')")
    .option("--image <image>", "Docker image to run, e.g. registry.example.com/team/api:1.0")
    .option("--command <command>", "command to run (instead of, or inside, the image)")
    .option("--port <name>", 'name of the port the app listens on ("none" for no port)')
    .option("--instances <n>", "how many instances to run")
    .option("--health-path <path>", 'HTTP health check path ("none" for no health check)')
    .option("-f, --file <file>", "where to write (default: ./titan.yaml)")
    .option("-y, --yes", "do not ask; use the flags and defaults for the rest")
    .option("--force", "overwrite an existing file")
    .addHelpText(
      "after",
      "\nExamples:\n  titan init\n  titan init --name api --image registry.example.com/payments/api:1.4.2\n" +
        "  titan init --yes --name worker --command 'python worker.py' --port none",
    )
    .action(
      lazyAction(
        ctx,
        async (env, opts: Omit<InitOptions, "yes" | "force"> & { yes?: boolean; force?: boolean }) => {
          const { runInit } = await import("./run.js");
          return runInit(env, { ...opts, yes: opts.yes === true, force: opts.force === true });
        },
      ),
    );
}
