import { hostname } from "node:os";
import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { loadTarget, loadUserConfig, type Target, type TargetFlags } from "../../config/index.js";
import { resolveSecretRef } from "../../config/secret-ref.js";
import { MasterCluster, MasterOperator } from "../../mesos/index.js";
import type { GetState } from "../../mesos/types/operator.js";
import type { Release } from "../../state/types.js";

/** The clusters to read: the target's, or with --all-regions one per region mapped in the config. */
export async function resolveTargets(env: Env, flags: TargetFlags, allRegions: boolean): Promise<Target[]> {
  if (!allRegions) return [await loadTarget(env, flags)];
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
  return Promise.all(regions.map((region) => loadTarget(env, { ...flags, region })));
}

/** A client for the target's masters, with the cluster's credentials resolved (sent only to those masters). */
export async function openCluster(env: Env, target: Target): Promise<MasterCluster> {
  const { cluster } = target;
  const auth = cluster.auth
    ? { principal: cluster.auth.principal, secret: await resolveSecretRef(cluster.auth.secret, env.vars) }
    : undefined;
  return MasterCluster.fromConfig(
    {
      masters: target.masters,
      ...(auth ? { auth } : {}),
      ...(cluster.caFile ? { caFile: cluster.caFile } : {}),
    },
    env.debug ? { trace: (line: string) => writeLine(env.io.err, env.io.errColor.dim(line)) } : {},
  );
}

/** GET_STATE from the leading master, and which master answered. */
export async function readState(
  cluster: MasterCluster,
  signal: AbortSignal,
): Promise<{ state: GetState; master: string }> {
  const state = await new MasterOperator(cluster).getState(signal);
  return { state, master: cluster.knownLeader?.origin ?? "" };
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
 * Desired instance counts from the cluster's state store, when it is a readable `file://` store. Apps whose
 * releases cannot be read are left out, so `ps` shows "-" for them rather than failing.
 */
export async function desiredCounts(
  env: Env,
  target: Target,
  apps: readonly string[],
): Promise<Map<string, number>> {
  const desired = new Map<string, number>();
  const url = target.cluster.state;
  if (url === undefined || !url.startsWith("file://")) return desired;
  const { FileStateStore } = await import("../../state/file-store.js");
  const store = new FileStateStore(url, { clock: env.clock, hostname: hostname() });
  await Promise.all(
    apps.map(async (app) => {
      try {
        const release = targetRelease(await store.releases(app));
        if (release !== undefined) desired.set(app, desiredIn(release, target.region));
      } catch {
        // An unreadable or foreign store only costs the desired column.
      }
    }),
  );
  return desired;
}
