import type { TaskRecord } from "./build.js";
import { isRecord, type Node } from "./json-reader.js";
import { hasTitanLabel, labelList, type MesosLabel } from "./labels.js";
import { containerImage, imageOf } from "./legacy.js";
import { readResources, sumTaskResources, UNREADABLE } from "./operator-resources.js";
import { emptyBag } from "./resources.js";
import { summariseStatuses, summariseStatusRecord } from "./task-status.js";

/**
 * One mesos.v1.Task of a GET_STATE. A cluster state holds tens of thousands, so the fields are read directly from
 * the parsed JSON; a task in any shape this does not expect is undefined, and is read again by `readTaskChecked`,
 * which accepts what Mesos may also write (numbers as strings, labels without a value) and otherwise names the
 * path of the bad field.
 */
export function readTaskDirect(
  task: unknown,
  frameworkNames: ReadonlyMap<string, string>,
): TaskRecord | undefined {
  if (!isRecord(task)) return undefined;
  const id = idValue(task.task_id);
  const agentId = idValue(task.agent_id);
  const state = task.state;
  const name = task.name ?? "";
  if (typeof id !== "string" || typeof agentId !== "string" || typeof state !== "string") return undefined;
  if (typeof name !== "string") return undefined;
  const frameworkId = idValue(task.framework_id) ?? "";
  if (typeof frameworkId !== "string") return undefined;
  const labels = labelsOf(task.labels);
  if (labels === undefined) return undefined;
  const resources = emptyBag();
  const reserved = sumTaskResources(task.resources, resources);
  if (reserved === UNREADABLE) return undefined;
  let status: TaskRecord["status"];
  if (hasTitanLabel(labels)) {
    // Only titan's tasks need their status history read; the other frameworks' may be tens of thousands.
    status = summariseStatusRecord(task, state);
    if (status === undefined) return undefined;
  }
  return {
    image: imageOf(task.container),
    id,
    name,
    frameworkId,
    framework: frameworkNames.get(frameworkId) ?? frameworkId,
    state,
    agentId,
    resources,
    reserved,
    labels,
    status,
  };
}

/** `{"value": ...}` ids; undefined (null included) when absent. */
export function idValue(id: unknown): unknown {
  return isRecord(id) ? (id.value ?? undefined) : undefined;
}

/** mesos.v1.Labels (`{"labels": [...]}`) as they are in the document, in Mesos's own form. */
function labelsOf(holder: unknown): readonly MesosLabel[] | undefined {
  return labelList(isRecord(holder) ? holder.labels : undefined);
}

/** The same task read through `Node`: slower, and throws a ShapeError with the path of a bad field. */
export function readTaskChecked(task: Node, frameworkNames: ReadonlyMap<string, string>): TaskRecord {
  const frameworkId = task.get("framework_id").get("value").optionalString() ?? "";
  const resources = readResources(task.get("resources"));
  const labels = task
    .get("labels")
    .get("labels")
    .items()
    .map((l): MesosLabel => ({ key: l.get("key").string(), value: l.get("value").optionalString() ?? "" }));
  const state = task.get("state").string();
  return {
    image: containerImage(task.get("container")),
    id: task.get("task_id").get("value").string(),
    name: task.get("name").optionalString() ?? "",
    frameworkId,
    framework: frameworkNames.get(frameworkId) ?? frameworkId,
    state,
    agentId: task.get("agent_id").get("value").string(),
    resources: resources.all,
    reserved: resources.reserved.size > 0 ? resources.reserved : undefined,
    labels,
    status: hasTitanLabel(labels) ? summariseStatuses(task, state) : undefined,
  };
}
