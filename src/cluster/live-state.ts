import { BadResponseError } from "../mesos/errors.js";
import { parseMesosJson } from "../mesos/json.js";
import type { Selection } from "../mesos/json-select.js";
import type { MasterCluster } from "../mesos/leader.js";
import { streamOperatorCall } from "../mesos/state-stream.js";
import { isTerminalState } from "../mesos/task-status.js";
import type { GetState } from "../mesos/types/operator.js";

/**
 * GET_STATE as `titan plan` and `titan deploy` need it, read as a gzipped stream (src/mesos/state-stream.ts): the
 * agents, the frameworks' ids and names, and every task that still holds resources. Executors, completed tasks
 * and completed frameworks are scanned past; tasks are parsed one at a time, ended ones dropped, and other
 * frameworks' tasks cut down to what placement counts (agent, framework, state, resources). Memory follows the
 * running tasks of the cluster, never the size of the master's answer.
 */

const TASK_LISTS = ["tasks", "unreachable_tasks"] as const;
type TaskList = (typeof TASK_LISTS)[number];

const DESCEND = new Set([
  "",
  "get_state",
  "get_state.get_tasks",
  "get_state.get_tasks.tasks",
  "get_state.get_tasks.unreachable_tasks",
  "get_state.get_frameworks",
  "get_state.get_frameworks.frameworks",
  "get_state.get_agents",
  "get_state.get_agents.agents",
]);

const CAPTURE = new Set([
  "type",
  "get_state.get_tasks.tasks[]",
  "get_state.get_tasks.unreachable_tasks[]",
  "get_state.get_frameworks.frameworks[]",
  "get_state.get_agents.agents[]",
]);

function selection(path: string): Selection {
  if (DESCEND.has(path)) return "descend";
  return CAPTURE.has(path) ? "capture" : "skip";
}

const TITAN_LABEL = Buffer.from('"titan.app"');

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What placement reads of another framework's task; its statuses, labels and container are dropped. */
function slimForeignTask(task: Json): Json {
  return {
    name: task.name,
    task_id: task.task_id,
    framework_id: task.framework_id,
    agent_id: task.agent_id,
    state: task.state,
    resources: task.resources,
  };
}

/** A framework's id and name (its info can carry large labels and capabilities). */
function slimFramework(framework: Json): Json {
  const info = isRecord(framework.framework_info) ? framework.framework_info : {};
  return { framework_info: { id: info.id, name: info.name, user: info.user } };
}

/** An agent without what titan never reads (offered resources, capabilities, resource providers). */
function slimAgent(agent: Json): Json {
  const { offered_resources: _o, capabilities: _c, resource_providers: _r, ...kept } = agent;
  return kept;
}

export interface LiveState {
  /** `{"type":"GET_STATE","get_state":{...}}` holding only what the plan reads, as a snapshot file would. */
  document: { type: "GET_STATE"; get_state: GetState };
  /** The master that answered. */
  master: string;
  wireBytes: number;
  jsonBytes: number;
}

export async function readLiveState(cluster: MasterCluster, signal: AbortSignal): Promise<LiveState> {
  const tasks: Record<TaskList, unknown[]> = { tasks: [], unreachable_tasks: [] };
  const frameworks: unknown[] = [];
  const agents: unknown[] = [];
  let type: unknown;
  const result = await streamOperatorCall(cluster, "GET_STATE", {
    signal,
    select: selection,
    onValue(path, bytes) {
      const value = parseMesosJson(bytes.toString("utf8"));
      if (path === "type") type = value;
      else if (!isRecord(value)) return;
      else if (path === "get_state.get_agents.agents[]") agents.push(slimAgent(value));
      else if (path === "get_state.get_frameworks.frameworks[]") frameworks.push(slimFramework(value));
      else {
        if (typeof value.state === "string" && isTerminalState(value.state)) return;
        const list = path.slice("get_state.get_tasks.".length, -2) as TaskList;
        tasks[list].push(bytes.includes(TITAN_LABEL) ? value : slimForeignTask(value));
      }
    },
  });
  if (type !== "GET_STATE") {
    throw new BadResponseError(`GET_STATE: ${result.origin} did not answer with a GET_STATE response`, {
      hint: "is the URL a Mesos master of version 1.x?",
    });
  }
  const getState = {
    get_tasks: { ...tasks, completed_tasks: [] },
    get_frameworks: { frameworks, completed_frameworks: [] },
    get_agents: { agents, recovered_agents: [] },
  } as unknown as GetState;
  return {
    document: { type: "GET_STATE", get_state: getState },
    master: result.origin,
    wireBytes: result.wireBytes,
    jsonBytes: result.jsonBytes,
  };
}
