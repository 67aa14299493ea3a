import { parseTaskId } from "./task-id.js";

/**
 * The highest incarnation an app ever launched, per `release.instance`. Kept in the app's progress record across
 * deploys, rollbacks and supervisors, so a task id is never used twice: Mesos keys status updates by task id, and
 * a launch that reuses the id of an earlier task (one whose last update is still unacknowledged, or that a
 * re-run adopts from the write-ahead record) has its updates taken for the old task's.
 */
export type IncarnationFloor = Readonly<Record<string, number>>;

export function incarnationKey(release: number, instance: number): string {
  return `${release}.${instance}`;
}

/** The floor raised by task ids that were launched (or are about to be); ids titan did not make are ignored. */
export function raiseFloor(floor: IncarnationFloor | undefined, taskIds: Iterable<string>): IncarnationFloor {
  const raised: Record<string, number> = { ...floor };
  for (const taskId of taskIds) {
    const parts = parseTaskId(taskId);
    if (parts === undefined) continue;
    const key = incarnationKey(parts.release, parts.instance);
    if (parts.incarnation > (raised[key] ?? 0)) raised[key] = parts.incarnation;
  }
  return raised;
}
