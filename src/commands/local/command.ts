import type { Command } from "commander";
import { type CommandContext, lazyAction } from "../types.js";

export interface LocalUpOptions {
  agents: string;
  agentResources: string;
  zones: string;
  port: string;
  foreground: boolean;
}

export interface LocalStatusOptions {
  json: boolean;
}

const UP_HELP = `
Examples:
  titan local up                                   3 agents, master on 127.0.0.1:5050
  titan local up --agents 5 --zones a,b
  titan local up --agent-resources "cpus:8;mem:16384;disk:50000;ports:[31000-32000]"
  titan local up --foreground                      run in this terminal until Ctrl-C`;

/** `titan local up|status|down`: the embedded Mesos-compatible cluster on this machine. */
export function registerLocal(program: Command, ctx: CommandContext): void {
  const local = program
    .command("local")
    .description("run a Mesos-compatible cluster on this machine (master and agents on 127.0.0.1)")
    .addHelpText(
      "after",
      "\nExamples:\n  titan local up\n  titan local status\n  titan local down\n\nThe built-in `local` context points at it; `titan deploy` starts it when it is not running.",
    );

  local
    .command("up")
    .description("start the local cluster in the background and print its URL")
    .option("--agents <n>", "number of agents", "3")
    .option(
      "--agent-resources <spec>",
      "resources of each agent",
      "cpus:4;mem:8192;disk:20000;ports:[31000-32000]",
    )
    .option("--zones <list>", "zones to spread agents over (comma-separated)", "a,b,c")
    .option("--port <port>", "the master's port (0 picks a free one)", "5050")
    .option("--foreground", "run in this terminal until interrupted", false)
    .addHelpText("after", UP_HELP)
    .action(
      lazyAction(ctx, async (env, opts: LocalUpOptions) => {
        const { runLocalUp } = await import("./up.js");
        return runLocalUp(env, opts);
      }),
    );

  local
    .command("status")
    .description("show the local cluster's agents, their resources and tasks")
    .option("--json", "print as JSON", false)
    .addHelpText("after", "\nExamples:\n  titan local status\n  titan local status --json")
    .action(
      lazyAction(ctx, async (env, opts: LocalStatusOptions) => {
        const { runLocalStatus } = await import("./status.js");
        return runLocalStatus(env, opts);
      }),
    );

  local
    .command("down")
    .description("stop every task and the local cluster")
    .addHelpText("after", "\nExamples:\n  titan local down")
    .action(
      lazyAction(ctx, async (env) => {
        const { runLocalDown } = await import("./down.js");
        return runLocalDown(env);
      }),
    );
}
