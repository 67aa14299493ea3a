import type { Command } from "commander";
import { targetFlags } from "../../cli/target-options.js";
import { type CommandContext, lazyAction } from "../types.js";

export interface PlanOptions {
  files: string[];
  snapshot?: string;
  region?: string;
  seed?: string;
  shapes: string[];
  role?: string;
  context?: string;
  master?: string;
  json: boolean;
  out?: string;
  detailedExitcode: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const HELP = `
Examples:
  titan plan --dry-run -f titan.yaml --snapshot state.json --region us-east
  titan plan -f titan.yaml --snapshot state.json --json > plan.json
  titan plan -f titan.yaml --snapshot state.json --out plan.json --detailed-exitcode
  titan plan -f titan.yaml --snapshot state.json --shape 16cpu,64Gi --shape 32cpu,244Gi
  titan plan -f titan.yaml --context prod --region us-east     (live: reads the leading master)
  titan plan -f titan.yaml --master http://10.0.0.5:5050

A plan never changes the cluster; --dry-run is accepted for scripts that say so explicitly.
--snapshot takes the master's GET /master/state JSON or the operator API's GET_STATE response;
without it, the state is read live (GET_STATE) from the target cluster's leading master.

Exit codes: 0 fits, 3 fits and has changes (only with --detailed-exitcode), 4 something does not fit,
2 usage error or invalid manifest, 1 runtime error.`;

export function registerPlan(program: Command, ctx: CommandContext): void {
  program
    .command("plan")
    .description(
      "show what a deploy would change and where every instance would land, without changing anything",
    )
    .option("--dry-run", "only plan (what plan always does; accepted for explicitness)")
    .option("-f, --file <file>", "manifest file, repeatable; - reads stdin (default: titan.yaml)", collect)
    .option("--snapshot <file>", "plan against a cluster snapshot file instead of the live cluster")
    .option("--region <region>", "the region to plan (required when the manifests name several)")
    .option("--seed <n>", "seed for placement tie-breaks; the plan prints the one it used")
    .option("--shape <shape>", "agent shape scale-out may add, e.g. 16cpu,64Gi; repeatable", collect)
    .option(
      "--role <role>",
      "Mesos role titan launches under (default: TITAN_ROLE, the cluster's role, or *)",
    )
    .option(
      "--context <name>",
      "the context to plan against (env TITAN_CONTEXT; default: current, else local)",
    )
    .option("--master <urls>", "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)")
    .option("--json", "print the plan as one JSON document")
    .option("--out <file>", "save the plan as JSON for `titan deploy --plan`")
    .option("--detailed-exitcode", "exit 3 when the plan fits and has changes")
    .addHelpText("after", HELP)
    .action(
      lazyAction(
        ctx,
        async (
          env,
          opts: {
            file?: string[];
            snapshot?: string;
            region?: string;
            seed?: string;
            shape?: string[];
            role?: string;
            context?: string;
            master?: string;
            json?: boolean;
            out?: string;
            detailedExitcode?: boolean;
          },
        ) => {
          const { runPlan } = await import("./run.js");
          return runPlan(env, {
            files: opts.file ?? [],
            shapes: opts.shape ?? [],
            json: opts.json === true,
            detailedExitcode: opts.detailedExitcode === true,
            ...(opts.snapshot === undefined ? {} : { snapshot: opts.snapshot }),
            ...targetFlags(opts),
            ...(opts.seed === undefined ? {} : { seed: opts.seed }),
            ...(opts.role === undefined ? {} : { role: opts.role }),
            ...(opts.out === undefined ? {} : { out: opts.out }),
          });
        },
      ),
    );
}
