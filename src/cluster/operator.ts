import { type TaskRecord, type TitanTaskReading, titanTaskOf } from "./build.js";
import { FirstListing } from "./first-listing.js";
import { isRecord, Node, ShapeError } from "./json-reader.js";
import { faultDomainRegion, withFaultDomain } from "./legacy.js";
import {
  readRanges,
  readResources,
  roleConsumption,
  setAsideDisk,
  unreservedFree,
} from "./operator-resources.js";
import { readTaskChecked, readTaskDirect } from "./operator-task.js";
import { formatRanges, unionRanges } from "./ranges.js";
import type { AgentRecord } from "./resources.js";
import { completeTitanTask, FOREIGN, readTitanTaskDirect } from "./titan-task-direct.js";
import type { TitanTask } from "./types.js";

/**
 * The v1 operator API's `GET_STATE` response (mesos.v1.master.Response, master.proto): ids as `{"value": ...}`,
 * resources as arrays of mesos.v1.Resource, labels as `{"labels": [...]}`.
 */
export function readGetState(response: Node): { agents: AgentRecord[]; tasks: TaskRecord[] } {
  const state = response.get("get_state").object();
  const frameworkNames = readFrameworkNames(state);
  const agents = state.get("get_agents").get("agents").items().map(readAgent);
  const tasks: TaskRecord[] = [];
  eachListedTask(state, (item, list, index, inFirstList, listed) => {
    const record =
      readTaskDirect(item, frameworkNames) ?? readTaskChecked(new Node(item, list, index), frameworkNames);
    if (listed.first(record.id, record.frameworkId, inFirstList)) tasks.push(record);
  });
  return { agents, tasks };
}

/**
 * Titan's tasks, live and ended, of a `GET_STATE` response, for the commands that read all of them each time (ps,
 * status, logs, supervise): each task straight to a TitanTask where it can be (`readTitanTaskDirect`), else as
 * `readGetState` and `collectTitanTasks` read it, with the same result.
 */
export function readTitanTasksOfState(response: Node): TitanTaskReading {
  const state = response.get("get_state").object();
  const collector = new TitanTaskCollector();
  for (const { name, items } of taskLists(state)) {
    for (let index = 0; index < items.length; index += 1) collector.add(name, items[index], index);
  }
  return collector.finish(state);
}

interface Listed {
  index: number;
  /** Read as it arrived, its framework's name and its agent's host and zone not yet filled in. */
  task?: TitanTask;
  /** An item `readTitanTaskDirect` does not read: read the general way once the agents are known. */
  item?: unknown;
}

/**
 * Titan's tasks of GET_STATE's three task lists, taken one by one as a streamed answer hands them over, before the
 * agents and frameworks (which GET_STATE holds after the tasks) are known: each becomes a TitanTask at once, so
 * the task's parsed JSON is garbage while it is young instead of being kept until the answer ends. `finish`
 * fills in the frameworks' names and the agents' hosts and zones, keeps each task's first listing and reads the
 * rare task `readTitanTaskDirect` does not.
 */
export class TitanTaskCollector {
  /** By list, as every reader of a state takes them, whatever order the answer gave the lists in. */
  private readonly listed: Record<TaskListName, Listed[]> = {
    tasks: [],
    unreachable_tasks: [],
    completed_tasks: [],
  };
  /** Ids the later lists (unreachable, completed) hold: a task of `tasks` listed nowhere else is kept unchecked. */
  private readonly relisted = new Set<string>();

  /** An item of the task list `list`, at `index` in it (for a message about it). */
  add(list: TaskListName, item: unknown, index: number): void {
    if (list !== "tasks") {
      const id = taskIdOf(item);
      if (id !== undefined) this.relisted.add(id);
    }
    const task = readTitanTaskDirect(item);
    if (task === FOREIGN) return;
    this.listed[list].push(task === undefined ? { index, item } : { index, task });
  }

  /** Titan's tasks, given the rest of the answer: `state` is the `get_state` object (its task lists are not read). */
  finish(state: Node): TitanTaskReading {
    const frameworkNames = readFrameworkNames(state);
    const agents = new Map<string, AgentRecord>();
    for (const agent of state.get("get_agents").get("agents").items()) {
      const record = readAgent(agent);
      agents.set(record.id, record);
    }
    const firstListing = new FirstListing(this.relisted);
    const reading: TitanTaskReading = { tasks: [], malformed: [] };
    for (const list of TASK_LISTS) {
      const inFirstList = list === "tasks";
      for (const { index, task, item } of this.listed[list]) {
        if (task !== undefined) {
          completeTitanTask(task, frameworkNames, agents);
          if (firstListing.first(task.taskId, task.frameworkId, inFirstList)) reading.tasks.push(task);
          continue;
        }
        const record =
          readTaskDirect(item, frameworkNames) ??
          readTaskChecked(new Node(item, listNode(list), index), frameworkNames);
        if (!firstListing.first(record.id, record.frameworkId, inFirstList)) continue;
        const titan = titanTaskOf(record, agents, reading.malformed);
        if (titan !== undefined) reading.tasks.push(titan);
      }
    }
    return reading;
  }
}

