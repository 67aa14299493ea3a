import type { Env } from "../../cli/env.js";
import { TimeoutError, TitanError, UsageError } from "../../cli/errors.js";
import { didYouMean } from "../../cli/suggest.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { allClusters, allContexts, currentContextName, regionFlag } from "../../config/resolve.js";
import { SecretUnreadableError } from "../../config/secret-ref.js";
import { type ClusterTarget, stateUrlOf } from "../../config/target.js";
import type { UserConfig } from "../../config/types.js";
import type { AppSpec } from "../../manifest/types.js";
import { regionsOf } from "../../plan/regions.js";
import { storePlaces } from "../../state/store-identity.js";
import type { Release } from "../../state/types.js";

const given = (value: string | undefined): boolean => value !== undefined && value.trim() !== "";

/**
 * The regions a plan or deploy of these apps spans, or undefined when it acts on one cluster: a region given
 * (--region, TITAN_REGION, the context's `region:`) or masters given (--master, TITAN_MASTER) narrow it to one,
 * as does an app set that names no region, or one region on a context that does not span regions.
 */
export async function regionsToSpan(
  env: Env,
  flags: TargetFlags,
  apps: readonly AppSpec[],
): Promise<string[] | undefined> {
  const region = regionFlag(flags);
  if (region !== undefined) {
    await checkRegionFlag(env, flags, region, apps);
    return undefined;
  }
  if (given(env.vars.TITAN_REGION)) return undefined;
  if (given(flags.master) || given(env.vars.TITAN_MASTER)) return undefined;
  const regions = regionsOf(apps);
  if (regions.length === 0) return undefined;
  const { config } = await loadUserConfig(env);
  const { name } = currentContextName(config, flags, env.vars);
  const context = allContexts(config)[name];
  if (context?.region !== undefined) return undefined;
  // Apps of one region on a context that spans several go to that region's cluster, as --region would send them.
  if (regions.length === 1 && context?.regions === undefined) return undefined;
  const unmapped = regions.filter((region) => config.regions[region] === undefined);
  if (unmapped.length > 0) {
    const [first] = unmapped;
    const which =
      unmapped.length < regions.length
        ? `${unmapped.join(", ")} ${unmapped.length === 1 ? "is" : "are"} not mapped to a cluster`
        : regions.length === 1
          ? "it is not mapped to a cluster"
          : "none of them is mapped to a cluster";
    throw new UsageError(
      `the apps run in ${regions.length === 1 ? "region" : "regions"} ${regions.join(", ")}, and ${which}`,
      `map each region to its cluster (titan config set-region ${first} --cluster NAME), or pass --region to act on one`,
    );
  }
  checkStoresApart(env, config, regions);
  return regions;
}

/**
 * Regions whose clusters keep their releases in one state store cannot be planned or deployed together: the store
 * holds one release history per app, so the second region's deploy would find the first's release and stop
 * halfway (or, planned, show a change it cannot make). Several regions may still share masters, each cluster
 * with a store of its own.
 */
function checkStoresApart(env: Env, config: UserConfig, regions: readonly string[]): void {
  const clusters = allClusters(config, env.paths);
  const seen = new Map<string, { region: string; url: string }>();
  for (const region of regions) {
    const cluster = clusters[config.regions[region] ?? ""];
    // Every region is mapped by now (checked above), to a cluster the config defines (checked when it was read).
    if (cluster === undefined) continue;
    const url = stateUrlOf(cluster, env.paths.dataDir);
    // One store spelt two ways (a trailing slash, zk hosts in another order) is still one store.
    const places = storePlaces(url);
    const shared = places.map((place) => seen.get(place)).find((s) => s !== undefined);
    if (shared === undefined) {
      for (const place of places) seen.set(place, { region, url });
      continue;
    }
    const first = shared.region;
    const store =
      cluster.state === undefined
        ? `cluster ${cluster.name}'s`
        : shared.url === url
          ? url
          : `${shared.url} and ${url} are one store`;
    throw new UsageError(
      `regions ${first} and ${region} keep their releases in one state store (${store}), which holds one release history per app`,
      `map ${region} to a cluster with a state store of its own (titan config set-region ${region} --cluster NAME; clusters may share masters), or pass --region to act on one`,
    );
  }
}

/** A `--region` given to a plan of one cluster's snapshot: refused empty or unknown, as a live plan refuses it. */
export async function checkGivenRegion(
  env: Env,
  flags: TargetFlags,
  apps: readonly AppSpec[],
): Promise<void> {
  const region = regionFlag(flags);
  if (region !== undefined) await checkRegionFlag(env, flags, region, apps);
}

/**
 * A `--region` the config does not map, that is not the context's own and that no app names would only relabel the
 * apps (a region is part of every instance's spec, so a typo replaces them all): refused, with the names it may be.
 */
