import type { AppSpec } from "../manifest/types.js";
import { CanonicalText, canonicalMembers, canonicalObject, sha256Hex } from "./canonical.js";

/**
 * The manifest digest titan labels each task with (`titan.digest`): a hash of everything in the app spec that
 * changes what a task is or where it may run. A task whose digest differs from the manifest's is replaced.
 *
 * Left out, because changing them must not restart running instances: where the app was declared (`source`),
 * how many instances run and in which regions (scaling is a launch or a stop), and the rollout and restart
 * policies, which govern titan rather than the task. Region overrides count once applied (plan/regions.ts), as the
 * env, resources and constraints of the region's spec.
 */
export function appDigest(app: AppSpec): string {
  return `sha256:${sha256Hex(canonicalObject(membersOf(app), NOT_TASK_DEFINING))}`;
}

const NOT_TASK_DEFINING: ReadonlySet<string> = new Set<keyof AppSpec>([
  "source",
  "instances",
  "regions",
  "update",
  "restart",
  "rollout",
  "regionOverrides",
]);
const SOURCE: ReadonlySet<string> = new Set<keyof AppSpec>(["source"]);

/** The app as it bears on a plan (all but where it was declared), for the plan's inputs digest. */
export function planRelevantApp(app: AppSpec): CanonicalText {
  return new CanonicalText(canonicalObject(membersOf(app), SOURCE));
}

/**
 * A plan writes each app's canonical text twice (its digest, and the inputs digest): the app is walked once. App
 * specs are never changed once loaded, so the text of one stays right for as long as it lives.
 */
const membersByApp = new WeakMap<AppSpec, ReturnType<typeof canonicalMembers>>();

function membersOf(app: AppSpec): ReturnType<typeof canonicalMembers> {
  let members = membersByApp.get(app);
  if (members === undefined) {
    members = canonicalMembers(app);
    membersByApp.set(app, members);
  }
  return members;
}

/** The first 12 hex digits, for human output. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}