/** The Node of a task list, to name where a bad task is. */
function listNode(list: TaskListName): Node {
  return new Node({ get_state: { get_tasks: { [list]: [] } } }).get("get_state").get("get_tasks").get(list);
}

function readFrameworkNames(state: Node): Map<string, string> {
  const names = new Map<string, string>();
  for (const f of state.get("get_frameworks").get("frameworks").items()) {
    const info = f.get("framework_info").object();
    const id = info.get("id").get("value").string();
    names.set(id, info.get("name").optionalString() ?? id);
  }
  return names;
}

/**
 * GET_STATE's task lists, in the order every reader takes them (the first listing of a task is the one kept). It is
 * the order a master writes them in (master/readonly_handler.cpp, jsonifyGetTasks: active, unreachable, completed),
 * and the local cluster's; the collector keeps it whatever order an answer gives.
 */
export const TASK_LISTS = ["tasks", "unreachable_tasks", "completed_tasks"] as const;
export type TaskListName = (typeof TASK_LISTS)[number];

/** The id of a task item as the master writes it, if it has one. */
function taskIdOf(item: unknown): string | undefined {
  const id = isRecord(item) && isRecord(item.task_id) ? item.task_id.value : undefined;
  return typeof id === "string" ? id : undefined;
}

/** The items of the three task lists, in order, with the Node of each list (for a message). */
function taskLists(state: Node): Array<{ name: TaskListName; list: Node; items: readonly unknown[] }> {
  const getTasks = state.get("get_tasks");
  return TASK_LISTS.map((name) => {
    const list = getTasks.get(name);
    return { name, list, items: list.itemValues() };
  });
}

/**
 * Each item of the three task lists in order, and whether it is in the first (`tasks`); `list` and `index` locate
 * it for a message. An item is wrapped in a Node only by a reader that finds it in an unexpected shape: a state
 * holds tens of thousands. `listed` is the FirstListing for these lists.
 */
function eachListedTask(
  state: Node,
  visit: (item: unknown, list: Node, index: number, inFirstList: boolean, listed: FirstListing) => void,
): void {
  const lists = taskLists(state);
  const relisted = new Set<string>();
  for (const { items } of lists.slice(1)) {
    for (const item of items) {
      const id = taskIdOf(item);
      if (id !== undefined) relisted.add(id);
    }
  }
  const listed = new FirstListing(relisted);
  lists.forEach(({ list, items }, n) => {
    for (let i = 0; i < items.length; i += 1) visit(items[i], list, i, n === 0, listed);
  });
}

function readAgent(agent: Node): AgentRecord {
  const info = agent.get("agent_info").object();
  const active = agent.get("active").boolean(true);
  const deactivated = agent.get("deactivated").boolean(false);
  const draining = agent.has("drain_info");
  const totalNode = totalResources(agent);
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
  const aside = setAsideDisk(totalNode);
  if (aside > 0) record.setAsideDisk = aside;
  if (!active) record.unschedulableReason = "inactive";
  else if (deactivated) record.unschedulableReason = "deactivated";
  else if (draining) record.unschedulableReason = "draining";
  const region = faultDomainRegion(info.get("domain"));
  if (region !== undefined) record.faultDomainRegion = region;
  return record;
}

/** An agent's total resources: GET_AGENTS' `total_resources`, or its AgentInfo's from masters that lack it. */
function totalResources(agent: Node): Node {
  return agent.has("total_resources")
    ? agent.get("total_resources")
    : agent.get("agent_info").get("resources");
}

/**
 * What each agent of GET_STATE's `get_agents.agents` adds to the consumed quota of `roles` and to the cluster's
 * unallocated unreserved scalars, by agent id: read only when quota bounds titan's role (cluster/quota.ts).
 */
export function readQuotaUse(
  agents: readonly unknown[],
  roles: readonly string[],
): Map<string, Pick<AgentRecord, "quotaUse" | "unreservedFree">> {
  const out = new Map<string, Pick<AgentRecord, "quotaUse" | "unreservedFree">>();
  for (const value of agents) {
    const agent = new Node(value);
    const total = totalResources(agent);
    const allocated = agent.get("allocated_resources");
    out.set(agent.get("agent_info").get("id").get("value").string(), {
      quotaUse: new Map(roles.map((role) => [role, roleConsumption(total, allocated, role)])),
      unreservedFree: unreservedFree(total, allocated),
    });
  }
  return out;
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
