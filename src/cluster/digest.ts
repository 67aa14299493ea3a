import type { AppSpec } from "../manifest/types.js";
import { canonicalJson, sha256Hex } from "./canonical.js";

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
  const { source, instances, regions, update, restart, rollout, regionOverrides, ...taskDefining } = app;
  void rollout;
  void regionOverrides;
  void source;
  void instances;
  void regions;
  void update;
  void restart;
  return `sha256:${sha256Hex(canonicalJson(taskDefining))}`;
}

/** The first 12 hex digits, for human output. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}
