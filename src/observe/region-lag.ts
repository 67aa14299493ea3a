/**
 * Which regions lag an app's current release: a multi-region deploy that skipped a region (--skip-region) records
 * it in the release of every region it deployed; the skipped region lags until it deploys a release of its own
 * made after that one. Pure: the caller reads each region's releases.
 */

import { newestDeployed } from "../state/deployed.js";
import type { Release } from "../state/types.js";

export interface RegionLag {
  app: string;
  /** The region that lags. */
  region: string;
  /** The region whose release records the lag, and that release's number there. */
  ahead: string;
  release: number;
  /** When the release it lags was made (epoch ms). */
  since: number;
}

/** Per region, the app's releases (or undefined when the region's records could not be read). */
export type ReleasesByRegion = ReadonlyMap<string, readonly Release[] | undefined>;

export function regionLags(app: string, byRegion: ReleasesByRegion): RegionLag[] {
  const lags: RegionLag[] = [];
  for (const [ahead, releases] of byRegion) {
    const newest = newestDeployed(releases);
    for (const region of newest?.lagging ?? []) {
      if (!byRegion.has(region) || region === ahead) continue;
      const own = newestDeployed(byRegion.get(region));
      if (own !== undefined && own.createdAt > (newest?.createdAt ?? 0)) continue;
      // The earliest skip says since when the region lags.
      if (lags.some((l) => l.region === region && l.since <= (newest?.createdAt ?? 0))) continue;
      const lag = { app, region, ahead, release: newest?.number ?? 0, since: newest?.createdAt ?? 0 };
      const index = lags.findIndex((l) => l.region === region);
      if (index >= 0) lags[index] = lag;
      else lags.push(lag);
    }
  }
  return lags;
}

export function describeLag(lag: RegionLag): string {
  return `${lag.app} in ${lag.region} lags release ${lag.release} of ${lag.ahead} (skipped when it was deployed)`;
}
