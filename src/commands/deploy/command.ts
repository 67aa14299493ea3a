import type { Command } from "commander";
import { addFlags, listFlag, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { appSelectionFlag, replacingFlagTable } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const deployFlagTable = {
  files: listFlag("-f, --file <file>", "manifest file, repeatable; - reads stdin (default: titan.yaml)"),
  only: appSelectionFlag,
  ...replacingFlagTable,
  skipRegion: listFlag(
    "--skip-region <region>",
    "deploy the other regions while this one is down; the release records that it lags (repeatable)",
  ),
  plan: valueFlag(
    "--plan <file>",
    "deploy exactly this plan from `titan plan --out`; refused if anything changed since",
  ),
  detach: switchFlag(
    "--detach",
    "carry the deploy out in the background; return once its release is underway (one app, one region; needs --yes)",
  ),
} as const;

export type DeployOptions = OptionsOf<typeof deployFlagTable>;

const HELP = `
Examples:
  titan deploy                                  deploy ./titan.yaml to the current context (asks first)
  titan deploy -f api.yaml --region us-east --yes
  titan plan -f api.yaml --out plan.json &&
      titan deploy -f api.yaml --plan plan.json --yes
  titan deploy --json --yes | jq -c 'select(.type=="healthy")'
  titan deploy -f api.yaml --yes                every region api names, wave by wave (see docs/regions.md)
  titan deploy -f api.yaml --yes --skip-region ap-south
  titan deploy -f api.yaml --yes --detach && titan status api --wait
  titan deploy -f shop.yaml --app web --yes     only web of a file that names several apps

A deploy shows the plan, asks for confirmation (on a terminal; otherwise pass --yes), then rolls every changed
app out: new instances start within max_surge, old ones stop only once their replacements are healthy for
min_healthy_time, and a release that misses its health deadlines is rolled back (unless --no-auto-rollback).
Ctrl-C stops starting new work and leaves what runs; run the same command again to resume.
titan acts only on the tasks of each app's own framework (its id is in the state store); when another framework
runs an app of the same name (another config or state store), the deploy stops and names it (--adopt takes it
over).
With --detach the deploy runs in a process of its own, which goes on when this terminal closes; titan returns
once that process holds the app's lock with its release recorded (the plan it printed is shown, then its log
file), and \`titan status APP --wait\` follows it to its end and exits as it did.

An app's \`disruption\` budget governs replacing its running instances: outside its windows the deploy shows its
plan and stops with exit 10, changing nothing; under max_per_hour the rollout waits for the hour's allowance.
--override-disruption lifts both and says why (the release keeps the reason). Starting instances and scaling in
are never held.

An app that names several regions is deployed to all of them (unless --region picks one): the rollout's waves in
order, the regions of a wave in parallel, each with its own lock and framework. A region that cannot be reached
refuses the deploy (exit 9) unless --skip-region names it.

Exit codes: 0 deployed, 2 usage error or invalid manifest, 4 does not fit, 5 failed and rolled back,
6 failed (not rolled back), 7 --timeout passed, 8 an image could not be pinned (nothing changed), 9 a region
cannot be reached, 10 refused outside an app's disruption windows, 130 interrupted, 1 other errors.`;

export function registerDeploy(program: Command, ctx: CommandContext): void {
  const command = program
    .command("deploy")
    .description("deploy the manifests to the cluster: plan, confirm, then a health-gated rolling update");
  addFlags(command, deployFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, deployFlagTable, async (env, opts) => {
        const { runDeploy } = await import("./run.js");
        return runDeploy(env, opts);
      }),
    );
}
