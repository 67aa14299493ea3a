import { UsageError } from "../cli/errors.js";
import type { AppSpec } from "../manifest/types.js";

/**
 * The region the plan is for: `--region`, or the one region the manifests name. Several regions without
 * `--region` is a usage error that lists them, since a snapshot is one cluster and regions are clusters.
 */
export function resolveRegion(apps: readonly AppSpec[], flag: string | undefined): string | null {
  if (flag !== undefined) return flag;
  const named = new Map<string, string[]>();
  for (const app of apps) {
    for (const region of Object.keys(app.regions ?? {}))
      named.set(region, [...(named.get(region) ?? []), app.name]);
  }
  if (named.size <= 1) return [...named.keys()][0] ?? null;
  const regions = [...named.keys()].sort();
  const spanning = apps.filter((a) => Object.keys(a.regions ?? {}).length > 1).map((a) => a.name);
  const who =
    spanning.length > 0 ? `${spanning.join(", ")} span${spanning.length === 1 ? "s" : ""}` : "the apps span";
  throw new UsageError(
    `${who} several regions (${regions.join(", ")}) and a snapshot is one cluster`,
    `pass --region with one of: ${regions.join(", ")}`,
  );
}

/** How many instances of the app the region should run: its share when the app names regions, else all of them. */
export function desiredInstances(app: AppSpec, region: string | null): number {
  if (!app.regions) return app.instances;
  if (region === null) return 0;
  return app.regions[region] ?? 0;
}

/**
 * Whether the spec runs any instance where a change acts: in the region, or in any region without one. A spec
 * that runs none launches nothing, so its image need not be pinned (a stop, a scale to zero).
 */
export function runsInstances(app: AppSpec, region: string | null | undefined): boolean {
  if (app.regions === undefined) return app.instances > 0;
  if (region !== undefined && region !== null) return desiredInstances(app, region) > 0;
  return Object.keys(app.regions).some((r) => desiredInstances(app, r) > 0);
}

/**
 * The instances a release's spec runs in the region of the store that holds it: a spec that names regions keeps
 * them all (its count is their sum), so its own count says nothing of one region. Without a region, the count.
 */
export function instancesIn(spec: AppSpec, region: string | null | undefined): number {
  return spec.regions === undefined || region === null || region === undefined
    ? spec.instances
    : desiredInstances(spec, region);
}

/**
 * The app as one region runs it: its override applied (env merged over the app's, the resources it names, its
 * constraints instead of the app's) and the multi-region settings left out, so a release records exactly what
 * runs there and an override of one region changes no other region's digest.
 */
export function specForRegion(app: AppSpec, region: string | null): AppSpec {
  const { regionOverrides, rollout, ...base } = app;
  void rollout;
  const override = region === null ? undefined : regionOverrides?.[region];
  if (override === undefined) return base;
  return {
    ...base,
    env: override.env === undefined ? base.env : { ...base.env, ...override.env },
    resources: { ...base.resources, ...override.resources },
    constraints: override.constraints ?? base.constraints,
  };
}

/** Every region the apps name, in the order they first appear. */
export function regionsOf(apps: readonly AppSpec[]): string[] {
  const names = new Set<string>();
  for (const app of apps) for (const region of Object.keys(app.regions ?? {})) names.add(region);
  return [...names];
}
