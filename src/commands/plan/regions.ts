import type { Env } from "../../cli/env.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { agentsScheduledForMaintenance } from "../../cluster/maintenance.js";
import { OwnedSource } from "../../cluster/owned-source.js";
import type { ClusterConfig } from "../../config/types.js";
import type { AppSpec } from "../../manifest/types.js";
import type { AgentShape } from "../../placement/types.js";
import { buildPlan, scaleInWanted } from "../../plan/build.js";
import { withDisruptionWarnings } from "../../plan/disruption.js";
import { planToJson } from "../../plan/json.js";
import { type RegionPlan, regionsVerdict, renderRegionTotals, totalOf } from "../../plan/region-totals.js";
import { runsInstances } from "../../plan/regions.js";
import { renderPlan } from "../../plan/render.js";
import { imageLines, imagesToJson, NO_RESOLVE_NOTE } from "../../registry/apps.js";
import type { PinnedImage } from "../../registry/pin.js";
import { otherRunningSpecs } from "../../release/running.js";
import { leftBehindNotes } from "../regions/left-behind.js";
import { checkRegionSecrets, reachRegions } from "../regions/span.js";
import type { PlanOptions } from "./command.js";
import { sayDoesNotFit } from "./does-not-fit.js";
import { pendingNotes, pendingOf } from "./pending.js";

/**
 * `titan plan` over every region the apps name: each region's cluster is read and planned in parallel, shown one
 * after another, then side by side with a total. A region that cannot be read is reported as unreachable (exit
 * 9), never as "no changes"; the other regions are still planned.
 */
export async function planRegions(
  env: Env,
  opts: PlanOptions,
  apps: readonly AppSpec[],
  regions: readonly string[],
  { seed, shapes }: { seed: number | undefined; shapes: readonly AgentShape[] },
): Promise<number> {
  const names = apps.map((a) => a.name);
  if (!opts.resolve && apps.some((a) => a.image !== undefined))
    writeLine(env.io.err, env.io.errColor.dim(NO_RESOLVE_NOTE));
  const read = await reachRegions(env, opts, regions, async (target) => {
    try {
      const [live, store] = await Promise.all([target.source(), target.store()]);
      const source = new OwnedSource(live, store, { apps: names, onForeign: "report" });
      const snapshot = await source.read(env.signal);
      // As the region's deploy plans: instances on agents scheduled for maintenance move off them, and a
      // release left pending in the region is resumed or superseded.
      const draining = await agentsScheduledForMaintenance(await target.client(), env.signal);
      const pending = await pendingOf(store, apps);
      const running = await otherRunningSpecs(store, snapshot, apps);
      return { snapshot, source: source.describe(), draining, pending, running };
    } finally {
      await target.close();
    }
  });
  checkRegionSecrets(read);
  // Images are pinned in each region's own registry; a missing image fails the plan (exit 8), unreachable or not.
  const reached = await Promise.all(
    read.map(async (r) => {
      if (!r.ok) return r;
      const pinned = await pinnedApps(env, opts, r.target.cluster, apps, r.region);
      const plan = buildPlan({
        apps: pinned.apps,
        snapshot: r.value.snapshot,
        source: r.value.source,
        region: r.region,
        ...(seed === undefined ? {} : { seed }),
        ...(shapes.length === 0 ? {} : { shapes }),
        scaleIn: scaleInWanted(opts.scaleIn, r.target.local),
        taskUser: r.target.cluster.user,
        ...(r.value.running.length === 0 ? {} : { running: r.value.running }),
        ...(r.value.draining.size === 0 ? {} : { draining: r.value.draining }),
        ...(r.value.pending.size === 0 ? {} : { resuming: new Set(r.value.pending.keys()) }),
      });
      const value = {
        plan: withDisruptionWarnings(plan, env.clock.now()),
        images: pinned.images,
        pending: r.value.pending,
      };
      return { ...r, value };
    }),
  );
  const results: RegionPlan[] = reached.map((r) =>
    r.ok
      ? { region: r.region, cluster: r.target.cluster.name, plan: r.value.plan }
      : { region: r.region, cluster: r.target.cluster.name, unreachable: r.error },
  );
  if (opts.json) {
    const document = {
      regions: reached.map((r) =>
        r.ok
          ? {
              region: r.region,
              cluster: r.target.cluster.name,
              reachable: true,
              plan: { ...planToJson(r.value.plan), images: imagesToJson(r.value.images) },
            }
          : { region: r.region, cluster: r.target.cluster.name, reachable: false, error: r.error },
      ),
      total: totalOf(results),
    };
    writeLine(env.io.out, JSON.stringify(document, null, 2));
  } else {
    for (const r of reached) {
      if (!r.ok) continue;
      for (const warning of r.value.plan.warnings)
        writeLine(env.io.err, `${env.io.errColor.yellow("warning:")} ${r.region}: ${warning}`);
      // One write per region, not one per line: a write to a pipe is a system call.
      const lines = [...imageLines(r.value.images), ...renderPlan(r.value.plan, env.io.color), ""];
      writeLine(env.io.out, lines.join("\n"));
    }
    for (const line of renderRegionTotals(results)) writeLine(env.io.out, line);
  }
  for (const r of reached)
    if (r.ok)
      for (const note of pendingNotes(r.value.plan, r.value.pending)) writeLine(env.io.err, `note: ${note}`);
  for (const note of await leftBehindNotes(env, opts, apps, regions)) writeLine(env.io.err, `note: ${note}`);
  const verdict = regionsVerdict(results);
  if (verdict.unreachable) return ExitCode.RegionUnreachable;
  if (!verdict.fits) {
    sayDoesNotFit(
      env,
      results.flatMap((r) => ("plan" in r ? [r.plan] : [])),
      opts.json,
    );
    return ExitCode.DoesNotFit;
  }
  if (opts.detailedExitcode && verdict.changes) return ExitCode.PlanHasChanges;
  return ExitCode.Ok;
}

async function pinnedApps(
  env: Env,
  opts: PlanOptions,
  cluster: ClusterConfig,
  apps: readonly AppSpec[],
  region: string,
): Promise<{ apps: AppSpec[]; images: PinnedImage[] }> {
  if (!opts.resolve || !apps.some((a) => a.image !== undefined)) return { apps: [...apps], images: [] };
  const { pinAppImages } = await import("../../registry/apps.js");
  return pinAppImages(env, cluster, apps, [], (app) => runsInstances(app, region));
}
