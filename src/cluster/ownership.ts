import type { ClusterSnapshot, TitanTask } from "./types.js";

/** Another framework running tasks labelled with an app titan deploys. */
export interface ForeignFramework {
  app: string;
  frameworkId: string;
  /** Its name as the master lists it (another titan's is also `titan:<app>`). */
  framework: string;
  /** Its live tasks of the app. */
  tasks: number;
}

/** An app's own framework: the one titan's state store records for it, carrying the name titan gives it. */
export function frameworkName(app: string): string {
  return `titan:${app}`;
}

/**
 * Whether a task belongs to the app's own framework: its framework id is the recorded one, and the master names
 * that framework `titan:<app>` (or does not name it at all). No recorded id: nothing is the app's yet.
 */
export function isOwned(task: TitanTask, recorded: string | undefined): boolean {
  if (recorded === undefined || task.frameworkId !== recorded) return false;
  return task.framework === frameworkName(task.app) || task.framework === task.frameworkId;
}

/**
 * Keeps, for each app in `recorded`, only the tasks of its own framework, and lists every other framework that
 * runs tasks of those apps. Apps not in `recorded` are left as they are. Pure.
 */
export function applyOwnership(
  snapshot: ClusterSnapshot,
  recorded: ReadonlyMap<string, string | undefined>,
): { snapshot: ClusterSnapshot; foreign: ForeignFramework[] } {
  const titanTasks: Record<string, readonly TitanTask[]> = { ...snapshot.titanTasks };
  const foreign: ForeignFramework[] = [];
  for (const [app, own] of recorded) {
    const tasks = snapshot.titanTasks[app];
    if (tasks === undefined) continue;
    const others = new Map<string, ForeignFramework>();
    const kept: TitanTask[] = [];
    for (const task of tasks) {
      if (isOwned(task, own)) {
        kept.push(task);
        continue;
      }
      const entry = others.get(task.frameworkId) ?? {
        app,
        frameworkId: task.frameworkId,
        framework: task.framework,
        tasks: 0,
      };
      entry.tasks += 1;
      others.set(task.frameworkId, entry);
    }
    if (kept.length > 0) titanTasks[app] = kept;
    else delete titanTasks[app];
    foreign.push(...others.values());
  }
  const warnings = [...snapshot.warnings, ...foreign.map((f) => foreignWarning(f, recorded.get(f.app)))];
  return { snapshot: { ...snapshot, titanTasks, warnings }, foreign };
}

/** One line on another framework running an app: who, how many tasks, and what titan does about it. */
export function foreignWarning(f: ForeignFramework, recorded: string | undefined): string {
  const mine =
    recorded === undefined
      ? "this state store records no framework for it yet"
      : `this state store records ${recorded}`;
  return `${f.app} is also run by framework ${f.framework} (id ${f.frameworkId}, ${f.tasks} task${f.tasks === 1 ? "" : "s"}), not titan's own for this config (${mine}); titan leaves those tasks alone and a deploy stops unless --adopt`;
}
