import type { ClusterSnapshot } from "../cluster/types.js";
import type { AppSpec } from "../manifest/types.js";
import { newestDeployed } from "../state/deployed.js";
import type { StateStore } from "../state/types.js";

/**
 * The spec each of titan's other apps in the cluster runs (its newest deployed release), so that scale-in advice
 * keeps their constraints too. An app whose releases cannot be read is left out: the advice leaves its instances
 * where they are.
 */
export async function otherRunningSpecs(
  store: StateStore,
  snapshot: ClusterSnapshot,
  apps: readonly AppSpec[],
): Promise<AppSpec[]> {
  const planned = new Set(apps.map((a) => a.name));
  const others = Object.keys(snapshot.titanTasks).filter((app) => !planned.has(app));
  const specs = await Promise.all(
    others.map(async (app) => {
      const releases = await store.releases(app).catch(() => []);
      return newestDeployed(releases)?.spec;
    }),
  );
  return specs.filter((spec): spec is AppSpec => spec !== undefined);
}
