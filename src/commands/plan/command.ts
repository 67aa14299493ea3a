import type { Command } from "commander";
import { addFlags, listFlag, negatedFlag, type OptionsOf, switchFlag, valueFlag } from "../../cli/flags.js";
import { targetFlagTable } from "../../cli/target-options.js";
import { appSelectionFlag } from "../../release/flags.js";
import { type CommandContext, flagAction } from "../types.js";

export const planFlagTable = {
  dryRun: switchFlag("--dry-run", "only plan (what plan always does; accepted for explicitness)"),
  files: listFlag("-f, --file <file>", "manifest file, repeatable; - reads stdin (default: titan.yaml)"),
  only: appSelectionFlag,
  snapshot: valueFlag(
    "--snapshot <file>",
    "plan against a cluster snapshot file instead of the live cluster",
  ),
  quota: valueFlag(
    "--quota <file>",
    "with a GET_STATE --snapshot: the master's quota (its GET_QUOTA answer), checked as a live plan checks it",
  ),
  seed: valueFlag("--seed <n>", "seed for placement tie-breaks; the plan prints the one it used"),
  shapes: listFlag("--shape <shape>", "agent shape scale-out may add, e.g. 16cpu,64Gi; repeatable"),
  scaleIn: switchFlag(
    "--scale-in",
    "compute scale-in advice on any cluster (by default only up to 1000 agents, where it is cheap)",
  ),
  role: valueFlag(
    "--role <role>",
    "Mesos role titan launches under (default: TITAN_ROLE, the cluster's role, or *)",
  ),
  ...targetFlagTable,
  json: switchFlag("--json", "print the plan as one JSON document"),
  out: valueFlag("--out <file>", "save the plan as JSON for `titan deploy --plan`"),
  detailedExitcode: switchFlag("--detailed-exitcode", "exit 3 when the plan fits and has changes"),
  resolve: negatedFlag(
    "--no-resolve",
    "do not pin images to digests (air-gapped plans); a snapshot plan never resolves",
  ),
} as const;

export type PlanOptions = OptionsOf<typeof planFlagTable>;

const HELP = `
Examples:
  titan plan --dry-run -f titan.yaml --snapshot state.json --region us-east
  titan plan -f titan.yaml --snapshot state.json --json > plan.json
  titan plan -f titan.yaml --snapshot state.json --out plan.json \\
      --detailed-exitcode
  titan plan -f titan.yaml --snapshot state.json \\
      --shape 16cpu,64Gi --shape 32cpu,244Gi
  titan plan -f titan.yaml --snapshot get-state.json --quota get-quota.json \\
      --role web
  titan plan -f titan.yaml --context prod --region us-east     (live: reads the leading master)
  titan plan -f titan.yaml --master http://10.0.0.5:5050

A plan never changes the cluster; --dry-run is accepted for scripts that say so explicitly.
--snapshot takes the master's GET /master/state JSON or the operator API's GET_STATE response;
without it, the state is read live (GET_STATE) from the target cluster's leading master, and so is its
quota (GET_QUOTA), which --quota gives a GET_STATE snapshot plan.
A live plan pins every image tag to a digest in its registry and shows \`tag → sha256:…\`; a missing image
fails the plan (exit 8). --no-resolve skips the registry; a --snapshot plan is offline and never resolves.

Exit codes: 0 fits, 3 fits and has changes (only with --detailed-exitcode), 4 something does not fit,
2 usage error or invalid manifest, 8 an image could not be pinned, 9 a region could not be read (the others
are still planned), 130 interrupted, 1 runtime error.`;

export function registerPlan(program: Command, ctx: CommandContext): void {
  const command = program
    .command("plan")
    .description(
      "show what a deploy would change and where every instance would land, without changing anything",
    );
  addFlags(command, planFlagTable)
    .addHelpText("after", HELP)
    .action(
      flagAction(ctx, planFlagTable, async (env, opts) => {
        const { runPlan } = await import("./run.js");
        return runPlan(env, opts);
      }),
    );
}
