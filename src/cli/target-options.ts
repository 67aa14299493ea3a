import type { Command } from "commander";

/** The flags every command that talks to a cluster takes. */
export function addTargetOptions(command: Command): Command {
  return command
    .option(
      "--context <name>",
      "the context to use (env TITAN_CONTEXT; default: current context, else local)",
    )
    .option("--master <urls>", "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)");
}
