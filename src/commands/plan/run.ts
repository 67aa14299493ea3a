import { writeFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { commandLine, deployCommandLine } from "../../cli/command-line.js";
import { warningLines } from "../../cli/diagnostics.js";
import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { writeJson } from "../../cli/json-out.js";
import { checkOutputDir, outputFileError } from "../../cli/output-file.js";
import { SnapshotFileSource } from "../../cluster/file-source.js";
import { agentsScheduledForMaintenance } from "../../cluster/maintenance.js";
import { OwnedSource } from "../../cluster/owned-source.js";
import type { ClusterStateSource } from "../../cluster/types.js";
import { roleFlag } from "../../config/role.js";
import type { ClusterConfig } from "../../config/types.js";
import { checkSecretDelivery } from "../../deploy/environment.js";
import { loadManifests, selectApps } from "../../manifest/index.js";
import type { AppSpec } from "../../manifest/types.js";
import { parseShape } from "../../placement/index.js";
import type { AgentShape } from "../../placement/types.js";
import { buildPlan, scaleInWanted } from "../../plan/build.js";
import { withDisruptionWarnings } from "../../plan/disruption.js";
import { clusterIsRemote, describeFileFetch, fileFetches } from "../../plan/fetch-locality.js";
import { planToJson } from "../../plan/json.js";
import { runsInstances } from "../../plan/regions.js";
import { renderPlan } from "../../plan/render.js";
import type { Plan } from "../../plan/types.js";
import { imageLines, imagesToJson, NO_RESOLVE_NOTE } from "../../registry/apps.js";
import type { PinOutcome } from "../../registry/pin.js";
import { otherRunningSpecs } from "../../release/running.js";
import type { Release, StateStore } from "../../state/types.js";
import type { PlanOptions } from "./command.js";
import { sayDoesNotFit } from "./does-not-fit.js";
import { pendingNotes, pendingOf } from "./pending.js";

export async function runPlan(env: Env, opts: PlanOptions): Promise<number> {
  const seed = opts.seed === undefined ? undefined : parseSeed(opts.seed);
  const shapes = opts.shapes.map(parseShapeFlag);
  if (opts.out !== undefined) await checkOutputDir(opts.out, resolve(env.cwd, opts.out));
  const manifest = selectApps(
    await loadManifests(opts.files, { cwd: env.cwd, stdin: env.io.stdin, signal: env.signal }),
    opts.only,
  );
  for (const line of warningLines(manifest.warnings, env.io.errColor)) writeLine(env.io.err, line);
  if (opts.snapshot !== undefined) {
    const { checkGivenRegion } = await import("../regions/span.js");
    await checkGivenRegion(env, opts, manifest.apps);
  } else {
    const { regionsToSpan } = await import("../regions/span.js");
    const regions = await regionsToSpan(env, opts, manifest.apps);
    if (regions !== undefined) {
      if (opts.out !== undefined)
        throw new UsageError(
          "--out saves one region's plan, and these apps span several regions",
          `pass --region with one of: ${regions.join(", ")}`,
        );
      const { planRegions } = await import("./regions.js");
      return planRegions(env, opts, manifest.apps, regions, { seed, shapes });
    }
  }
  const {
    source,
    region: targetRegion,
    cluster,
    masters,
    store,
    local,
  } = await clusterSource(
    env,
    opts,
    manifest.apps.map((app) => app.name),
  );
  if (cluster !== undefined) checkSecretDelivery(manifest.apps, cluster);
  if (masters !== undefined && clusterIsRemote(masters)) {
    // The plan only warns; `titan deploy` refuses a file next to the manifest before changing anything. Other
    // paths on the agents' disks got the manifest's own warning above.
    for (const f of fileFetches(manifest.apps, env.cwd).filter((f) => f.nextToManifest))
      writeLine(
        env.io.err,
        `${env.io.errColor.yellow("warning:")} ${describeFileFetch(f)} (titan deploy refuses this)`,
      );
  }
  const region = opts.region ?? targetRegion;
  const snapshot = await source.read(env.signal);
  // As a deploy plans: instances on agents scheduled for maintenance move off them (their inverse offers ask).
  const draining = await scheduledMaintenance(env, opts).finally(async () => {
    if (opts.snapshot === undefined) await (await env.target(opts)).close();
  });
  const pinned = await pinnedApps(env, opts, cluster, manifest.apps, region);
  const pending = store === undefined ? new Map<string, Release>() : await pendingOf(store, manifest.apps);
  const running = store === undefined ? [] : await otherRunningSpecs(store, snapshot, manifest.apps);
  const built = buildPlan({
    apps: pinned.apps,
    snapshot,
    source: opts.snapshot ?? source.describe(),
    region,
    seed,
    shapes: shapes.length > 0 ? shapes : undefined,
    scaleIn: scaleInWanted(opts.scaleIn, local === true),
    taskUser: cluster?.user,
    ...(running.length === 0 ? {} : { running }),
    ...(draining.size === 0 ? {} : { draining }),
    ...(pending.size === 0 ? {} : { resuming: new Set(pending.keys()) }),
  });
  // Whether a deploy made now may replace what the plan replaces: the only part of a plan that depends on the time.
  const plan = withDisruptionWarnings(built, env.clock.now());

  for (const warning of plan.warnings)
    writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${warning}`);
  const document =
    opts.json || opts.out !== undefined
      ? { ...planToJson(plan), images: imagesToJson(pinned.images) }
      : undefined;
  if (opts.out !== undefined && document) await savePlan(env, opts.out, document);
  if (opts.json && document) writeJson(env.io.out, document);
  else {
    // One write, not one per line: a plan of 50,000 instances has as many lines, and a write to a pipe is a
    // system call.
    writeLine(env.io.out, [...imageLines(pinned.images), ...renderPlan(plan, env.io.color)].join("\n"));
  }
  if (opts.out !== undefined) writeLine(env.io.err, savedPlanLine(opts, opts.out, plan.fits));
  for (const note of pendingNotes(plan, pending)) writeLine(env.io.err, `note: ${note}`);
  if (!plan.fits) sayDoesNotFit(env, [plan], opts.json);
  return exitCodeFor(plan, opts.detailedExitcode);
}

/**
 * Where the plan was saved and the deploy that applies it. `titan deploy` takes no --role: a plan made under one
 * is applied with it in TITAN_ROLE. A plan that does not fit is refused by that deploy, as a fresh one would be.
 */
function savedPlanLine(opts: PlanOptions, out: string, fits: boolean): string {
  if (!fits) return `Saved the plan to ${out}; it does not fit, so a deploy of it is refused`;
  const role = opts.role === undefined ? "" : `${commandLine([`TITAN_ROLE=${opts.role.trim()}`])} `;
  return `Saved the plan to ${out}; apply exactly this plan with: ${role}${deployCommandLine(opts, ["--plan", out])}`;
}

/** 4 when something does not fit (it wins), 3 for changes with --detailed-exitcode, else 0. */
export function exitCodeFor(plan: Pick<Plan, "fits" | "changes">, detailed: boolean): number {
  if (!plan.fits) return ExitCode.DoesNotFit;
  if (detailed && plan.changes) return ExitCode.PlanHasChanges;
  return ExitCode.Ok;
}

/** A live plan pins images to digests first: a missing image fails before anything is planned. */
async function pinnedApps(
  env: Env,
  opts: PlanOptions,
  cluster: ClusterConfig | undefined,
  apps: readonly AppSpec[],
  region: string | undefined,
): Promise<PinOutcome> {
  const hasImages = apps.some((app) => app.image !== undefined);
  if (cluster === undefined || !hasImages) return { apps: [...apps], images: [] };
  if (!opts.resolve) {
    writeLine(env.io.err, env.io.errColor.dim(NO_RESOLVE_NOTE));
    return { apps: [...apps], images: [] };
  }
  const { pinAppImages } = await import("../../registry/apps.js");
  return pinAppImages(env, cluster, apps, [], (app) => runsInstances(app, region));
}

async function clusterSource(
  env: Env,
  opts: PlanOptions,
  apps: readonly string[],
): Promise<{
  source: ClusterStateSource;
  region?: string | undefined;
  cluster?: ClusterConfig;
  masters?: readonly string[];
  /** A live plan's state store: what a deploy would resume. */
  store?: StateStore;
  /** The target is the local cluster's built-in context. */
  local?: boolean;
}> {
  if (opts.quota !== undefined && opts.snapshot === undefined)
    throw new UsageError("--quota goes with --snapshot", "a live plan asks the master for its quota itself");
  if (opts.snapshot !== undefined) {
    if (opts.context !== undefined || opts.master !== undefined) {
      throw new UsageError(
        "--snapshot cannot be combined with --context or --master",
        "plan against one or the other",
      );
    }
    const role = opts.role ?? env.vars.TITAN_ROLE;
    return {
      source: new SnapshotFileSource(
        opts.snapshot,
        env.cwd,
        { role: role === undefined ? "*" : roleFlag(role) },
        opts.quota,
      ),
    };
  }
  const target = await env.target(opts);
  const [live, store] = await Promise.all([target.source(), target.store()]);
  // As a deploy will see it: each app's own framework's tasks; another framework's are shown as a warning.
  const source = new OwnedSource(live, store, { apps, onForeign: "report" });
  return {
    source,
    store,
    region: target.region,
    cluster: target.cluster,
    local: target.local,
    ...(target.local ? {} : { masters: await target.masters() }),
  };
}

/** The agents scheduled for maintenance on a live target; a snapshot file shows none. */
async function scheduledMaintenance(env: Env, opts: PlanOptions): Promise<ReadonlySet<string>> {
  if (opts.snapshot !== undefined) return new Set();
  return agentsScheduledForMaintenance(await (await env.target(opts)).client(), env.signal);
}

function parseSeed(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) {
    throw new UsageError(`--seed ${JSON.stringify(text)} is not a whole number`, "pass e.g. --seed 42");
  }
  return Number(text.trim());
}

function parseShapeFlag(text: string): AgentShape {
  try {
    return parseShape(text);
  } catch (error) {
    if (error instanceof TitanError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--shape: ${message}`, "write a shape as e.g. --shape 16cpu,64Gi");
  }
}

async function savePlan(env: Env, file: string, document: unknown): Promise<void> {
  const path = isAbsolute(file) ? file : resolve(env.cwd, file);
  try {
    await writeFile(path, `${JSON.stringify(document, null, 2)}\n`, { encoding: "utf8", signal: env.signal });
  } catch (error) {
    if (env.signal.aborted) throw error;
    throw outputFileError(file, error);
  }
}
