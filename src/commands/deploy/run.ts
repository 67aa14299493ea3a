import { deployCommandLine, targetWords } from "../../cli/command-line.js";
import { warningLines } from "../../cli/diagnostics.js";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { checkSecretDelivery } from "../../deploy/environment.js";
import type { AppSpec } from "../../manifest/index.js";
import { loadManifests, selectApps } from "../../manifest/index.js";
import { clusterIsRemote, describeFileFetch, fileFetches, SHIP_HINT } from "../../plan/fetch-locality.js";
import { applyApps } from "../../release/apply.js";
import { connect } from "../../release/connect.js";
import { overrideReason } from "../../release/disruption.js";
import { parseTimeout } from "../../release/timeout.js";
import type { DeployOptions } from "./command.js";
import { checkDetachable, deployDetached, handoffWriter } from "./detach.js";
import { endDetachedRun } from "./detached-run.js";

export async function runDeploy(env: Env, opts: DeployOptions): Promise<number> {
  // Started by `--detach`: a wait for this deploy learns how it ended from its run record, even when that is
  // before it recorded a release.
  let code: number = ExitCode.Runtime;
  try {
    code = await deploy(env, opts);
    return code;
  } catch (error) {
    code = error instanceof TitanError ? error.exitCode : ExitCode.Runtime;
    throw error;
  } finally {
    endDetachedRun(env.vars, code, env.clock.now());
  }
}

async function deploy(env: Env, opts: DeployOptions): Promise<number> {
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  const overrideDisruption = overrideReason(opts.overrideDisruption);
  const manifest = selectApps(
    await loadManifests(opts.files, { cwd: env.cwd, stdin: env.io.stdin, signal: env.signal }),
    opts.only,
  );
  for (const line of warningLines(manifest.warnings, env.io.errColor)) writeLine(env.io.err, line);
  const { regionsToSpan } = await import("../regions/span.js");
  const regions = await regionsToSpan(env, opts, manifest.apps);
  if (opts.detach) checkDetachable(opts, manifest.apps, regions);
  if (regions !== undefined) {
    const { deployRegions } = await import("./regions.js");
    return deployRegions(env, opts, {
      apps: manifest.apps,
      regions,
      timeoutMs,
      resume: resumeCommand(opts),
      ...(overrideDisruption === undefined ? {} : { overrideDisruption }),
    });
  }
  if (opts.skipRegion.length > 0)
    throw new UsageError(
      "--skip-region applies to a deploy over several regions",
      "drop --region to deploy every region the apps name",
    );
  const { openTarget } = await import("../../config/target.js");
  const target = await openTarget(env, opts);
  try {
    checkSecretDelivery(manifest.apps, target.cluster);
    if (!target.local) checkFetchLocality(env, manifest.apps, await target.masters());
    const [only] = manifest.apps;
    if (opts.detach && only !== undefined) return await deployDetached(env, opts, only.name, target);
  } finally {
    await target.close();
  }
  const conn = await connect(env, { ...opts, apps: manifest.apps.map((app) => app.name), startLocal: true });
  // Started by `--detach`: the process that started this one learns the release from this one.
  const handOff = handoffWriter(env.vars);
  try {
    return await applyApps(env, conn, manifest.apps, {
      yes: opts.yes,
      json: opts.json,
      forceUnlock: opts.forceUnlock,
      autoRollback: opts.autoRollback,
      verb: "deploy",
      resume: resumeCommand(opts),
      target: targetWords(opts),
      region: opts.region,
      timeoutMs,
      planFile: opts.plan,
      ...(overrideDisruption === undefined ? {} : { overrideDisruption }),
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(handOff === undefined ? {} : { onRelease: handOff.release, onEnding: handOff.ending }),
    });
  } finally {
    await conn.close();
  }
}

/**
 * A `file://` fetch is read by the agent from its own disk. Next to the manifest it is a file of this machine, so
 * on a cluster elsewhere the launch could only fail: refused before anything changes. Other file paths may be on
 * every agent (a shared mount): the manifest's own warning, printed above, says so.
 */
function checkFetchLocality(env: Env, apps: readonly AppSpec[], masters: readonly string[]): void {
  if (!clusterIsRemote(masters)) return;
  const fetches = fileFetches(apps, env.cwd);
  const local = fetches.find((f) => f.nextToManifest);
  if (local !== undefined) throw new UsageError(describeFileFetch(local), SHIP_HINT);
}

function resumeCommand(opts: DeployOptions): string {
  return deployCommandLine(
    opts,
    opts.skipRegion.flatMap((region) => ["--skip-region", region]),
  );
}
