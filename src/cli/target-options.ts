import { valueFlag } from "./flags.js";

/**
 * The flags that pick the cluster a command acts on. Every command that talks to a cluster takes them after its
 * name, and titan takes them before the command too (`titan --context prod ps`).
 */
export const targetFlagTable = {
  context: valueFlag(
    "--context <name>",
    "the context to use (env TITAN_CONTEXT; default: current context, else local)",
  ),
  master: valueFlag(
    "--master <urls>",
    "master URL(s), comma-separated; overrides the context's (env TITAN_MASTER)",
  ),
  region: valueFlag(
    "--region <region>",
    "the region (required when the apps name several; env TITAN_REGION)",
  ),
} as const;
