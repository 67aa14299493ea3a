import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import type { Release } from "../../state/types.js";

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

/** Instances the release asks for in a region (all of them when the app names no regions). */
export function desiredIn(release: Release, region: string | undefined): number {
  const perRegion = release.spec.regions;
  if (perRegion === undefined || region === undefined) return release.spec.instances;
  return perRegion[region] ?? 0;
}

/**
 * Desired instance counts and recorded framework ids from the target's state store (the same store, default
 * included, that deploy records releases in). Apps whose records cannot be read are left out, so `ps` shows "-"
 * for them rather than failing.
 */
export async function titanRecords(
  target: ClusterTarget,
  apps: readonly string[],
): Promise<{
  desired: Map<string, number>;
  frameworks: Map<string, string | undefined>;
  releases: Map<string, Release[]>;
}> {
  const desired = new Map<string, number>();
  const frameworks = new Map<string, string | undefined>();
  const releases = new Map<string, Release[]>();
  const store = await target.store();
  await Promise.all(
    apps.map(async (app) => {
      try {
        const all = await store.releases(app);
        releases.set(app, all);
        const release = targetRelease(all);
        if (release !== undefined) desired.set(app, desiredIn(release, target.region));
        frameworks.set(app, await store.frameworkId(app));
      } catch {
        // An unreadable or foreign store only costs the desired column and the framework check.
      }
    }),
  );
  return { desired, frameworks, releases };
}
