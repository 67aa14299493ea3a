import type { TaskRecord } from "./build.js";
import { withFaultDomainNames } from "./fault-domain.js";
import { isRecord, Node, ShapeError } from "./json-reader.js";
import { hasTitanLabel, labelList, type MesosLabel } from "./labels.js";
import { parseRangeText } from "./ranges.js";
import { type AgentRecord, DIMENSIONS, emptyBag, type ResourceBag } from "./resources.js";
import { summariseStatuses, summariseStatusRecord } from "./task-status.js";

/**
 * The master's `GET /master/state` JSON (src/master/readonly_handler.cpp): plain-string ids, `slaves`, flat
 * resource objects (`{"cpus":8,"mem":31744,"ports":"[31000-32000]"}`) and labels as an array of {key, value}.
 */
export function readMasterState(root: Node): { agents: AgentRecord[]; tasks: TaskRecord[] } {
  const agents = root.get("slaves").items().map(readAgent);
  const tasks: TaskRecord[] = [];
  for (const framework of root.get("frameworks").items()) {
    const id = framework.get("id").string();
    const name = framework.get("name").optionalString() ?? id;
    for (const list of ["tasks", "unreachable_tasks", "completed_tasks"]) {
      const listed = framework.get(list);
      listed.itemValues().forEach((task, index) => {
        tasks.push(
          readStateTaskDirect(task, id, name) ??
            readStateTaskChecked(new Node(task, listed, index), id, name),
        );
      });
    }
  }
  return { agents, tasks };
}

function readAgent(slave: Node): AgentRecord {
  const active = slave.get("active").boolean(true);
  const deactivated = slave.get("deactivated").boolean(false);
  const draining = slave.has("drain_info");
  const reserved = new Map<string, ResourceBag>();
  for (const [role, bag] of slave.get("reserved_resources").entries())
    reserved.set(role, readFlatResources(bag));
  const record: AgentRecord = {
    id: slave.get("id").string(),
    hostname: slave.get("hostname").string(),
    attributes: readFlatAttributes(slave.get("attributes"), slave.get("domain")),
    schedulable: active && !deactivated && !draining,
    total: readFlatResources(slave.get("resources").object()),
    reserved,
    used: readFlatResources(slave.get("used_resources")),
  };
  if (!active) record.unschedulableReason = "inactive";
  else if (deactivated) record.unschedulableReason = "deactivated";
  else if (draining) record.unschedulableReason = "draining";
  const region = faultDomainRegion(slave.get("domain"));
  if (region !== undefined) record.faultDomainRegion = region;
  return record;
}

/**
 * One task of `/master/state`, its fields read directly from the parsed JSON; a task in any shape this does not
 * expect is undefined, and is read again by `readStateTaskChecked`, which accepts what Mesos may also write
 * (numbers as text, labels without a value) and otherwise names the path of the bad field.
 */
export function readStateTaskDirect(
  task: unknown,
  frameworkId: string,
  framework: string,
): TaskRecord | undefined {
  if (!isRecord(task)) return undefined;
  const { id, state, slave_id: agentId } = task;
  const name = task.name ?? "";
  if (typeof id !== "string" || typeof state !== "string" || typeof agentId !== "string") return undefined;
  if (typeof name !== "string") return undefined;
  const labels = labelList(task.labels);
  if (labels === undefined) return undefined;
  const resources = flatResourcesOf(task.resources);
  if (resources === undefined) return undefined;
  const record: TaskRecord = { id, name, frameworkId, framework, state, agentId, resources, labels };
  if (hasTitanLabel(labels)) {
    // Only titan's tasks need their status history read; the other frameworks' may be tens of thousands.
    const status = summariseStatusRecord(task, state);
    if (status === undefined) return undefined;
    record.status = status;
  }
  const role = task.role ?? undefined;
  if (role !== undefined) {
    if (typeof role !== "string") return undefined;
    record.allocationRole = role;
  }
  const image = imageOf(task.container);
  if (image !== undefined) record.image = image;
  return record;
}

