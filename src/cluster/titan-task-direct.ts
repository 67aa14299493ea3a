import { isPlainResource } from "../mesos/plain-resource.js";
import type { TaskState } from "../mesos/types/mesos.js";
import { isRecord } from "./json-reader.js";
import { TitanLabel } from "./labels.js";
import { imageOf } from "./legacy.js";
import { rawReservationRole, UNREADABLE } from "./operator-resources.js";
import { idValue } from "./operator-task.js";
import { type AgentRecord, round3 } from "./resources.js";
import { summariseStatusRecord } from "./task-status.js";
import type { TitanTask } from "./types.js";

/** What `readTitanTaskDirect` returns for another framework's task: one with no `titan.app` label. */
export const FOREIGN = Symbol("foreign");

const DIGITS = /^\d+$/;

/**
 * A mesos.v1.Task of a GET_STATE straight to a TitanTask, for `ps`, `status`, `logs` and `supervise`, which read every
 * titan task of a cluster each time: one pass, and no record, label reading or resource bag in between (a third of
 * the command's time on 50,000 tasks went on those and on collecting them). Undefined for anything it does not read
 * exactly as the general reader would (`readTaskDirect`, `readTaskChecked`, then `titanTaskOf`), which then reads the
 * task, accepts what Mesos may also write and names a bad field or label: unusual shapes, reserved or unsorted
 * ports, unusable titan labels. Its framework's name and its agent's host and zone are left for `completeTitanTask`:
 * a streamed GET_STATE lists the frameworks and agents after the tasks.
 */
export function readTitanTaskDirect(task: unknown): TitanTask | typeof FOREIGN | undefined {
  if (!isRecord(task)) return undefined;
  const holder = task.labels;
  const labels = isRecord(holder) ? holder.labels : undefined;
  if (labels === undefined || labels === null) return FOREIGN;
  if (!Array.isArray(labels)) return undefined;
  let app: string | undefined;
  let instance: string | undefined;
  let digest: string | undefined;
  let release: string | undefined;
  let region: string | undefined;
  // Backwards, so that the first label of a key is the one that counts (as readTaskLabels).
  for (let i = labels.length - 1; i >= 0; i -= 1) {
    const label: unknown = labels[i];
    if (!isRecord(label)) return undefined;
    const { key, value } = label;
    if (typeof key !== "string" || typeof value !== "string") return undefined;
    if (key === TitanLabel.app) app = value;
    else if (key === TitanLabel.instance) instance = value;
    else if (key === TitanLabel.digest) digest = value;
    else if (key === TitanLabel.release) release = value;
    else if (key === TitanLabel.region) region = value;
  }
  if (app === undefined) return FOREIGN;
  if (instance === undefined || !DIGITS.test(instance) || digest === undefined || digest === "")
    return undefined;

  const id = idValue(task.task_id);
  const agentId = idValue(task.agent_id);
  const frameworkId = idValue(task.framework_id) ?? "";
  const state = task.state;
  const name = task.name ?? "";
  if (typeof id !== "string" || typeof agentId !== "string" || typeof frameworkId !== "string")
    return undefined;
  if (typeof state !== "string" || typeof name !== "string") return undefined;
  const demand = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const ports = portsAndDemand(task.resources, demand);
  if (ports === undefined) return undefined;
  const status = summariseStatusRecord(task, state);
  if (status === undefined) return undefined;

  const titan: TitanTask = {
    taskId: id,
    frameworkId,
    framework: frameworkId,
    app,
    instance: Number(instance),
    digest,
    state: state as TaskState,
    agentId,
    hostname: agentId,
    demand,
    ports,
    health: status.health,
  };
  const image = imageOf(task.container);
  if (image !== undefined) titan.image = image;
  if (release !== undefined && DIGITS.test(release)) titan.release = Number(release);
  if (region !== undefined && region !== "") titan.region = region;
  if (status.since !== undefined) titan.since = status.since;
  if (status.startedAt !== undefined) titan.startedAt = status.startedAt;
  return titan;
}

/** What a task's framework and agent tell of it: the framework's name, the agent's hostname and zone (the ids where they are not listed). */
export function completeTitanTask(
  task: TitanTask,
  frameworkNames: ReadonlyMap<string, string>,
  agents: ReadonlyMap<string, AgentRecord>,
): void {
  task.framework = frameworkNames.get(task.frameworkId) ?? task.frameworkId;
  const agent = agents.get(task.agentId);
  task.hostname = agent?.hostname ?? task.agentId;
  const zone = agent?.attributes.zone;
  if (zone !== undefined) task.zone = zone;
}

/**
 * Sums the task's cpus, mem, disk and gpus into `demand` (reserved or not; only plain ones, as the plan counts them)
 * and returns its host ports. Undefined for any shape `sumTaskResources` would not read, and for reserved or
 * unsorted port ranges, which the general reader merges.
 */
function portsAndDemand(
  resources: unknown,
  demand: Record<"cpus" | "mem" | "disk" | "gpus", number>,
): number[] | undefined {
  const ports: number[] = [];
  if (resources === undefined || resources === null) return ports;
  if (!Array.isArray(resources)) return undefined;
  for (const resource of resources) {
    if (!isRecord(resource)) return undefined;
    if (!isPlainResource(resource)) continue;
    const name = resource.name;
    if (typeof name !== "string") return undefined;
    const scalar = name === "cpus" || name === "mem" || name === "disk" || name === "gpus";
    if (!scalar && name !== "ports") continue;
    const role = rawReservationRole(resource);
    if (role === UNREADABLE) return undefined;
    if (scalar) {
      const holder = resource.scalar;
      const value = isRecord(holder) ? holder.value : undefined;
      if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
      if (value !== 0) demand[name] = round3(demand[name] + value);
      continue;
    }
    if (role !== undefined || !addPorts(resource.ranges, ports)) return undefined;
  }
  return ports;
}

/** Appends each port of `ranges` to `ports`; false unless they are well formed and follow them in ascending order. */
function addPorts(ranges: unknown, ports: number[]): boolean {
  const list = isRecord(ranges) ? ranges.range : undefined;
  if (list === undefined || list === null) return true;
  if (!Array.isArray(list)) return false;
  for (const range of list) {
    if (!isRecord(range)) return false;
    const { begin, end } = range;
    if (typeof begin !== "number" || !Number.isInteger(begin)) return false;
    if (typeof end !== "number" || !Number.isInteger(end) || end < begin) return false;
    if (ports.length > 0 && begin <= (ports[ports.length - 1] as number)) return false;
    for (let port = begin; port <= end; port += 1) ports.push(port);
  }
  return true;
}
