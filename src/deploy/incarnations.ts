import { formatTaskId, parseTaskId } from "./task-id.js";

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

/**
 * Per instance without a task in `accounted`, the id of its last launch the floor records: the highest
 * incarnation of the newest release that launched it. What a run asks the master about when neither the master
 * nor the record names the instance's task (a record written before it kept every live task).
 */
export function lastLaunches(
  floor: IncarnationFloor,
  app: string,
  instances: number,
  accounted: Iterable<string>,
): string[] {
  const covered = new Set<number>();
  for (const taskId of accounted) {
    const parts = parseTaskId(taskId);
    if (parts?.app === app) covered.add(parts.instance);
  }
  const newest = new Map<number, { release: number; incarnation: number }>();
  for (const [key, incarnation] of Object.entries(floor)) {
    const [release, instance] = key.split(".").map(Number);
    if (release === undefined || instance === undefined || !(instance < instances) || covered.has(instance))
      continue;
    const seen = newest.get(instance);
    if (seen === undefined || release > seen.release) newest.set(instance, { release, incarnation });
  }
  return [...newest].map(([instance, last]) => formatTaskId({ app, instance, ...last }));
}
