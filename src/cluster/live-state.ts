import { BadResponseError } from "../mesos/errors.js";
import type { Selection } from "../mesos/json-select.js";
import type { MasterCluster } from "../mesos/leader.js";
import { streamOperatorCall } from "../mesos/state-stream.js";
import { isTerminalState } from "../mesos/task-status.js";
import type { TaskRecord } from "./build.js";
import { FirstListing } from "./first-listing.js";
import { isRecord, Node, nodeAtPath, ShapeError } from "./json-reader.js";
import { readGetState } from "./operator.js";
import { readTaskChecked, readTaskDirect } from "./operator-task.js";
import type { AgentRecord } from "./resources.js";

/**
 * GET_STATE as `titan plan` and `titan deploy` need it, read as a gzipped stream (src/mesos/state-stream.ts): the
 * agents, the frameworks' names, and every task that still holds resources. Executors, completed tasks and
 * completed frameworks are scanned past; each task is parsed on its own and turned at once into the record
 * placement reads (agent, framework, state, resources; labels and statuses only for titan's), ended ones dropped.
 * Memory follows the running tasks of the cluster, never the size of the master's answer.
 */

/** What the state is read through; a value of another kind there is a wrong shape, never an empty part. */
const CONTAINERS = new Map<string, "object" | "array">([
  ["", "object"],
  ["get_state", "object"],
  ["get_state.get_tasks", "object"],
  ["get_state.get_tasks.tasks", "array"],
  ["get_state.get_tasks.unreachable_tasks", "array"],
  ["get_state.get_frameworks", "object"],
  ["get_state.get_frameworks.frameworks", "array"],
  ["get_state.get_agents", "object"],
  ["get_state.get_agents.agents", "array"],
]);

const TASKS = new Set(["get_state.get_tasks.tasks[]", "get_state.get_tasks.unreachable_tasks[]"]);
const FRAMEWORK = "get_state.get_frameworks.frameworks[]";
const AGENT = "get_state.get_agents.agents[]";
const RECOVERED = "get_state.get_agents.recovered_agents";

function selection(path: string): Selection {
  const container = CONTAINERS.get(path);
  if (container !== undefined) return container;
  return path === "type" || TASKS.has(path) || path === FRAMEWORK || path === AGENT || path === RECOVERED
    ? "capture"
    : "skip";
}

/** The framework names are only known once the stream reaches them (after the tasks): filled in at the end. */
const NO_NAMES: ReadonlyMap<string, string> = new Map();

/** An agent without what titan never reads (offered resources, capabilities, resource providers). */
function slimAgent(agent: Record<string, unknown>): Record<string, unknown> {
  const { offered_resources: _o, capabilities: _c, resource_providers: _r, ...kept } = agent;
  return kept;
}

export interface LiveState {
  agents: AgentRecord[];
  /** GET_STATE's agents as the master wrote them (without offers and capabilities), for operator.ts `readQuotaUse`. */
  rawAgents: readonly unknown[];
  /** Tasks that hold resources (not terminal), each once. */
  tasks: TaskRecord[];
  /**
   * Agents of the master's registry that have not re-registered since it failed over (`recovered_agents`): it
   * knows none of their tasks until they do (master.cpp `Master::_recover`).
   */
  recoveredAgents: number;
  /** The master that answered. */
  master: string;
  wireBytes: number;
  jsonBytes: number;
}

/**
 * Reads the leading master's GET_STATE; a task, an agent or a part of the state in a shape titan cannot read throws
 * a ShapeError.
 */
export async function readLiveState(cluster: MasterCluster, signal: AbortSignal): Promise<LiveState> {
  const tasks: TaskRecord[] = [];
  const listed = new FirstListing();
  const names = new Map<string, string>();
  const agents: unknown[] = [];
  let type: unknown;
  let recoveredAgents = 0;
  const result = await streamOperatorCall(cluster, "GET_STATE", {
    signal,
    select: selection,
    onValue(path, captured) {
      const value = captured.parse();
      const container = CONTAINERS.get(path);
      if (container !== undefined)
        throw new ShapeError(nodeAtPath(path, undefined).path, `an ${container}`, value);
      if (path === "type") type = value;
      else if (path === RECOVERED) recoveredAgents = Array.isArray(value) ? value.length : 0;
      else if (path === AGENT) agents.push(isRecord(value) ? slimAgent(value) : value);
      else if (path === FRAMEWORK) {
        const info = new Node(value).get("framework_info");
        const id = info.get("id").get("value").optionalString();
        if (id !== undefined) names.set(id, info.get("name").optionalString() ?? id);
      } else {
        if (isRecord(value) && typeof value.state === "string" && isTerminalState(value.state)) return;
        const record = readTaskDirect(value, NO_NAMES) ?? readTaskChecked(new Node(value), NO_NAMES);
        if (listed.first(record.id, record.frameworkId)) tasks.push(record);
      }
    },
  });
  if (type !== "GET_STATE") {
    throw new BadResponseError(`GET_STATE: ${result.origin} did not answer with a GET_STATE response`, {
      hint: "is the URL a Mesos master of version 1.x?",
    });
  }
  for (const task of tasks) task.framework = names.get(task.frameworkId) ?? task.frameworkId;
  const empty = { tasks: [], unreachable_tasks: [], completed_tasks: [] };
  const { agents: agentRecords } = readGetState(
    new Node({ get_state: { get_tasks: empty, get_frameworks: { frameworks: [] }, get_agents: { agents } } }),
  );
  return {
    agents: agentRecords,
    rawAgents: agents,
    tasks,
    recoveredAgents,
    master: result.origin,
    wireBytes: result.wireBytes,
    jsonBytes: result.jsonBytes,
  };
}
