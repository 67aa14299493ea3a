import type { Command } from "commander";
import { addFlags, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { type CommandContext, flagAction } from "../types.js";

export const statusFlagTable = {
  json: switchFlag("--json", "print one JSON document"),
  wait: switchFlag(
    "--wait",
    "first wait until the apps' deploys end, then exit as the first listed app's that did not end deployed",
  ),
  timeout: valueFlag("--timeout <duration>", "with --wait: stop waiting after this long (exit 7)"),
  ...targetFlagTable,
} as const;

export type StatusOptions = OptionsOf<typeof statusFlagTable>;

const HELP = `
Examples:
  titan status                        every app the context's state store knows, one line each
  titan status api
  titan status api --json
  titan status api --wait             block until the running deploy of api ends (a teammate's, CI's, a detached one)
  titan status api --wait --timeout 15m
  titan status api web worker --wait  every app's deploy, e.g. after deploying several with --detach

One line per app: ok, degraded (fewer healthy instances than wanted, or some running another release's spec),
deploying, interrupted, stopping (nothing wanted, tasks still being killed), stopped or unknown; desired, running
(and stopping) and healthy counts; the running release with its
image and spec digest; the last deploy and its outcome. With --wait, while the newest release is pending and a
deploy holds the app's lock, titan waits (saying on stderr what the deploy waits for, as its progress record
tells), then answers as above and exits as the deploy did: 0 deployed, 5 rolled back, 6 failed; 130 when the
release is pending but no deploy carries it out (it was interrupted: re-run the command the release names to
resume it), 7 when --timeout passes first. Several apps are waited for together; the exit code is that of the
first listed app whose deploy did not end deployed. With --json, one app named is its document; several, or
none named, are {"apps": [...]}. Without an app, the apps are those the state store of the context (of each
region, for a context that spans regions) holds releases of, in name order.
Exit codes: 0 answered (whatever the verdict; --json has "ok"), 1 the cluster could not be read, 2 usage error
or an app titan does not know; with --wait also 5, 6, 7 and 130 as above.`;

export function registerStatus(program: Command, ctx: CommandContext): void {
  const command = program
    .command("status")
    .description("say in one line per app whether it is OK: counts, running release, last deploy")
    .argument("[apps...]", "the apps (none: every app the context's state store knows)");
  addFlags(command, statusFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, statusFlagTable, async (env, opts, apps: string[]) => {
        const { runStatus } = await import("./run.js");
        return runStatus(env, apps, opts);
      }),
    );
}
