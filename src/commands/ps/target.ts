import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import { type Coverage, coverageOf, lastHeldAt } from "../../observe/coverage.js";
import { whyNoInstance } from "../../observe/no-instance.js";
import { instancesIn } from "../../plan/regions.js";
import { liveness } from "../../state/live-lock.js";
import type { Release, StateStore, SupervisorReport } from "../../state/types.js";

/**
 * The clusters to read: one per region of a context that spans regions (unless --region narrows it), one per
 * region mapped in the config with --all-regions, else the target's.
 */
export async function resolveTargets(
  env: Env,
  flags: TargetFlags,
  allRegions: boolean,
): Promise<ClusterTarget[]> {
  if (!allRegions) {
    const { config } = await loadUserConfig(env);
    const spanned = spannedRegions(config, flags, env.vars);
    if (spanned.length === 0) return [await env.target(flags)];
    return Promise.all(spanned.map((region) => env.target({ ...flags, region })));
  }
  if (flags.region !== undefined) {
    throw new UsageError("--all-regions cannot be combined with --region", "pass one or the other");
  }
  const { config } = await loadUserConfig(env);
  const regions = Object.keys(config.regions).sort();
  if (regions.length === 0) {
    throw new UsageError(
      "--all-regions: the config maps no regions to clusters",
      "map one with `titan config set-region REGION --cluster NAME`",
    );
  }
  return Promise.all(regions.map((region) => env.target({ ...flags, region })));
}

/** The release whose instance count is the app's target: the newest that did not fail or get rolled back. */
export function targetRelease(releases: readonly Release[]): Release | undefined {
  const live = releases.filter((r) => r.outcome !== "failed" && r.outcome !== "rolled_back");
  return live.reduce<Release | undefined>(
    (best, r) => (best === undefined || r.number > best.number ? r : best),
    undefined,
  );
}

/**
 * Why an app with these releases (oldest first) runs no instance in `region`, in the words `ps` uses; undefined
 * when it has no release, so titan knows it only by its tasks, if at all. `recoveringAgents`: agents the master has not
 * heard from since it failed over (observe/recovering.ts), whose tasks it does not list.
 */
export function noInstanceReason(
  app: string,
  releases: readonly Release[],
  region: string | undefined,
  recoveringAgents = 0,
): string | undefined {
  const newest = releases.at(-1);
  if (newest === undefined) return undefined;
  const wanted = targetRelease(releases);
  return whyNoInstance(app, {
    newest: { number: newest.number, outcome: newest.outcome },
    ...(wanted === undefined
      ? {}
      : { wanted: { number: wanted.number, instances: instancesIn(wanted.spec, region) } }),
    recoveringAgents,
  });
}

/** What the state store says of the apps `ps` shows. */
export interface TitanRecords {
  desired: Map<string, number>;
  frameworks: Map<string, string | undefined>;
  /** Every release of each app (for the regions that lag). */
  releases: Map<string, Release[]>;
  /** Which supervisor covers each app (from the live supervisor reports). */
  coverage: Map<string, Coverage>;
  /** When a titan last held each app's framework (for the failover timeout warning). */
  heldAt: Map<string, number | undefined>;
}

/** What `ps` knows of apps whose store could not be read: nothing. */
export function noRecords(): TitanRecords {
  return {
    desired: new Map(),
    frameworks: new Map(),
    releases: new Map(),
    coverage: new Map(),
    heldAt: new Map(),
  };
}

/**
 * Desired instance counts, recorded framework ids and supervisor coverage from the target's state store (the same
 * store, default included, that deploy records releases in). Apps whose records cannot be read are left out, so
 * `ps` shows "-" for them rather than failing.
 */
export async function titanRecords(
  store: StateStore,
  region: string | undefined,
  apps: readonly string[],
  now: number,
): Promise<TitanRecords> {
  const records = noRecords();
  const reports: SupervisorReport[] = await store.supervisorReports().catch(() => []);
  await Promise.all(
    apps.map(async (app) => {
      try {
        const releases = await store.releases(app);
        records.releases.set(app, releases);
        const release = targetRelease(releases);
        if (release !== undefined) records.desired.set(app, instancesIn(release.spec, region));
        records.frameworks.set(app, await store.frameworkId(app));
        records.coverage.set(app, coverageOf(app, reports, liveness(now)));
        // A deploy that holds the lock holds the framework now.
        const held = (await store.currentLock(app)) !== undefined ? now : undefined;
        records.heldAt.set(app, held ?? lastHeldAt(app, releases, await store.progress(app), reports));
      } catch {
        // An unreadable or foreign store only costs the desired column and the framework check.
      }
    }),
  );
  return records;
}
