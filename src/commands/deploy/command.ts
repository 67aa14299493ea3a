import type { Command } from "commander";
import { targetFlags } from "../../cli/target-options.js";
import { type CommandContext, lazyAction } from "../types.js";
import type { ApplyFlags } from "./options.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const HELP = `
Examples:
  titan deploy                                  deploy ./titan.yaml to the current context (asks first)
  titan deploy -f api.yaml --region us-east --yes
  titan plan -f api.yaml --out plan.json && titan deploy -f api.yaml --plan plan.json --yes
  titan deploy --json --yes | jq -c 'select(.type=="healthy")'

A deploy shows the plan, asks for confirmation (on a terminal; otherwise pass --yes), then rolls every changed
app out: new instances start within max_surge, old ones stop only once their replacements are healthy for
min_healthy_time, and a release that misses its health deadlines is rolled back (unless --no-auto-rollback).
Ctrl-C stops starting new work and leaves what runs; run the same command again to resume.

Exit codes: 0 deployed, 2 usage error or invalid manifest, 4 does not fit, 5 failed and rolled back,
6 failed (not rolled back), 7 --timeout passed, 130 interrupted, 1 other errors.`;

export function registerDeploy(program: Command, ctx: CommandContext): void {
  program
    .command("deploy")
    .description("deploy the manifests to the cluster: plan, confirm, then a health-gated rolling update")
    .option("-f, --file <file>", "manifest file, repeatable; - reads stdin (default: titan.yaml)", collect)
    .option("--region <region>", "the region to deploy (required when the manifests name several)")
    .option("--context <name>", "the context to deploy to (env TITAN_CONTEXT; default: current, else local)")
    .option("--master <urls>", "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)")
    .option("-y, --yes", "deploy without asking (required without a terminal)")
    .option("--json", "print the plan and then one JSON event per line (NDJSON) on stdout")
    .option("--timeout <duration>", "give up waiting after this long (exit 7); what runs keeps running")
    .option(
      "--plan <file>",
      "deploy exactly this plan from `titan plan --out`; refused if anything changed since",
    )
    .option("--force-unlock", "take the app's deploy lock even from a live holder (says whose it was)")
    .option("--no-auto-rollback", "on failure stop where the rollout is (exit 6) instead of rolling back")
    .option(
      "--failover-timeout <duration>",
      "how long Mesos keeps the app's tasks while titan is away (env TITAN_FAILOVER_TIMEOUT; default 168h)",
    )
    .addHelpText("after", HELP)
    .action(
      lazyAction(
        ctx,
        async (env, opts: ApplyFlags & { file?: string[]; plan?: string; failoverTimeout?: string }) => {
          const { runDeploy } = await import("./run.js");
          return runDeploy(env, {
            files: opts.file ?? [],
            yes: opts.yes === true,
            json: opts.json === true,
            forceUnlock: opts.forceUnlock === true,
            autoRollback: opts.autoRollback !== false,
            ...targetFlags(opts),
            ...(opts.timeout === undefined ? {} : { timeout: opts.timeout }),
            ...(opts.plan === undefined ? {} : { plan: opts.plan }),
            ...(opts.failoverTimeout === undefined ? {} : { failoverTimeout: opts.failoverTimeout }),
          });
        },
      ),
    );
}
