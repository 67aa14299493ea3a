import { isRecord, type Node } from "./json-reader.js";

/** The last health verdict Mesos reported for a task; "checking" is a live task whose check has not reported. */
export type TaskHealth = "healthy" | "unhealthy" | "checking" | "none";

/** What a task's status history says beyond its state: its health, when the state began and the task's age. */
export interface TaskStatusSummary {
  health: TaskHealth;
  /** When the current state began (epoch ms): the latest status of that state, or the unreachable time. */
  since?: number;
  /** The first status Mesos kept for the task (epoch ms): the task's age. */
  startedAt?: number;
}

const LIVE = new Set(["TASK_RUNNING", "TASK_STARTING"]);
const UNREACHABLE = new Set(["TASK_UNREACHABLE", "TASK_LOST"]);

/**
 * Summarises `statuses` (mesos.v1.TaskStatus in both formats: `timestamp` in seconds, `healthy`,
 * `unreachable_time.nanoseconds`). An unreachable or ended task keeps its last known verdict.
 */
export function summariseStatuses(task: Node, state: string): TaskStatusSummary {
  let first: number | undefined;
  let last: Node | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let verdict: boolean | undefined;
  let verdictAt = Number.NEGATIVE_INFINITY;
  for (const status of task.get("statuses").items()) {
    const at = status.get("timestamp").optionalNumber(0);
    if (status.has("timestamp") && (first === undefined || at < first)) first = at;
    if (at >= lastAt) {
      last = status;
      lastAt = at;
    }
    if (status.has("healthy") && at >= verdictAt) {
      verdict = status.get("healthy").boolean(false);
      verdictAt = at;
    }
  }
  const health: TaskHealth =
    verdict !== undefined
      ? verdict
        ? "healthy"
        : "unhealthy"
      : task.has("health_check") && LIVE.has(state)
        ? "checking"
        : "none";
  const summary: TaskStatusSummary = { health };
  const unreachable = last?.get("unreachable_time");
  if (UNREACHABLE.has(state) && unreachable?.has("nanoseconds")) {
    summary.since = Math.floor(unreachable.get("nanoseconds").number() / 1e6);
  } else if (last !== undefined && last.get("state").optionalString() === state && last.has("timestamp")) {
    summary.since = Math.floor(lastAt * 1000);
  }
  if (first !== undefined) summary.startedAt = Math.floor(first * 1000);
  return summary;
}

/**
 * `summariseStatuses` by direct field access on a parsed task, for the tens of thousands of tasks of a cluster
 * state. Undefined when a field is not in the shape this reads (then `summariseStatuses` reads it, or says where).
 */
export function summariseStatusRecord(
  task: Record<string, unknown>,
  state: string,
): TaskStatusSummary | undefined {
  const statuses = task.statuses ?? [];
  if (!Array.isArray(statuses)) return undefined;
  let first: number | undefined;
  let last: Record<string, unknown> | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let verdict: boolean | undefined;
  let verdictAt = Number.NEGATIVE_INFINITY;
  for (const status of statuses) {
    if (!isRecord(status)) return undefined;
    const timestamp = status.timestamp ?? undefined;
    if (timestamp !== undefined && (typeof timestamp !== "number" || !Number.isFinite(timestamp)))
      return undefined;
    const at = timestamp ?? 0;
    if (timestamp !== undefined && (first === undefined || at < first)) first = at;
    if (at >= lastAt) {
      last = status;
      lastAt = at;
    }
    const healthy = status.healthy ?? undefined;
    if (healthy !== undefined) {
      if (typeof healthy !== "boolean") return undefined;
      if (at >= verdictAt) {
        verdict = healthy;
        verdictAt = at;
      }
    }
  }
  const checked = task.health_check !== undefined && task.health_check !== null;
  const health: TaskHealth =
    verdict !== undefined
      ? verdict
        ? "healthy"
        : "unhealthy"
      : checked && LIVE.has(state)
        ? "checking"
        : "none";
  const summary: TaskStatusSummary = { health };
  const unreachable = last?.unreachable_time;
  const nanoseconds = isRecord(unreachable) ? (unreachable.nanoseconds ?? undefined) : undefined;
  if (UNREACHABLE.has(state) && nanoseconds !== undefined) {
    if (typeof nanoseconds !== "number" || !Number.isFinite(nanoseconds)) return undefined;
    summary.since = Math.floor(nanoseconds / 1e6);
  } else if (last !== undefined) {
    const lastState = last.state ?? undefined;
    if (lastState !== undefined && typeof lastState !== "string") return undefined;
    if (lastState === state && last.timestamp !== undefined && last.timestamp !== null) {
      summary.since = Math.floor(lastAt * 1000);
    }
  }
  if (first !== undefined) summary.startedAt = Math.floor(first * 1000);
  return summary;
}
