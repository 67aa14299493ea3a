import type { Command } from "commander";

/** Flags shared by the commands that change an app (scale, restart, rollback, stop). Cheap: no implementation. */
export function withApplyOptions(command: Command): Command {
  return command
    .option("--region <region>", "the region (required when the app names several)")
    .option("--context <name>", "the context (env TITAN_CONTEXT; default: current, else local)")
    .option("--master <urls>", "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)")
    .option("-y, --yes", "go ahead without asking (required without a terminal)")
    .option("--json", "print the plan and then one JSON event per line (NDJSON) on stdout")
    .option("--timeout <duration>", "give up waiting after this long (exit 7); what runs keeps running")
    .option("--force-unlock", "take the app's deploy lock even from a live holder (says whose it was)")
    .option("--no-auto-rollback", "on failure stop where the rollout is (exit 6) instead of rolling back");
}

export interface ApplyFlags {
  region?: string;
  context?: string;
  master?: string;
  yes?: boolean;
  json?: boolean;
  timeout?: string;
  forceUnlock?: boolean;
  autoRollback?: boolean;
}
