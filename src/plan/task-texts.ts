import { CanonicalText, numberJson } from "../cluster/canonical.js";
import type { TitanTask } from "../cluster/types.js";
import type { RunningTask, Scalars } from "../placement/types.js";

/*
 * The canonical JSON (cluster/canonical.ts) of the two kinds of task the inputs digest holds tens of thousands of,
 * written field by field: the generic writer looks up each object's key order and joins its members, about three
 * times the time on a busy cluster. Tests hold both to `canonicalJson`; the key lists below must name every field
 * of their type, which the compiler checks, so a field added to either type cannot be left out of the digest.
 */

/**
 * A titan task's fields that bear on placement. Health, times, zone and framework are left out: they change without
 * changing where anything may go, and a plan's default seed (derived from the digest) must not move with them.
 */
const PLACEMENT_FIELDS = [
  "agentId",
  "app",
  "demand",
  "digest",
  "hostname",
  "image",
  "instance",
  "ports",
  "region",
  "release",
  "state",
  "taskId",
] as const;
const LEFT_OUT = ["health", "since", "startedAt", "zone", "frameworkId", "framework"] as const;
const RUNNING_FIELDS = ["agentId", "app", "demand", "instance", "portCount"] as const;
const SCALARS = ["cpus", "disk", "gpus", "mem"] as const;

type Unlisted<T, Listed extends readonly (keyof T)[]> = Exclude<keyof T, Listed[number]>;
/** `true` only when every key of the type is listed. */
type Complete<Missing> = [Missing] extends [never] ? true : { unlisted: Missing };
const titanTaskFieldsListed: Complete<Unlisted<TitanTask, [...typeof PLACEMENT_FIELDS, ...typeof LEFT_OUT]>> =
  true;
const runningTaskFieldsListed: Complete<Unlisted<RunningTask, typeof RUNNING_FIELDS>> = true;
const scalarsListed: Complete<Unlisted<Scalars, typeof SCALARS>> = true;
void [titanTaskFieldsListed, runningTaskFieldsListed, scalarsListed];

/*
 * Each text is joined from an array of its pieces rather than built by template literals: a joined string is flat,
 * where `+` and templates leave trees of pieces that sorting and hashing then flatten, at twice the cost.
 */

/** A titan task as it bears on placement, as canonical text: `canonicalJson` of the task without `LEFT_OUT`. */
export function placementText(task: TitanTask): CanonicalText {
  const parts = leadingParts(task);
  parts.push(',"digest":', JSON.stringify(task.digest), ',"hostname":', JSON.stringify(task.hostname));
  if (task.image !== undefined) parts.push(',"image":', JSON.stringify(task.image));
  parts.push(',"instance":', numberJson(task.instance), ',"ports":[');
  for (let i = 0; i < task.ports.length; i++)
    parts.push(i === 0 ? "" : ",", numberJson(task.ports[i] as number));
  parts.push("]");
  if (task.region !== undefined) parts.push(',"region":', JSON.stringify(task.region));
  if (task.release !== undefined) parts.push(',"release":', numberJson(task.release));
  parts.push(',"state":', JSON.stringify(task.state), ',"taskId":', JSON.stringify(task.taskId), "}");
  return new CanonicalText(parts.join(""));
}

/** `canonicalJson` of a running task. */
export function runningTaskText(task: RunningTask): string {
  const parts = leadingParts(task);
  if (task.instance !== undefined) parts.push(',"instance":', numberJson(task.instance));
  parts.push(',"portCount":', numberJson(task.portCount), "}");
  return parts.join("");
}

/** The members both kinds of task begin with, in canonical order: `{"agentId":…,"app":…,"demand":{…}`. */
function leadingParts(task: { agentId: string; app: string; demand: Scalars }): string[] {
  const d = task.demand;
  return [
    '{"agentId":',
    JSON.stringify(task.agentId),
    ',"app":',
    JSON.stringify(task.app),
    ',"demand":{"cpus":',
    numberJson(d.cpus),
    ',"disk":',
    numberJson(d.disk),
    ',"gpus":',
    numberJson(d.gpus),
    ',"mem":',
    numberJson(d.mem),
    "}",
  ];
}
