import type { TitanTask } from "../cluster/types.js";
import type { InstanceBackoff } from "../state/types.js";
import { backoffByInstance, type Coverage } from "./coverage.js";
import type { NewestRelease } from "./no-instance.js";
import { isCurrent } from "./states.js";

/** One app in `ps`: counts, then one row per instance slot. */
export interface AppGroup {
  app: string;
  /** What the latest release asks for; undefined when no state store could say. */
  desired?: number;
  /** The app's newest release in the state store, when it has one: titan knows the app even with no task. */
  newestRelease?: NewestRelease;
  running: number;
  /** Tasks being killed (TASK_KILLING): they still hold their room, and may still serve, until they end. */
  stopping: number;
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
  /**
   * Instances with no current run that the leading supervisor holds in restart backoff: their last ended run is a
   * row (with `--all` or not), shown as restarting.
   */
  restarting?: ReadonlyMap<number, InstanceBackoff>;
  /** Instances in restart backoff the master lists no task of at all (it forgot ended tasks when it failed over). */
  restartingUnlisted?: readonly InstanceBackoff[];
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
    let entry = byId.get(task.frameworkId);
    if (entry === undefined) {
      entry = { id: task.frameworkId, name: task.framework, tasks: 0 };
      if (recorded !== undefined) entry.own = task.frameworkId === recorded;
      byId.set(task.frameworkId, entry);
    }
    entry.tasks += 1;
  }
  return [...byId.values()].sort((a, b) => b.tasks - a.tasks || a.id.localeCompare(b.id));
}

function endedLater(a: TitanTask, b: TitanTask | undefined): boolean {
  return b === undefined || (a.since ?? a.startedAt ?? 0) > (b.since ?? b.startedAt ?? 0);
}

function byInstance(a: TitanTask, b: TitanTask): number {
  return a.instance - b.instance;
}

function byRow(a: TitanTask, b: TitanTask): number {
  return a.instance - b.instance || (b.release ?? 0) - (a.release ?? 0) || a.taskId.localeCompare(b.taskId);
}

/** `running 0 (3 stopping)`: the running count, with the tasks still being killed when there are any. */
export function runningText(running: number, stopping: number): string {
  return stopping === 0 ? `running ${running}` : `running ${running} (${stopping} stopping)`;
}

/** A task counts as healthy when it runs and its check passes, or when it runs and has no check. */
export function countsHealthy(task: TitanTask): boolean {
  return task.state === "TASK_RUNNING" && (task.health === "healthy" || task.health === "none");
}

export interface GroupOptions {
  /** Only these apps; each is listed even with no task. */
  only?: readonly string[];
  desired?: ReadonlyMap<string, number>;
  /** Each app's newest release in the state store. */
  newest?: ReadonlyMap<string, NewestRelease>;
  /** The framework id the state store records per app. */
  frameworks?: ReadonlyMap<string, string | undefined>;
  coverage?: ReadonlyMap<string, Coverage>;
  /** Also a row for each instance slot with no current run: its last ended run (`ps --all`). */
  ended?: boolean;
}

/**
 * Groups tasks per app, then per instance: each app's tasks are sorted by instance (a stable sort, so an instance's
 * tasks keep the order given) and read run by run, with no object per instance. Apps named in `only` are listed
 * even with no task.
 */
export function groupByApp(tasks: readonly TitanTask[], options: GroupOptions = {}): AppGroup[] {
  const wanted = options.only !== undefined && options.only.length > 0 ? new Set(options.only) : undefined;
  const apps = new Map<string, TitanTask[]>();
  for (const app of wanted ?? []) apps.set(app, []);
  for (const task of tasks) {
    if (wanted !== undefined && !wanted.has(task.app)) continue;
    const list = apps.get(task.app);
    if (list === undefined) apps.set(task.app, [task]);
    else list.push(task);
  }
  const groups: AppGroup[] = [];
  for (const [app, appTasks] of apps) {
    const coverage = options.coverage?.get(app);
    const backoff = backoffByInstance(coverage);
    const { rows, hiddenEnded, restarting } = instanceRows(
      appTasks.sort(byInstance),
      options.ended === true,
      backoff,
    );
    let running = 0;
    let healthy = 0;
    let stopping = 0;
    for (const task of rows) {
      if (task.state === "TASK_RUNNING") running += 1;
      if (task.state === "TASK_KILLING") stopping += 1;
      if (countsHealthy(task)) healthy += 1;
    }
    const desired = options.desired?.get(app);
    const newest = options.newest?.get(app);
    groups.push({
      ...(coverage === undefined ? {} : { coverage }),
      ...(newest === undefined ? {} : { newestRelease: newest }),
      app,
      desired,
      running,
      stopping,
      healthy,
      rows,
      frameworks: frameworksOf(rows, options.frameworks?.get(app)),
      hiddenEnded,
      ...(restarting.size === 0 ? {} : { restarting }),
      ...(backoff.size === 0 ? {} : withUnlisted(unlisted(backoff, appTasks))),
    });
  }
  return groups.sort((a, b) => a.app.localeCompare(b.app));
}

function withUnlisted(held: readonly InstanceBackoff[]): Pick<AppGroup, "restartingUnlisted"> {
  return held.length === 0 ? {} : { restartingUnlisted: held };
}

/** Instances held in restart backoff that no task of the app stands for. */
function unlisted(
  backoff: ReadonlyMap<number, InstanceBackoff>,
  tasks: readonly TitanTask[],
): InstanceBackoff[] {
  if (backoff.size === 0) return [];
  const listed = new Set(tasks.map((t) => t.instance));
  return [...backoff.values()].filter((b) => !listed.has(b.instance)).sort((a, b) => a.instance - b.instance);
}

/**
 * The rows of one app's tasks sorted by instance: per instance its current tasks, or else its last ended run
 * (shown with `ended`, counted as hidden without).
 */
function instanceRows(
  tasks: readonly TitanTask[],
  ended: boolean,
  backoff: ReadonlyMap<number, InstanceBackoff>,
): { rows: TitanTask[]; hiddenEnded: number; restarting: Map<number, InstanceBackoff> } {
  const rows: TitanTask[] = [];
  const restarting = new Map<number, InstanceBackoff>();
  let hiddenEnded = 0;
  let start = 0;
  while (start < tasks.length) {
    const instance = (tasks[start] as TitanTask).instance;
    let current = 0;
    let lastEnded: TitanTask | undefined;
    let end = start;
    for (; end < tasks.length && (tasks[end] as TitanTask).instance === instance; end += 1) {
      const task = tasks[end] as TitanTask;
      if (isCurrent(task.state)) {
        rows.push(task);
        current += 1;
      } else if (endedLater(task, lastEnded)) lastEnded = task;
    }
    if (current === 0 && lastEnded !== undefined) {
      // A supervisor launches it again: not an ended instance, but one between two runs.
      const held = backoff.get(instance);
      if (held !== undefined) restarting.set(instance, held);
      if (ended || held !== undefined) rows.push(lastEnded);
      else hiddenEnded += 1;
    }
    start = end;
  }
  return { rows: rows.sort(byRow), hiddenEnded, restarting };
}
