import type { Command } from "commander";
import { addTargetOptions, targetFlags } from "../../cli/target-options.js";
import { type CommandContext, lazyAction } from "../types.js";

export interface PsOptions {
  apps: string[];
  allRegions: boolean;
  json: boolean;
  watch: boolean;
  interval?: string;
  context?: string;
  master?: string;
  region?: string;
}

const HELP = `
Examples:
  titan ps                          every titan app on the current context's cluster
  titan ps api web                  only these apps
  titan ps --all-regions            one section per region mapped in the config
  titan ps api --watch              redraw on change (off a terminal: one timestamped line per change)
  titan ps --json                   one JSON document (with --watch: one per change, NDJSON)

Per app: desired (from the latest release in the cluster's state store, "-" when unknown), running and
healthy; then one row per instance. Unreachable tasks are shown as such ("unreachable 3m, may still run"),
never as dead. Ctrl-C ends --watch normally (exit 0).

Exit codes: 0 ok, 1 a cluster could not be read, 2 usage error.`;

export function registerPs(program: Command, ctx: CommandContext): void {
  const command = program
    .command("ps")
    .description("show the instances of titan apps: state, health, host and ports, zone, age")
    .argument("[apps...]", "apps to show (default: every titan app)")
    .option("--all-regions", "one section per region mapped in the config")
    .option("--region <region>", "the region to read (env TITAN_REGION)")
    .option("--json", "print JSON (NDJSON with --watch)")
    .option("-w, --watch", "keep polling and show changes until Ctrl-C")
    .option("--interval <duration>", "poll interval for --watch, e.g. 2s (default 2s)");
  addTargetOptions(command)
    .addHelpText("after", HELP)
    .action(
      lazyAction(
        ctx,
        async (
          env,
          apps: string[],
          opts: {
            allRegions?: boolean;
            json?: boolean;
            watch?: boolean;
            interval?: string;
            context?: string;
            master?: string;
            region?: string;
          },
        ) => {
          const { runPs } = await import("./run.js");
          return runPs(env, {
            apps,
            allRegions: opts.allRegions === true,
            json: opts.json === true,
            watch: opts.watch === true,
            ...(opts.interval === undefined ? {} : { interval: opts.interval }),
            ...targetFlags(opts),
          });
        },
      ),
    );
}
