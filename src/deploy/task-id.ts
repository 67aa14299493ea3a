/**
 * Deterministic task ids: `<app>.<release>.<instance>.<incarnation>`. The same release, instance and incarnation
 * always give the same id, so a re-run finds (and adopts) what an earlier run launched instead of launching twice.
 * App names are DNS labels, so the dots split unambiguously.
 */
export interface TaskIdParts {
  app: string;
  release: number;
  instance: number;
  incarnation: number;
}

export function formatTaskId(parts: TaskIdParts): string {
  return `${parts.app}.${parts.release}.${parts.instance}.${parts.incarnation}`;
}

const TASK_ID = /^([a-z0-9][a-z0-9-]*)\.(\d+)\.(\d+)\.(\d+)$/;

/** The parts of a titan task id, or undefined for an id titan did not make. */
export function parseTaskId(taskId: string): TaskIdParts | undefined {
  const match = TASK_ID.exec(taskId);
  if (!match) return undefined;
  const [, app, release, instance, incarnation] = match;
  if (app === undefined || release === undefined || instance === undefined || incarnation === undefined)
    return undefined;
  return { app, release: Number(release), instance: Number(instance), incarnation: Number(incarnation) };
}
