import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const topFlagTable = {
  allRegions: switchFlag("--all-regions", "one section per region mapped in the config"),
  json: switchFlag("--json", "print JSON (cores and bytes; NDJSON with --watch)"),
  watch: switchFlag("-w, --watch", "measure again every interval and show each round until Ctrl-C"),
  interval: valueFlag("--interval <duration>", "how long cpu use is measured over, e.g. 5s (default 1s)"),
  ...targetFlagTable,
} as const;

export type TopOptions = OptionsOf<typeof topFlagTable> & { apps: string[] };

const HELP = `
Examples:
  titan top                         cpu and memory of every running instance of every titan app
  titan top web                     only this app
  titan top web --interval 10s      cpu use averaged over 10 s
  titan top --json                  one JSON document: cores and bytes per instance and per app
  titan top web --watch             redraw every second (off a terminal: each round under its time)

Each agent is asked for its containers' resource statistics (GET_CONTAINERS) twice, --interval apart: CPU is
the cores an instance kept busy between the two samples (user and system time), MEM its resident memory at the
second; CPU beside the cores the container was given and MEM beside its memory limit, both of which for a
command task include the executor's own share (Mesos adds 0.1 cpus and 32 MiB). A hard cpu cap, when the task
sets one, is named too. An agent that gives no figures leaves its instances without them, said on their rows.

Exit codes: 0 ok (also --watch ended with Ctrl-C), 1 the cluster could not be read, 2 usage error or an app
titan does not know, 130 interrupted before the figures were shown.`;

export function registerTop(program: Command, ctx: CommandContext): void {
  const command = program
    .command("top")
    .description(
      "show the cpu and memory the running instances of titan apps use, beside what they were given",
    )
    .argument("[apps...]", "apps to show (default: every titan app)");
  addFlags(command, topFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, topFlagTable, async (env, opts, apps: string[]) => {
        const { runTop } = await import("./run.js");
        return runTop(env, { ...opts, apps });
      }),
    );
}
