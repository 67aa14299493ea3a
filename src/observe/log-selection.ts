import type { TitanTask } from "../cluster/types.js";
import { isAppName } from "../manifest/app-name.js";
import { isCurrent } from "./states.js";

export interface LogTarget {
  app: string;
  instance?: number;
  /** --release: only runs of this release. */
  release?: number;
}

/** Parses `APP` or `APP/INSTANCE`; returns a message for anything else. */
export function parseLogTarget(text: string): LogTarget | string {
  const [app = "", instance, ...rest] = text.split("/");
  if (rest.length > 0 || !isAppName(app)) return `"${text}" is not APP or APP/INSTANCE`;
  if (instance === undefined) return { app };
  if (!/^\d{1,9}$/.test(instance)) return `"${instance}" in "${text}" is not an instance number`;
  return { app, instance: Number(instance) };
}

export interface SelectOptions {
  now: number;
  /** --since: also runs that ended at most this long ago (ms). */
  sinceMs?: number;
}

function endedAt(task: TitanTask): number {
  return task.since ?? task.startedAt ?? 0;
}

/**
 * The task runs whose logs `titan logs` reads: every run that is (or may still be) running; for an instance
 * with none, its most recent ended run; with --since, every run that was alive within that window instead.
 */
export function selectLogTasks(
  tasks: readonly TitanTask[],
  target: LogTarget,
  options: SelectOptions,
): TitanTask[] {
  const mine = tasks.filter(
    (t) =>
      t.app === target.app &&
      (target.instance === undefined || t.instance === target.instance) &&
      (target.release === undefined || t.release === target.release),
  );
  const chosen: TitanTask[] = [];
  if (options.sinceMs !== undefined) {
    const from = options.now - options.sinceMs;
    for (const task of mine) if (isCurrent(task.state) || endedAt(task) >= from) chosen.push(task);
  } else {
    const latestEnded = new Map<number, TitanTask>();
    const withCurrent = new Set<number>();
    for (const task of mine) {
      if (isCurrent(task.state)) {
        chosen.push(task);
        withCurrent.add(task.instance);
      } else {
        const known = latestEnded.get(task.instance);
        if (known === undefined || endedAt(task) > endedAt(known)) latestEnded.set(task.instance, task);
      }
    }
    for (const [instance, task] of latestEnded) if (!withCurrent.has(instance)) chosen.push(task);
  }
  return chosen.sort((a, b) => a.instance - b.instance || (a.startedAt ?? 0) - (b.startedAt ?? 0));
}
