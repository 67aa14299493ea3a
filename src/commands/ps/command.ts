import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const psFlagTable = {
  allRegions: switchFlag("--all-regions", "one section per region mapped in the config"),
  all: switchFlag("-a, --all", "also show instances that ended (their last run; health shown as -)"),
  json: switchFlag("--json", "print JSON (NDJSON with --watch)"),
  watch: switchFlag("-w, --watch", "keep polling and show changes until Ctrl-C"),
  interval: valueFlag("--interval <duration>", "poll interval for --watch, e.g. 2s (default 2s)"),
  ...targetFlagTable,
} as const;

export type PsOptions = OptionsOf<typeof psFlagTable> & { apps: string[] };

const HELP = `
Examples:
  titan ps                          every titan app on the current context's cluster
  titan ps api web                  only these apps
  titan ps --all                    also instances that ended (crashed, scaled down, stopped)
  titan ps --all-regions            one section per region mapped in the config
  titan ps --region eu-west         one region of a context that spans regions (which ps shows all of)
  titan ps api --watch              redraw on change (off a terminal: one timestamped line per change)
  titan ps --json                   one JSON document (with --watch: one per change, NDJSON)

Per app: desired (from the latest release in the cluster's state store, "-" when unknown), running and
healthy, and the Mesos framework that runs it; then one row per instance. Unreachable tasks are shown as
such ("unreachable 3m, may still run"), never as dead. Instances whose runs have all ended are left out unless
--all; an app whose framework was torn down (titan stop --purge) is gone. Ctrl-C ends --watch normally (exit 0).

Exit codes: 0 ok, 1 a cluster or its state store could not be read (the rest is shown), 2 usage error or an app
titan does not know.`;

export function registerPs(program: Command, ctx: CommandContext): void {
  const command = program
    .command("ps")
    .description("show the instances of titan apps: state, health, host and ports, zone, age")
    .argument("[apps...]", "apps to show (default: every titan app)");
  addFlags(command, psFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, psFlagTable, async (env, opts, apps: string[]) => {
        const { runPs } = await import("./run.js");
        return runPs(env, { ...opts, apps });
      }),
    );
}
