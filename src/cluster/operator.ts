import type { PortRange } from "../placement/types.js";
import type { TaskRecord } from "./build.js";
import { type Node, ShapeError } from "./json-reader.js";
import { hasTitanLabel, type MesosLabel } from "./labels.js";
import { containerImage, withFaultDomain } from "./legacy.js";
import { formatRanges, normaliseRanges, unionRanges } from "./ranges.js";
import { type AgentRecord, addInto, emptyBag, type ReservationUse, type ResourceBag } from "./resources.js";
import { summariseStatuses } from "./task-status.js";

/**
 * The v1 operator API's `GET_STATE` response (mesos.v1.master.Response, master.proto): ids as `{"value": ...}`,
 * resources as arrays of mesos.v1.Resource, labels as `{"labels": [...]}`.
 */
export function readGetState(response: Node): { agents: AgentRecord[]; tasks: TaskRecord[] } {
  const state = response.get("get_state").object();
  const frameworkNames = new Map<string, string>();
  for (const f of state.get("get_frameworks").get("frameworks").items()) {
    const info = f.get("framework_info").object();
    const id = info.get("id").get("value").string();
    frameworkNames.set(id, info.get("name").optionalString() ?? id);
  }
  const agents = state.get("get_agents").get("agents").items().map(readAgent);
  const tasks: TaskRecord[] = [];
  // A task can be listed twice while the master moves it between lists: task id -> framework ids seen.
  const seen = new Map<string, string>();
  const getTasks = state.get("get_tasks");
  for (const list of ["tasks", "unreachable_tasks", "completed_tasks"]) {
    for (const task of getTasks.get(list).items()) {
      const record = readTask(task, frameworkNames);
      const known = seen.get(record.id);
      if (known?.split("\n").includes(record.frameworkId)) continue;
      seen.set(record.id, known === undefined ? record.frameworkId : `${known}\n${record.frameworkId}`);
      tasks.push(record);
    }
  }
  return { agents, tasks };
}

function readAgent(agent: Node): AgentRecord {
  const info = agent.get("agent_info").object();
  const active = agent.get("active").boolean(true);
  const deactivated = agent.get("deactivated").boolean(false);
  const draining = agent.has("drain_info");
  const totalNode = agent.has("total_resources") ? agent.get("total_resources") : info.get("resources");
  const total = readResources(totalNode);
  const record: AgentRecord = {
    id: info.get("id").get("value").string(),
    hostname: info.get("hostname").string(),
    attributes: withFaultDomain(readAttributes(info.get("attributes")), info.get("domain")),
    schedulable: active && !deactivated && !draining,
    total: total.all,
    reserved: total.reserved,
    used: readResources(agent.get("allocated_resources")).all,
  };
  if (!active) record.unschedulableReason = "inactive";
  else if (deactivated) record.unschedulableReason = "deactivated";
  else if (draining) record.unschedulableReason = "draining";
  return record;
}

function readTask(task: Node, frameworkNames: ReadonlyMap<string, string>): TaskRecord {
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
    reserved: resources.reserved,
    labels,
    // Only titan's tasks need their status history read; the other frameworks' may be tens of thousands.
    status: hasTitanLabel(labels) ? summariseStatuses(task, state) : undefined,
  };
}

/**
 * Sums mesos.v1.Resource entries into one bag, and separately per reservation role. A resource is reserved when
 * it has `reservations` (the last one is the role that holds it) or, in the pre-refinement form, a `role` other
 * than `*`. Revocable resources are left out: titan does not launch on them.
 */
function readResources(list: Node): { all: ResourceBag; reserved: ReservationUse } {
  const all = emptyBag();
  const reserved: ReservationUse = new Map();
  for (const resource of list.items()) {
    if (resource.has("revocable")) continue;
    const bag = readResource(resource);
    if (!bag) continue;
    // Summed in place: a cluster state has a few resources per task and tens of thousands of tasks.
    addInto(all, bag);
    const role = reservationRole(resource);
    if (role === undefined) continue;
    const held = reserved.get(role);
    if (held === undefined) reserved.set(role, bag);
    else addInto(held, bag);
  }
  return { all, reserved };
}

function reservationRole(resource: Node): string | undefined {
  const reservations = resource.get("reservations").items();
  const last = reservations[reservations.length - 1];
  if (last) return last.get("role").string();
  const role = resource.get("role").optionalString();
  return role !== undefined && role !== "*" ? role : undefined;
}

function readResource(resource: Node): ResourceBag | undefined {
  const name = resource.get("name").string();
  const bag = emptyBag();
  if (name === "cpus" || name === "mem" || name === "disk" || name === "gpus") {
    bag.scalars[name] = resource.get("scalar").get("value").number();
    return bag;
  }
  if (name === "ports") {
    bag.ports = readRanges(resource.get("ranges"));
    return bag;
  }
  return undefined;
}

function readRanges(ranges: Node): PortRange[] {
  const list = ranges
    .get("range")
    .items()
    .map((r) => ({ begin: r.get("begin").number(), end: r.get("end").number() }));
  return normaliseRanges(list);
}

/** mesos.v1.Attribute as text: TEXT and SCALAR values as they are, RANGES as `[a-b, c-d]`, SET as `{a, b}`. */
function readAttributes(list: Node): Record<string, string> {
  const out: Record<string, string> = {};
  for (const attribute of list.items()) {
    const name = attribute.get("name").string();
    const type = attribute.get("type").optionalString();
    if (type === "TEXT" || attribute.has("text")) out[name] = attribute.get("text").get("value").string();
    else if (type === "SCALAR" || attribute.has("scalar")) {
      out[name] = String(attribute.get("scalar").get("value").number());
    } else if (type === "RANGES" || attribute.has("ranges")) {
      out[name] = formatRanges(unionRanges([], readRanges(attribute.get("ranges"))));
    } else if (type === "SET" || attribute.has("set")) {
      const items = attribute
        .get("set")
        .get("item")
        .items()
        .map((i) => i.string());
      out[name] = `{${items.join(", ")}}`;
    } else throw new ShapeError(attribute.path, "a TEXT, SCALAR, RANGES or SET attribute", attribute.value);
  }
  return out;
}
