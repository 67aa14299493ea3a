import type { Env } from "../cli/env.js";
import type { Release } from "../state/types.js";

/**
 * When this user's local cluster (re)started, from the record `titan local up` keeps; undefined when it does not
 * run or the record does not say. A local cluster keeps no tasks across `titan local down` and `up`, while the
 * state store keeps the releases.
 */
export async function localClusterStart(env: Env): Promise<number | undefined> {
  const { localPaths } = await import("../local/control.js");
  const { readClusterState } = await import("../local/runner.js");
  const started = readClusterState(localPaths(env.paths.stateDir).stateFile)?.startedAt;
  const at = started === undefined ? Number.NaN : Date.parse(started);
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The deployed release whose instances a local cluster restart took away: the cluster started after it was
 * deployed, it wants instances and none runs.
 */
export function lostToRestart(
  clusterStart: number | undefined,
  deployed: Release | undefined,
  desired: number | undefined,
  running: number,
): Release | undefined {
  if (clusterStart === undefined || deployed === undefined) return undefined;
  if ((desired ?? 0) === 0 || running > 0) return undefined;
  return clusterStart > (deployed.finishedAt ?? deployed.createdAt) ? deployed : undefined;
}

/** What `status` and `ps` say of such an app. */
export function restartNote(release: Release): string {
  return `the local cluster was restarted since release ${release.number} was deployed: its instances are gone; \`titan deploy\` starts them again`;
}
