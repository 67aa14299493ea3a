import { canonicalJson, canonicalSha256Hex, sha256Hex } from "../cluster/canonical.js";
import { appDigestAndPlanText } from "../cluster/digest.js";
import type { ClusterSnapshot, RoleQuota } from "../cluster/types.js";
import type { AppSpec } from "../manifest/types.js";
import { placementText, runningTaskText } from "./task-texts.js";

/** The snapshot as it bears on placement: agents and their free capacity, what runs where, and titan's tasks. */
function placementRelevant(snapshot: ClusterSnapshot): unknown {
  return {
    role: snapshot.role,
    agents: snapshot.agents,
    running: snapshot.running.map(runningTaskText).sort(),
    titanTasks: Object.fromEntries(
      Object.entries(snapshot.titanTasks).map(([app, tasks]) => [app, tasks.map(placementText)]),
    ),
  };
}

/** What a plan is made from, hashed: the inputs digest, and each app's own digest on the way. */
export interface PlanInputs {
  digest: string;
  appDigests: ReadonlyMap<AppSpec, string>;
}

/**
 * A hash of the manifests (everything but where each app was declared), the cluster state and the region:
 * everything a plan is made from but the seed. Each app is walked once for this and for its own digest, and
 * nothing of the walk is kept but the digests.
 */
export function planInputs(
  apps: readonly AppSpec[],
  snapshot: ClusterSnapshot,
  region: string | null,
): PlanInputs {
  const appDigests = new Map<AppSpec, string>();
  const texts = [...apps]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((app) => {
      const { digest, planText } = appDigestAndPlanText(app);
      appDigests.set(app, digest);
      return planText;
    });
  // Four levels streamed: the inputs, the cluster, titan's tasks by app, each app's list; each task is one piece.
  const digest = canonicalSha256Hex(
    { version: 1, apps: texts, cluster: placementRelevant(snapshot), region },
    4,
  );
  return { digest, appDigests };
}

/**
 * What else a plan shows and its deploy carries out that the inputs digest leaves out (the seed does not depend on
 * them): the apps in manifest order (the deploy rolls them out in that order), the user tasks run as, the quota
 * of titan's role (whether it fits), and the apps an unfinished stop keeps in the plan.
 */
export interface PlanTerms {
  order: readonly string[];
  taskUser: string;
  quota: RoleQuota | null;
  resuming: readonly string[];
}

/**
 * The fingerprint of what a plan was made from: manifests, cluster state, region, seed and the plan's terms.
 * `titan deploy --plan` recomputes it and refuses when it differs, so a reviewed plan is applied exactly or not at
 * all.
 */
export function planFingerprint(inputs: string, seed: number, terms: PlanTerms): string {
  return `sha256:${sha256Hex(canonicalJson({ inputs, seed, terms }))}`;
}

/**
 * The seed used when `--seed` is not given: derived from the inputs, so the same manifests and snapshot always give
 * the same plan, and printed so that a plan can be replayed.
 */
export function defaultSeed(inputs: string): number {
  return Number.parseInt(inputs.slice(0, 8), 16) % 100_000;
}
