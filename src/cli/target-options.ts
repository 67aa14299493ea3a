import type { Command } from "commander";
import type { TargetFlags } from "../config/resolve.js";

/** The flags every command that talks to a cluster takes. */
export function addTargetOptions(command: Command): Command {
  return command
    .option(
      "--context <name>",
      "the context to use (env TITAN_CONTEXT; default: current context, else local)",
    )
    .option("--master <urls>", "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)");
}

/** The flags a command was given that pick its target, leaving out those it was not given. */
export function targetFlags(opts: {
  context?: string | undefined;
  master?: string | undefined;
  region?: string | undefined;
}): TargetFlags {
  return {
    ...(opts.context === undefined ? {} : { context: opts.context }),
    ...(opts.master === undefined ? {} : { master: opts.master }),
    ...(opts.region === undefined ? {} : { region: opts.region }),
  };
}
