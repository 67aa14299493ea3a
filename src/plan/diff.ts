import type { TitanTask } from "../cluster/types.js";
import type { AppDiff } from "./types.js";

/** Tasks being killed are on their way out: they hold resources but no longer stand for their instance. */
function standsForInstance(task: TitanTask): boolean {
  return task.state !== "TASK_KILLING" && !isCutOff(task);
}

/**
 * A task cut off with its agent may still run, yet the deploy neither counts it nor waits for it: a master cannot
 * kill it before its agent returns and keeps it unreachable for weeks, so its instance is launched anew at once
 * (`src/deploy/rollout.ts`), and if it comes back it is a duplicate, stopped. TASK_LOST ends its instance for the
 * deploy outright.
 */
export function isCutOff(task: TitanTask): boolean {
  return task.state === "TASK_UNREACHABLE" || task.state === "TASK_LOST";
}

/**
 * Of tasks alike, the one the deploy keeps first (`src/deploy/rollout.ts`, `byPreference`): one that serves (running,
 * healthy or without a health check), then one running; the snapshot's order (by task id) after that.
 */
function byService(a: TitanTask, b: TitanTask): number {
  const rank = (t: TitanTask): number =>
    t.state !== "TASK_RUNNING" ? 2 : t.health === "healthy" || t.health === "none" ? 0 : 1;
  return rank(a) - rank(b);
}

/**
 * The diff of one app: for each wanted instance index, keep a task carrying the manifest's digest, replace one
 * carrying another digest, or launch one that is missing; stop what lies beyond the wanted count and duplicates.
 */
export function diffApp(
  app: string,
  region: string | null,
  digest: string,
  desired: number,
  tasks: readonly TitanTask[],
): AppDiff {
  const diff: AppDiff = {
    app,
    region,
    desired,
    digest,
    launch: [],
    keep: [],
    replace: [],
    stop: [],
    unreachable: tasks.filter(isCutOff),
  };
  const byInstance = new Map<number, TitanTask[]>();
  for (const task of tasks.filter(standsForInstance)) {
    const list = byInstance.get(task.instance) ?? [];
    list.push(task);
    byInstance.set(task.instance, list);
  }
  for (let instance = 0; instance < desired; instance++) {
    const current = byInstance.get(instance) ?? [];
    const matching = current.filter((t) => t.digest === digest).sort(byService)[0];
    const kept = matching ?? current[0];
    if (!kept) diff.launch.push(instance);
    else if (matching) diff.keep.push(matching);
    else diff.replace.push(kept);
    for (const t of current) if (t !== kept) diff.stop.push(t);
  }
  for (const [instance, current] of [...byInstance].sort((a, b) => a[0] - b[0])) {
    if (instance >= desired) diff.stop.push(...current);
  }
  return diff;
}

export function hasChanges(diff: AppDiff): boolean {
  return diff.launch.length + diff.replace.length + diff.stop.length > 0;
}

/**
 * The diff's replacements split by cause: `moves` already run the manifest's spec and only leave an agent being
 * emptied; `replaced` run an older spec.
 */
export function splitMoves(diff: AppDiff): { replaced: TitanTask[]; moves: TitanTask[] } {
  const replaced: TitanTask[] = [];
  const moves: TitanTask[] = [];
  for (const task of diff.replace) (task.digest === diff.digest ? moves : replaced).push(task);
  return { replaced, moves };
}
