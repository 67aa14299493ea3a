import type { TitanTask } from "../cluster/types.js";
import type { Coverage } from "./coverage.js";
import { isCurrent } from "./states.js";

/** One app in `ps`: counts, then one row per instance slot. */
export interface AppGroup {
  app: string;
  /** What the latest release asks for; undefined when no state store could say. */
  desired?: number;
  running: number;
  healthy: number;
  /**
   * Tasks that are (or may still be) running; with `ended`, also the last ended run of instances that have
   * none (a crashed instance, or one a scale-down or stop removed).
   */
  rows: TitanTask[];
  /** Instance slots whose every run has ended and that are not shown (without `ended`). */
  hiddenEnded: number;
  /** The Mesos frameworks running the rows; `own` when the state store records that framework for the app. */
  frameworks: AppFramework[];
  /** Which supervisor covers the app; undefined when the state store could not say. */
  coverage?: Coverage;
}

export interface AppFramework {
  id: string;
  name: string;
  tasks: number;
  /** True: the framework the state store records for the app; false: another one; undefined: no record. */
  own?: boolean;
}

function frameworksOf(rows: readonly TitanTask[], recorded: string | undefined): AppFramework[] {
  const byId = new Map<string, AppFramework>();
  for (const task of rows) {
    const entry = byId.get(task.frameworkId) ?? { id: task.frameworkId, name: task.framework, tasks: 0 };
    entry.tasks += 1;
    if (recorded !== undefined) entry.own = task.frameworkId === recorded;
    byId.set(task.frameworkId, entry);
  }
  return [...byId.values()].sort((a, b) => b.tasks - a.tasks || a.id.localeCompare(b.id));
}

interface Slot {
  current: TitanTask[];
  lastEnded?: TitanTask;
}

function endedLater(a: TitanTask, b: TitanTask | undefined): boolean {
  return b === undefined || (a.since ?? a.startedAt ?? 0) > (b.since ?? b.startedAt ?? 0);
}

function byRow(a: TitanTask, b: TitanTask): number {
  return a.instance - b.instance || (b.release ?? 0) - (a.release ?? 0) || a.taskId.localeCompare(b.taskId);
}

/** A task counts as healthy when it runs and its check passes, or when it runs and has no check. */
export function countsHealthy(task: TitanTask): boolean {
  return task.state === "TASK_RUNNING" && (task.health === "healthy" || task.health === "none");
}

export interface GroupOptions {
  /** Only these apps; each is listed even with no task. */
  only?: readonly string[];
  desired?: ReadonlyMap<string, number>;
  /** The framework id the state store records per app. */
  frameworks?: ReadonlyMap<string, string | undefined>;
  coverage?: ReadonlyMap<string, Coverage>;
  /** Also a row for each instance slot with no current run: its last ended run (`ps --all`). */
  ended?: boolean;
}

/**
 * Groups tasks per app and instance in one pass (a Map per app keyed by instance), so the cost is linear in
 * the number of tasks plus sorting each app's rows. Apps named in `only` are listed even with no task.
 */
export function groupByApp(tasks: readonly TitanTask[], options: GroupOptions = {}): AppGroup[] {
  const wanted = options.only !== undefined && options.only.length > 0 ? new Set(options.only) : undefined;
  const apps = new Map<string, Map<number, Slot>>();
  for (const app of wanted ?? []) apps.set(app, new Map());
  for (const task of tasks) {
    if (wanted !== undefined && !wanted.has(task.app)) continue;
    let slots = apps.get(task.app);
    if (slots === undefined) {
      slots = new Map();
      apps.set(task.app, slots);
    }
    let slot = slots.get(task.instance);
    if (slot === undefined) {
      slot = { current: [] };
      slots.set(task.instance, slot);
    }
    if (isCurrent(task.state)) slot.current.push(task);
    else if (endedLater(task, slot.lastEnded)) slot.lastEnded = task;
  }
  const groups: AppGroup[] = [];
  for (const [app, slots] of apps) {
    const rows: TitanTask[] = [];
    let hiddenEnded = 0;
    for (const slot of slots.values()) {
      if (slot.current.length > 0) rows.push(...slot.current);
      else if (slot.lastEnded !== undefined && options.ended === true) rows.push(slot.lastEnded);
      else if (slot.lastEnded !== undefined) hiddenEnded += 1;
    }
    rows.sort(byRow);
    const desired = options.desired?.get(app);
    const coverage = options.coverage?.get(app);
    groups.push({
      ...(coverage === undefined ? {} : { coverage }),
      app,
      desired,
      running: rows.filter((t) => t.state === "TASK_RUNNING").length,
      healthy: rows.filter(countsHealthy).length,
      rows,
      frameworks: frameworksOf(rows, options.frameworks?.get(app)),
      hiddenEnded,
    });
  }
  return groups.sort((a, b) => a.app.localeCompare(b.app));
}
