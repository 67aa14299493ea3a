import type { Command } from "commander";
import { addFlags, defaultedFlag, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const DEFAULT_LISTEN = "127.0.0.1:9470";

export const superviseFlagTable = {
  all: switchFlag("-a, --all", "supervise every app in the state store (also apps deployed later)"),
  json: switchFlag("--json", "log JSON lines instead of text"),
  listen: defaultedFlag(
    "--listen <host:port>",
    "where /healthz and /metrics answer (port 0: any free port; off: nowhere)",
    DEFAULT_LISTEN,
  ),
  unreachableGrace: defaultedFlag(
    "--unreachable-grace <duration>",
    "how long an unreachable instance may still run before it is replaced",
    "5m",
  ),
  reconcileInterval: defaultedFlag(
    "--reconcile-interval <duration>",
    "between periodic reconciliations (explicit, then implicit)",
    "15m",
  ),
  brakeCount: defaultedFlag(
    "--brake-count <n>",
    "disaster brake: instances lost within the window that stop relaunches, at least",
    "3",
  ),
  brakeFraction: defaultedFlag(
    "--brake-fraction <percent>",
    "disaster brake: ... and at least this share of the app's instances",
    "30%",
  ),
  brakeWindow: defaultedFlag("--brake-window <duration>", "disaster brake: the window losses count in", "1m"),
  failoverTimeout: valueFlag(
    "--failover-timeout <duration>",
    "the frameworks' failover timeout when the supervisor subscribes them (default 168h; env TITAN_FAILOVER_TIMEOUT)",
  ),
  ...targetFlagTable,
} as const;

export type SuperviseOptions = OptionsOf<typeof superviseFlagTable> & { apps: string[] };

const HELP = `
Examples:
  titan supervise web api               keep these apps at their desired state until Ctrl-C
  titan supervise --all --json          every app in the state store, JSON lines on stdout
  titan supervise --all --listen 0.0.0.0:9470   metrics for a Prometheus on another host

Runs in the foreground. Per app it holds the app's Mesos framework (so the failover timeout never passes while it
runs), reconciles on start and every --reconcile-interval, relaunches instances that end with the app's restart
backoff, replaces an unreachable instance after --unreachable-grace and kills the surplus when it comes back, and
stops relaunching (the disaster brake) when too many instances are lost at once. It steps aside while a deploy
holds an app's lock. Desired state: the app's newest deployed release (a stopped app wants 0 instances).
Several supervisors may run: one leads each app, the others wait. /healthz and /metrics answer on --listen.
SIGINT/SIGTERM stop it cleanly: leads are given up, tasks keep running, frameworks stay.

Exit codes: 0 stopped by a signal, 1 runtime error, 2 usage error or an app titan does not know.`;

export function registerSupervise(program: Command, ctx: CommandContext): void {
  const command = program
    .command("supervise")
    .description("keep apps at their desired state: relaunch, reconcile, hold their frameworks (foreground)")
    .argument("[apps...]", "the apps to supervise (or --all)");
  addFlags(command, superviseFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, superviseFlagTable, async (env, opts, apps: string[]) => {
        const { runSupervise } = await import("./run.js");
        return runSupervise(env, { ...opts, apps });
      }),
    );
}
