import type { TitanTaskReading } from "../../cluster/build.js";
import { isRecord, Node, nodeAtPath, ShapeError } from "../../cluster/json-reader.js";
import { TitanLabel } from "../../cluster/labels.js";
import { unexpectedStateShape } from "../../cluster/live-source.js";
import { TASK_LISTS, type TaskListName, TitanTaskCollector } from "../../cluster/operator.js";
import type { TitanTask } from "../../cluster/types.js";
import type { MasterCluster } from "../../mesos/index.js";
import type { Selection } from "../../mesos/json-select.js";
import { streamOperatorCall } from "../../mesos/state-stream.js";
import type { GetAgents, GetFrameworksFramework, GetState } from "../../mesos/types/operator.js";

/** Where each of the three task lists' items are in GET_STATE. */
const TASK_ITEMS = new Map<string, TaskListName>(
  TASK_LISTS.map((list) => [`get_state.get_tasks.${list}[]`, list]),
);

/**
 * The objects and arrays GET_STATE is read through. Each must be of its kind where present: a value of another kind
 * is captured and reported (`"get_tasks": 5` is no empty task list), never read as nothing.
 */
const CONTAINERS = new Map<string, "object" | "array">([
  ["", "object"],
  ["get_state", "object"],
  ["get_state.get_tasks", "object"],
  ["get_state.get_frameworks", "object"],
  ["get_state.get_frameworks.frameworks", "array"],
  ["get_state.get_frameworks.completed_frameworks", "array"],
  ...TASK_LISTS.map((list): [string, "array"] => [`get_state.get_tasks.${list}`, "array"]),
]);

/** What `ps`, `status` and `logs` keep of GET_STATE: titan's tasks, the agents, the frameworks' ids and names. */
const SELECTION = new Map<string, Selection>([
  ...CONTAINERS,
  ["type", "capture"],
  ["get_state.get_agents", "capture"],
  ["get_state.get_frameworks.frameworks[]", "capture"],
  ["get_state.get_frameworks.completed_frameworks[]", "capture"],
  ...[...TASK_ITEMS.keys()].map((path): [string, Selection] => [path, "capture"]),
]);

/** Everything else (get_executors, orphan tasks) is scanned past, never kept. */
function selection(path: string): Selection {
  return SELECTION.get(path) ?? "skip";
}

const TITAN_LABEL = Buffer.from(`"${TitanLabel.app}"`);

/**
 * False for a task whose labels are readable and have no `titan.app`; a task in another shape is kept, for the
 * task reader to report. Whether a task was parsed in a batch or on its own, the same tasks are kept.
 */
function mayBeTitans(task: unknown): boolean {
  if (!isRecord(task)) return true;
  if (task.labels === undefined) return false;
  if (!isRecord(task.labels)) return true;
  const list = task.labels.labels;
  if (list === undefined) return false;
  if (!Array.isArray(list)) return true;
  for (const label of list) if (!isRecord(label) || label.key === TitanLabel.app) return true;
  return false;
}

/**
 * A framework's id, name, user and failover timeout are all that is kept (its info can carry large labels and
 * capabilities), each checked for its shape where present.
 */
function slimFramework(item: Node): GetFrameworksFramework {
  const framework = item.object();
  const info = framework.get("framework_info").object();
  const id = info.has("id") ? { value: info.get("id").get("value").string() } : undefined;
  const name = info.get("name").optionalString();
  const user = info.get("user").optionalString();
  const timeout = info.has("failover_timeout")
    ? { failover_timeout: info.get("failover_timeout").number() }
    : {};
  return {
    ...(framework.value as GetFrameworksFramework),
    framework_info: {
      ...(id === undefined ? {} : { id }),
      name,
      user,
      ...timeout,
    } as GetFrameworksFramework["framework_info"],
  };
}

/** Tasks that belong to a region: labelled with it, or unlabelled (an app that names no regions). */
function inRegion(task: TitanTask, region: string | undefined): boolean {
  return region === undefined || task.region === undefined || task.region === region;
}

/**
 * Frameworks the master lists as completed (torn down by `titan stop --purge`, or removed after their failover
 * timeout): every task of theirs has ended and the app is gone, so `ps` leaves them out even with --all.
 */