/** The same task read through `Node`: slower, and throws a ShapeError with the path of a bad field. */
export function readStateTaskChecked(task: Node, frameworkId: string, framework: string): TaskRecord {
  const labels = task
    .get("labels")
    .items()
    .map((l): MesosLabel => ({ key: l.get("key").string(), value: l.get("value").optionalString() ?? "" }));
  const state = task.get("state").string();
  const record: TaskRecord = {
    id: task.get("id").string(),
    name: task.get("name").optionalString() ?? "",
    frameworkId,
    framework,
    state,
    agentId: task.get("slave_id").string(),
    resources: readFlatResources(task.get("resources")),
    labels,
  };
  if (hasTitanLabel(labels)) record.status = summariseStatuses(task, state);
  const role = task.get("role").optionalString();
  if (role !== undefined) record.allocationRole = role;
  const image = containerImage(task.get("container"));
  if (image !== undefined) record.image = image;
  return record;
}

/**
 * The image of a mesos.v1.ContainerInfo (both formats embed it the same way): a Docker image run by the Mesos
 * containerizer (`mesos.image.docker.name`) or by the Docker containerizer (`docker.image`).
 */
export function containerImage(container: Node): string | undefined {
  return imageOf(container.value);
}

/** `containerImage` of the parsed ContainerInfo itself. */
export function imageOf(container: unknown): string | undefined {
  if (!isRecord(container)) return undefined;
  const mesos = member(member(member(member(container, "mesos"), "image"), "docker"), "name");
  if (typeof mesos === "string") return mesos;
  const docker = member(member(container, "docker"), "image");
  return typeof docker === "string" ? docker : undefined;
}

function member(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

/** `{"cpus":8,"gpus":0,"mem":31744,"disk":204800,"ports":"[31000-32000]"}`; revocable (`*_revocable`) resources are left out. */
export function readFlatResources(node: Node): ResourceBag {
  return flatResourcesOf(node.value) ?? readFlatResourcesChecked(node);
}

/** Flat resources with numbers as numbers and ports as the master writes them; undefined for any other shape. */
function flatResourcesOf(resources: unknown): ResourceBag | undefined {
  const bag = emptyBag();
  if (resources === undefined || resources === null) return bag;
  if (!isRecord(resources)) return undefined;
  for (const dim of DIMENSIONS) {
    const value = resources[dim] ?? 0;
    if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
    bag.scalars[dim] = value;
  }
  const ports = resources.ports ?? undefined;
  if (ports !== undefined) {
    if (typeof ports !== "string") return undefined;
    const ranges = parseRangeText(ports);
    if (ranges === undefined) return undefined;
    bag.ports = ranges;
  }
  return bag;
}

/** The same through `Node`: numbers also as text, and a ShapeError with the path of a bad field. */
function readFlatResourcesChecked(node: Node): ResourceBag {
  const bag = emptyBag();
  if (!node.isPresent()) return bag;
  node.object();
  for (const dim of DIMENSIONS) bag.scalars[dim] = node.get(dim).optionalNumber(0);
  const ports = node.get("ports");
  if (ports.isPresent()) {
    const ranges = parseRangeText(ports.string());
    if (!ranges) throw new ShapeError(ports.path, 'port ranges such as "[31000-32000]"', ports.value);
    bag.ports = ranges;
  }
  return bag;
}

/** Flat attributes (`{"rack":"r12","ssd":1}`) as text, plus the fault domain's region and zone when no attribute of that name exists. */
function readFlatAttributes(attributes: Node, domain: Node): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of attributes.entries()) {
    const v = value.value;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[name] = String(v);
    else throw new ShapeError(value.path, "a text, number or range attribute", v);
  }
  return withFaultDomain(out, domain);
}

/** The region of a DomainInfo (an agent's or the master's), when it has a fault domain. */
export function faultDomainRegion(domain: Node): string | undefined {
  return domain.get("fault_domain").get("region").get("name").optionalString();
}

export function withFaultDomain(attributes: Record<string, string>, domain: Node): Record<string, string> {
  const faultDomain = domain.get("fault_domain");
  if (!faultDomain.isPresent()) return attributes;
  return withFaultDomainNames(
    attributes,
    faultDomain.get("region").get("name").optionalString(),
    faultDomain.get("zone").get("name").optionalString(),
  );
}
