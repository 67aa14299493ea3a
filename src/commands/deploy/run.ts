import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { loadManifests, parseDuration } from "../../manifest/index.js";
import { applyApps } from "./apply.js";
import type { DeployOptions } from "./command.js";
import { connect } from "./connect.js";

export async function runDeploy(env: Env, opts: DeployOptions): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  const manifest = await loadManifests(opts.files, { cwd: env.cwd, stdin: env.io.stdin });
  const conn = await connect(env, { ...opts, apps: manifest.apps.map((app) => app.name) });
  try {
    return await applyApps(env, conn, manifest.apps, {
      yes: opts.yes,
      json: opts.json,
      forceUnlock: opts.forceUnlock,
      autoRollback: opts.autoRollback,
      verb: "deploy",
      resume: resumeCommand(opts),
      region: opts.region,
      timeoutMs,
      planFile: opts.plan,
    });
  } finally {
    await conn.close();
  }
}

export function parseTimeout(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value <= 0)
    throw new UsageError(
      `--timeout ${JSON.stringify(text)} is not a positive duration`,
      "e.g. --timeout 10m",
    );
  return parsed.value;
}

function resumeCommand(opts: DeployOptions): string {
  const parts = ["titan deploy"];
  for (const file of opts.files) parts.push(`-f ${file}`);
  if (opts.region !== undefined) parts.push(`--region ${opts.region}`);
  if (opts.context !== undefined) parts.push(`--context ${opts.context}`);
  if (opts.master !== undefined) parts.push(`--master ${opts.master}`);
  return parts.join(" ");
}
