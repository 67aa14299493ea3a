import type { MasterCluster } from "../../mesos/index.js";
import { parseMesosJson } from "../../mesos/json.js";
import type { Selection } from "../../mesos/json-select.js";
import { streamOperatorCall } from "../../mesos/state-stream.js";
import type { Task } from "../../mesos/types/mesos.js";
import type { GetAgents, GetFrameworksFramework, GetState } from "../../mesos/types/operator.js";

const TASK_LISTS = ["tasks", "unreachable_tasks", "completed_tasks"] as const;
type TaskList = (typeof TASK_LISTS)[number];

/** What `ps`, `status` and `logs` keep of GET_STATE: titan's tasks, the agents, the frameworks' ids and names. */
function selection(path: string): Selection {
  switch (path) {
    case "":
    case "get_state":
    case "get_state.get_tasks":
    case "get_state.get_frameworks":
    case "get_state.get_frameworks.frameworks":
    case "get_state.get_frameworks.completed_frameworks":
      return "descend";
    case "type":
    case "get_state.get_agents":
    case "get_state.get_frameworks.frameworks[]":
    case "get_state.get_frameworks.completed_frameworks[]":
      return "capture";
    default:
      break;
  }
  for (const list of TASK_LISTS) {
    if (path === `get_state.get_tasks.${list}`) return "descend";
    if (path === `get_state.get_tasks.${list}[]`) return "capture";
  }
  // get_executors, orphan tasks: scanned past, never kept.
  return "skip";
}

const TITAN_LABEL = Buffer.from('"titan.app"');

/** A framework's id and name are all that is kept (its info can carry large labels and capabilities). */
function slimFramework(f: GetFrameworksFramework): GetFrameworksFramework {
  const { id, name, user, failover_timeout } = f.framework_info;
  const timeout = failover_timeout === undefined ? {} : { failover_timeout };
  return { ...f, framework_info: { ...(id === undefined ? {} : { id }), name, user, ...timeout } };
}

/**
 * GET_STATE from the leading master, read as a stream: only tasks carrying titan's `titan.app` label are parsed
 * and kept (a cheap byte search decides before parsing), executors are skipped, so memory
 * follows titan's share of the cluster, not the size of the master's state.
 */
export async function readTitanState(
  cluster: MasterCluster,
  signal: AbortSignal,
): Promise<{ state: GetState; master: string; jsonBytes: number; wireBytes: number }> {
  const tasks: Record<TaskList, Task[]> = { tasks: [], unreachable_tasks: [], completed_tasks: [] };
  const frameworks: GetFrameworksFramework[] = [];
  const completedFrameworks: GetFrameworksFramework[] = [];
  let agents: GetAgents | undefined;
  let type: string | undefined;
  const result = await streamOperatorCall(cluster, "GET_STATE", {
    signal,
    select: selection,
    onValue(path, bytes) {
      // parseMesosJson: a master writes an unlimited limit as a bare `Infinity` (src/mesos/json.ts).
      if (path === "type") type = parseMesosJson(bytes.toString("utf8")) as string;
      else if (path === "get_state.get_agents") agents = parseMesosJson(bytes.toString("utf8")) as GetAgents;
      else if (path.endsWith("frameworks[]")) {
        const list = path.endsWith("completed_frameworks[]") ? completedFrameworks : frameworks;
        list.push(slimFramework(parseMesosJson(bytes.toString("utf8")) as GetFrameworksFramework));
      } else if (bytes.includes(TITAN_LABEL)) {
        const list = path.slice("get_state.get_tasks.".length, -2) as TaskList;
        tasks[list].push(parseMesosJson(bytes.toString("utf8")) as Task);
      }
    },
  });
  if (type !== "GET_STATE") {
    const { BadResponseError } = await import("../../mesos/errors.js");
    throw new BadResponseError(`GET_STATE: ${result.origin} did not answer with a GET_STATE response`, {
      hint: "is the URL a Mesos master of version 1.x?",
    });
  }
  return {
    state: {
      get_tasks: tasks,
      ...(agents === undefined ? {} : { get_agents: agents }),
      get_frameworks: { frameworks, completed_frameworks: completedFrameworks },
    },
    master: result.origin,
    jsonBytes: result.jsonBytes,
    wireBytes: result.wireBytes,
  };
}
