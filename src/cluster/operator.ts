import type { TaskRecord } from "./build.js";
import { Node, ShapeError } from "./json-reader.js";
import { withFaultDomain } from "./legacy.js";
import { readRanges, readResources } from "./operator-resources.js";
import { readTaskChecked, readTaskDirect } from "./operator-task.js";
import { formatRanges, unionRanges } from "./ranges.js";
import type { AgentRecord } from "./resources.js";

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
  for (const name of ["tasks", "unreachable_tasks", "completed_tasks"]) {
    const list = getTasks.get(name);
    // Items are wrapped in a Node (for the path in a message) only when one is not in the expected shape.
    const items = Array.isArray(list.value)
      ? (list.value as unknown[])
      : list.items().map((item) => item.value);
    for (let i = 0; i < items.length; i += 1) {
      const record =
        readTaskDirect(items[i], frameworkNames) ??
        readTaskChecked(new Node(items[i], list, i), frameworkNames);
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