function completedFrameworks(state: GetState): Set<string> {
  const ids = new Set<string>();
  for (const f of state.get_frameworks?.completed_frameworks ?? []) {
    const id = f.framework_info.id?.value;
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

/** The tasks `ps`, `status` and `releases` speak of: in the region asked about, of frameworks not completed. */
export function listedTasks(
  state: GetState,
  tasks: readonly TitanTask[],
  region: string | undefined,
): TitanTask[] {
  const gone = completedFrameworks(state);
  return tasks.filter((t) => inRegion(t, region) && !gone.has(t.frameworkId));
}

/**
 * GET_STATE from the leading master, read as a stream: only tasks carrying titan's `titan.app` label are kept and
 * executors are skipped, so memory follows titan's share of the cluster, not the size of the master's state. The
 * task lists are parsed in batches while the answer arrives, where their bytes hold the label; a task read on its own
 * (the first of a list, one among other frameworks' tasks, one in bytes a batch could not parse) is parsed only when
 * its bytes hold the label.
 */
export async function readTitanState(
  cluster: MasterCluster,
  signal: AbortSignal,
): Promise<{
  /** The agents and the frameworks' ids and names (the task lists are read into `titanTasks`). */
  state: GetState;
  titanTasks: TitanTaskReading;
  master: string;
  jsonBytes: number;
  wireBytes: number;
}> {
  // Each task becomes a TitanTask as it arrives, so that its parsed JSON does not live until the answer ends.
  const collector = new TitanTaskCollector();
  const listed: Record<TaskListName, number> = { tasks: 0, unreachable_tasks: 0, completed_tasks: 0 };
  const frameworks: GetFrameworksFramework[] = [];
  const completedFrameworks: GetFrameworksFramework[] = [];
  let agents: GetAgents | undefined;
  let type: unknown;
  // The first part in a shape titan cannot read: reported once the answer is in, by the master that gave it.
  let wrongShape: ShapeError | undefined;
  const result = await streamOperatorCall(cluster, "GET_STATE", {
    signal,
    select: selection,
    needle: (path) => (TASK_ITEMS.has(path) ? TITAN_LABEL : undefined),
    onValue(path, captured) {
      const list = TASK_ITEMS.get(path);
      if (list !== undefined) {
        const index = listed[list];
        listed[list] += 1;
        if (!captured.mayContain(TITAN_LABEL)) return;
        const task = captured.parse();
        if (mayBeTitans(task)) collector.add(list, task, index);
        return;
      }
      if (path === "type") {
        type = captured.parse();
        return;
      }
      try {
        const kind = CONTAINERS.get(path);
        if (kind !== undefined)
          throw new ShapeError(nodeAtPath(path, undefined).path, `an ${kind}`, captured.parse());
        if (path === "get_state.get_agents")
          agents = nodeAtPath(path, captured.parse()).object().value as GetAgents;
        else {
          const kept = path.endsWith("completed_frameworks[]") ? completedFrameworks : frameworks;
          kept.push(slimFramework(nodeAtPath(path, captured.parse(), kept.length)));
        }
      } catch (error) {
        if (!(error instanceof ShapeError)) throw error;
        wrongShape ??= error;
      }
    },
  });
  if (type !== "GET_STATE") {
    const { BadResponseError } = await import("../../mesos/errors.js");
    throw new BadResponseError(`GET_STATE: ${result.origin} did not answer with a GET_STATE response`, {
      hint: "is the URL a Mesos master of version 1.x?",
    });
  }
  if (wrongShape !== undefined) throw unexpectedStateShape(result.origin, wrongShape);
  const state: GetState = {
    ...(agents === undefined ? {} : { get_agents: agents }),
    get_frameworks: { frameworks, completed_frameworks: completedFrameworks },
  };
  return {
    state,
    titanTasks: titanTasksOf(collector, state, result.origin),
    master: result.origin,
    jsonBytes: result.jsonBytes,
    wireBytes: result.wireBytes,
  };
}

function titanTasksOf(collector: TitanTaskCollector, state: GetState, master: string): TitanTaskReading {
  try {
    return collector.finish(new Node({ get_state: state }).get("get_state").object());
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw unexpectedStateShape(master, error);
  }
}
