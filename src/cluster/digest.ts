import type { AppSpec } from "../manifest/types.js";
import { CanonicalText, canonicalMembers, canonicalObject, sha256Hex } from "./canonical.js";

/**
 * The manifest digest titan labels each task with (`titan.digest`): a hash of everything in the app spec that
 * changes what a task is or where it may run. A task whose digest differs from the manifest's is replaced.
 *
 * Left out, because changing them must not restart running instances: where the app was declared (`source`),
 * how many instances run and in which regions (scaling is a launch or a stop), and the rollout, restart and
 * disruption policies, which govern titan rather than the task. Region overrides count once applied (plan/regions.ts), as the
 * env, resources and constraints of the region's spec.
 */
export function appDigest(app: AppSpec): string {
  return digestOf(canonicalMembers(app));
}

function digestOf(members: ReturnType<typeof canonicalMembers>): string {
  return `sha256:${sha256Hex(canonicalObject(members, NOT_TASK_DEFINING))}`;
}

const NOT_TASK_DEFINING: ReadonlySet<string> = new Set<keyof AppSpec>([
  "source",
  "instances",
  "regions",
  "update",
  "restart",
  "disruption",
  "rollout",
  "regionOverrides",
]);
const SOURCE: ReadonlySet<string> = new Set<keyof AppSpec>(["source"]);

/**
 * The app's digest, and its canonical text as it bears on a plan (all but where it was declared), from one walk of
 * the app: a plan needs both for every app.
 */
export function appDigestAndPlanText(app: AppSpec): { digest: string; planText: CanonicalText } {
  const members = canonicalMembers(app);
  return { digest: digestOf(members), planText: new CanonicalText(canonicalObject(members, SOURCE)) };
}

/** The first 12 hex digits, for human output. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}
