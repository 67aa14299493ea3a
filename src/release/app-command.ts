import { commandLine, targetWords } from "../cli/command-line.js";
import type { Env } from "../cli/env.js";
import type { AppSpec } from "../manifest/types.js";
import type { StateStore } from "../state/types.js";
import { applyApps } from "./apply.js";
import { type Connection, connect } from "./connect.js";
import { overrideReason } from "./disruption.js";
import type { ApplyFlags } from "./flags.js";
import { parseTimeout } from "./timeout.js";

/**
 * Runs a change to one app through the same plan, confirmation and rollout as `titan deploy`: `change` picks the
 * spec (or, for several apps at once, the specs) to deploy from titan's records.
 */
export async function applyToApp(
  env: Env,
  flags: ApplyFlags,
  verb: string,
  /** The command that resumes the change (`titan stop web`), without its target flags: they are added. */
  resume: readonly string[],
  change: (store: StateStore, conn: Connection) => Promise<AppSpec | readonly AppSpec[]>,
): Promise<number> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout);
  const overrideDisruption = overrideReason(flags.overrideDisruption);
  const conn = await connect(env, flags);
  try {
    const specs = await change(conn.store, conn);
    return await applyApps(env, conn, Array.isArray(specs) ? specs : [specs], {
      yes: flags.yes === true,
      json: flags.json === true,
      forceUnlock: flags.forceUnlock === true,
      autoRollback: flags.autoRollback !== false,
      verb,
      resume: commandLine([...resume, ...targetWords(flags)]),
      target: targetWords(flags),
      ...(flags.region === undefined ? {} : { region: flags.region }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(overrideDisruption === undefined ? {} : { overrideDisruption }),
      ...(flags.dryRun === true ? { dryRun: true } : {}),
    });
  } finally {
    await conn.close();
  }
}