async function checkRegionFlag(
  env: Env,
  flags: TargetFlags,
  region: string,
  apps: readonly AppSpec[],
): Promise<void> {
  const { mapped, own } = await configuredRegions(env, flags);
  const known = [...mapped, ...regionsOf(apps), ...own];
  if (known.includes(region)) return;
  throw unknownRegion(
    region,
    known,
    "no app names it",
    "leave --region out for a single cluster, or map it: titan config set-region REGION --cluster NAME",
  );
}

/**
 * `ps` and `status` with a `--region` (or TITAN_REGION) the config does not map and that is not the context's own:
 * the context's cluster is read and its tasks filtered by that region, so a typo shows the apps as if nothing ran.
 * Refused unless a titan task of the cluster runs in it or a release of the apps shown names it (`seen`), with the
 * names it may be.
 */
export async function checkRegionSeen(
  env: Env,
  flags: TargetFlags,
  region: string | undefined,
  seen: Iterable<string>,
): Promise<void> {
  if (region === undefined) return;
  const { mapped, own } = await configuredRegions(env, flags);
  const known = [...new Set([...mapped, ...own, ...seen])];
  if (known.includes(region)) return;
  throw unknownRegion(
    region,
    known,
    "no titan app of the cluster runs in it",
    "leave --region out: the cluster's apps name no region",
  );
}

/** The regions the config maps to clusters, and the current context's own region (none or one). */
async function configuredRegions(env: Env, flags: TargetFlags): Promise<{ mapped: string[]; own: string[] }> {
  const { config } = await loadUserConfig(env);
  const { name } = currentContextName(config, flags, env.vars);
  const own = allContexts(config)[name]?.region;
  return { mapped: Object.keys(config.regions), own: own === undefined ? [] : [own] };
}

/** A region nothing here knows: the near name, or the names known, or `fallback` when none is. */
function unknownRegion(region: string, known: readonly string[], why: string, fallback: string): UsageError {
  const near = didYouMean(region, known);
  return new UsageError(
    `--region ${region}: ${why} and the config maps no cluster to it`,
    near !== undefined
      ? `did you mean --region ${near}?`
      : known.length > 0
        ? `the regions known here: ${[...new Set(known)].sort().join(", ")}`
        : fallback,
  );
}

/** The regions titan's tasks carry and the apps' releases name. */
export function regionsNamed(
  tasks: ReadonlyArray<{ region?: string | undefined }>,
  releases: Iterable<readonly Release[]>,
): Set<string> {
  const named = new Set<string>();
  for (const task of tasks) if (task.region !== undefined) named.add(task.region);
  for (const list of releases)
    for (const release of list)
      for (const region of Object.keys(release.spec.regions ?? {})) named.add(region);
  return named;
}

/** One region's target, or why it could not be reached. */
export type RegionReach<T> =
  | { region: string; target: ClusterTarget; ok: true; value: T }
  | { region: string; target: ClusterTarget; ok: false; error: string; cause: TitanError };

/**
 * Runs `use` against every region's cluster in parallel. A region whose cluster cannot be reached (any expected
 * failure that is not a usage error) is reported as such instead of failing the others.
 */
export async function reachRegions<T>(
  env: Env,
  flags: TargetFlags,
  regions: readonly string[],
  use: (target: ClusterTarget, region: string) => Promise<T>,
): Promise<Array<RegionReach<T>>> {
  return Promise.all(
    regions.map(async (region): Promise<RegionReach<T>> => {
      const target = await env.target({ ...flags, region });
      try {
        return { region, target, ok: true, value: await use(target, region) };
      } catch (error) {
        // A --timeout that passed (waiting for a failed-over master's agents) ends the command, not the region.
        if (
          !(error instanceof TitanError) ||
          error instanceof UsageError ||
          error instanceof TimeoutError ||
          env.signal.aborted
        ) {
          await target.close();
          throw error;
        }
        return {
          region,
          target,
          ok: false,
          error: error.hint ? `${error.message} (${error.hint})` : error.message,
          cause: error,
        };
      }
    }),
  );
}

/**
 * A plan or deploy refuses, as a config error, a region whose cluster's secret (credentials, a ZooKeeper or
 * registry password) cannot be read: the region was never tried, so it is not unreachable, and skipping it would
 * deploy around a mistake in the config.
 */
export function checkRegionSecrets<T>(reached: ReadonlyArray<RegionReach<T>>): void {
  for (const r of reached) {
    if (r.ok || !(r.cause instanceof SecretUnreadableError)) continue;
    throw new UsageError(
      `region ${r.region}: ${r.cause.message}`,
      `${r.cause.hint === undefined ? "" : `${r.cause.hint}; `}cluster ${r.target.cluster.name} names it in the titan config (titan config view)`,
    );
  }
}
