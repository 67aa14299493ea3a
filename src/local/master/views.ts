import type { ResourceJson } from "../agent/api.js";
import { isTerminalState } from "../agent/task-states.js";
import { BUILD_INFO } from "../build-info.js";
import { domainJson } from "../fault-domain.js";
import { isObject, type JsonObject, nanos, seconds, withoutEmptyRepeated } from "../json.js";
import { mesosDuration } from "../mesos-duration.js";
import { mergePools, type Pool, poolsToJson, splitByReservation, sumPools } from "../pools.js";
import { add, emptyQuantities, toLegacyResources } from "../resources.js";
import { agentPort, textAttributes } from "./agent-info.js";
import { containerWithDefaults, healthCheckWithDefaults } from "./defaults.js";
import { type LocalMaster, MESOS_VERSION } from "./master.js";
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from "./model.js";

/**
 * What the master shows of its state: v1 operator API responses (master.proto Response.*) and the legacy hand-written
 * JSON of /master/state and friends (plain-string ids, flat resources, `slave` names).
 */

const AGENT_CAPABILITIES = [
  "MULTI_ROLE",
  "HIERARCHICAL_ROLE",
  "RESERVATION_REFINEMENT",
  "RESOURCE_PROVIDER",
  "RESIZE_VOLUME",
  "AGENT_OPERATION_FEEDBACK",
  "AGENT_DRAINING",
  "TASK_RESOURCE_LIMITS",
];

/** src/common/resources_utils.cpp `ENDPOINT`: `role: "*"` unreserved; role (+ reservation) and `reservations`. */
const ENDPOINT_POOLS = { refinement: false, endpoint: true };

// ------------------------------------------------------------------------------------------------- v1

export function versionInfo(): JsonObject {
  return { version: MESOS_VERSION, ...BUILD_INFO };
}

export function v1Task(task: TaskRecord): JsonObject {
  const info = task.info as JsonObject;
  const out: JsonObject = {
    name: info.name,
    task_id: { value: task.taskId },
    framework_id: { value: task.frameworkId },
    agent_id: { value: task.agentId },
    state: task.state,
    resources: task.resources,
    statuses: task.statuses,
  };
  if (task.statusUpdateState !== undefined) out.status_update_state = task.statusUpdateState;
  if (task.statusUpdateUuid !== undefined) out.status_update_uuid = task.statusUpdateUuid;
  if (isObject(info.labels)) out.labels = info.labels;
  if (isObject(info.discovery)) out.discovery = info.discovery;
  const container = containerWithDefaults(info.container);
  if (container) out.container = container;
  const health = healthCheckWithDefaults(info.health_check);
  if (health) out.health_check = health;
  if (isObject(info.kill_policy)) out.kill_policy = info.kill_policy;
  if (task.user !== "") out.user = task.user;
  if (isObject(info.limits)) out.limits = info.limits;
  return withoutEmptyRepeated(out);
}

function agentInfo(agent: AgentRecord): JsonObject {
  return {
    hostname: agent.handle.hostname,
    port: agentPort(agent.handle),
    resources: poolsToJson(agent.pools, ENDPOINT_POOLS),
    attributes: textAttributes(agent.handle.attributes),
    id: { value: agent.id },
    ...(agent.handle.domain === undefined ? {} : { domain: domainJson(agent.handle.domain) }),
  };
}

function allocatedJson(tasks: readonly TaskRecord[]): ResourceJson[] {
  const byRole = new Map<string, Pool[]>();
  for (const t of tasks) byRole.set(t.role, mergePools(byRole.get(t.role) ?? [], t.pools));
  return [...byRole].flatMap(([role, pools]) =>
    poolsToJson(pools, { ...ENDPOINT_POOLS, allocationRole: role }),
  );
}

function offeredJson(offers: readonly OfferRecord[]): ResourceJson[] {
  return offers.flatMap((o) => poolsToJson(o.pools, { ...ENDPOINT_POOLS, allocationRole: o.role }));
}

function liveTasks(master: LocalMaster): TaskRecord[] {
  return [...master.frameworks.values()].flatMap((f) =>
    [...f.tasks.values()].filter((t) => !isTerminalState(t.state)),
  );
}

/** Registered with this master; not an agent of its registry that has yet to re-register after a failover. */
function admitted(agent: AgentRecord): boolean {
  return agent.state === "registered" && agent.recovering !== true;
}

function recovered(master: LocalMaster): AgentRecord[] {
  return [...master.agents.values()].filter((a) => a.recovering === true);
}

export function getAgents(master: LocalMaster): JsonObject {
  const tasks = liveTasks(master);
  const agents = [...master.agents.values()].filter(admitted).map((a) => {
    const out: JsonObject = {
      agent_info: agentInfo(a),
      active: true,
      deactivated: false,
      version: MESOS_VERSION,
      pid: `slave(1)@127.0.0.1:${agentPort(a.handle)}`,
      registered_time: nanos(a.registeredAt),
    };
    if (a.reregisteredAt !== undefined) out.reregistered_time = nanos(a.reregisteredAt);
    out.total_resources = poolsToJson(a.pools, ENDPOINT_POOLS);
    out.allocated_resources = allocatedJson(tasks.filter((t) => t.agentId === a.id));
    out.offered_resources = offeredJson([...master.offers.values()].filter((o) => o.agentId === a.id));
    out.capabilities = AGENT_CAPABILITIES.map((type) => ({ type }));
    return withoutEmptyRepeated(out);
  });
  // readonly_handler.cpp `jsonifyGetAgents`: the AgentInfo of each agent recovered from the registry. Its writers
  // write the response's own lists even when empty, and each element as the message it is.
  return { agents, recovered_agents: recovered(master).map((a) => withoutEmptyRepeated(agentInfo(a))) };
}

function v1Framework(master: LocalMaster, f: FrameworkRecord): JsonObject {
  const out: JsonObject = {
    framework_info: f.info,
    active: f.active,
    connected: f.subscription !== undefined,
    recovered: f.recovered,
    registered_time: nanos(f.registeredAt),
  };
  if (f.reregisteredAt !== undefined) out.reregistered_time = nanos(f.reregisteredAt);
  if (f.unregisteredAt !== undefined) out.unregistered_time = nanos(f.unregisteredAt);
  const offers = [...master.offers.values()].filter((o) => o.frameworkId === f.id);
  out.offers = offers.map((o) => o.json);
  out.inverse_offers = [];
  out.allocated_resources = allocatedJson([...f.tasks.values()].filter((t) => !isTerminalState(t.state)));
  out.offered_resources = offeredJson(offers);
  return withoutEmptyRepeated(out);
}

export function getFrameworks(master: LocalMaster): JsonObject {
  return {
    frameworks: [...master.frameworks.values()].map((f) => v1Framework(master, f)),
    completed_frameworks: master.completedFrameworks.map((f) => v1Framework(master, f)),
  };
}

/** The three lists in a master's order (master/readonly_handler.cpp, jsonifyGetTasks): active, unreachable, completed. */
export function getTasks(master: LocalMaster): JsonObject {
  const frameworks = [...master.frameworks.values(), ...master.completedFrameworks];
  return {
    tasks: [...master.frameworks.values()].flatMap((f) => [...f.tasks.values()].map((t) => v1Task(t))),
    unreachable_tasks: [...master.frameworks.values()].flatMap((f) =>
      [...f.unreachableTasks.values()].map((t) => v1Task(t)),
    ),
    completed_tasks: frameworks.flatMap((f) => f.completedTasks.map((t) => v1Task(t))),
  };
}

/**
 * readonly_handler.cpp `jsonifyGetExecutors` lists the executors of the master's frameworks, which hold only the
 * ExecutorInfos that tasks brought (master.cpp `Master::accept`, `Master::addExecutor`). A command task's executor
 * is the agent's own (slave.cpp re-registers without it), and custom executors are refused here: none to list.
 * The agents' GET_EXECUTORS lists the command executors.
 */
export function getExecutors(): JsonObject {
  return { executors: [] };
}

export function getMaster(master: LocalMaster): JsonObject {
  return {
    master_info: master.masterInfo(),
    start_time: seconds(master.startedAt),
    elected_time: seconds(master.electedAt),
  };
}

export function getState(master: LocalMaster): JsonObject {
  return {
    get_tasks: getTasks(master),
    get_executors: getExecutors(),
    get_frameworks: getFrameworks(master),
    get_agents: getAgents(master),
  };
}

// ------------------------------------------------------------------------------------------------- legacy

function legacyLabels(labels: unknown): JsonObject[] | undefined {
  return isObject(labels) && Array.isArray(labels.labels) ? (labels.labels as JsonObject[]) : undefined;
}

function legacyTask(task: TaskRecord): JsonObject {
  const info = task.info as JsonObject;
  const out: JsonObject = {
    id: task.taskId,
    name: info.name,
    framework_id: task.frameworkId,
    executor_id: "",
    slave_id: task.agentId,
    state: task.state,
    resources: toLegacyResources(task.quantities),
    role: task.role,
    statuses: task.statuses.map((s) => {
      const status: JsonObject = { state: s.state, timestamp: s.timestamp };
      if (s.healthy !== undefined) status.healthy = s.healthy;
      if (s.container_status !== undefined) {
        const { executor_pid: _pid, ...rest } = s.container_status as JsonObject;
        status.container_status = rest;
      }
      return status;
    }),
  };
  if (task.user !== "") out.user = task.user;
  const labels = legacyLabels(info.labels);
  if (labels) out.labels = labels;
  if (isObject(info.discovery)) out.discovery = info.discovery;
  const container = containerWithDefaults(info.container);
  if (container) out.container = container;
  const health = healthCheckWithDefaults(info.health_check);
  if (health) out.health_check = health;
  return out;
}

function flatAttributes(attributes: Readonly<Record<string, string>>): JsonObject {
  return { ...attributes };
}

/**
 * The agents of the legacy endpoints. `/master/slaves` adds each one's resources entry by entry (`*_full`, in the
 * ENDPOINT format; readonly_handler.cpp `SlavesWriter::writeSlave`): only there do reservations and disks with a
 * source show apart from the flat sums `/master/state` has.
 */
export function legacySlaves(master: LocalMaster, full = false): JsonObject[] {
  const used = master.usedByAgent();
  const offered = master.offeredByAgent();
  const tasks = full ? liveTasks(master) : [];
  return [...master.agents.values()].filter(admitted).map((a) => {
    const out: JsonObject = {
      id: a.id,
      hostname: a.handle.hostname,
      port: agentPort(a.handle),
      attributes: flatAttributes(a.handle.attributes),
      ...(a.handle.domain === undefined ? {} : { domain: domainJson(a.handle.domain) }),
      pid: `slave(1)@127.0.0.1:${agentPort(a.handle)}`,
      registered_time: seconds(a.registeredAt),
    };
    if (a.reregisteredAt !== undefined) out.reregistered_time = seconds(a.reregisteredAt);
    const { unreserved, reserved } = splitByReservation(a.pools);
    Object.assign(out, {
      resources: toLegacyResources(a.total),
      used_resources: toLegacyResources(used.get(a.id) ?? emptyQuantities()),
      offered_resources: toLegacyResources(offered.get(a.id) ?? emptyQuantities()),
      // The legacy `reserved_resources`: each pool's amounts under the role it is (finally) reserved to.
      reserved_resources: Object.fromEntries(
        [...reserved].map(([role, pools]) => [role, toLegacyResources(sumPools(pools))]),
      ),
      unreserved_resources: toLegacyResources(sumPools(unreserved)),
      active: true,
      deactivated: false,
      version: MESOS_VERSION,
      capabilities: AGENT_CAPABILITIES,
    });
    if (full) Object.assign(out, fullResources(master, a, tasks, { unreserved, reserved }));
    return out;
  });
}

/** `recovered_slaves` of /master/state and /master/slaves: common/http.cpp `json(SlaveInfo)`. */
export function legacyRecoveredSlaves(master: LocalMaster): JsonObject[] {
  return recovered(master).map((a) => ({
    id: a.id,
    hostname: a.handle.hostname,
    port: agentPort(a.handle),
    attributes: flatAttributes(a.handle.attributes),
    ...(a.handle.domain === undefined ? {} : { domain: domainJson(a.handle.domain) }),
  }));
}

function fullResources(
  master: LocalMaster,
  agent: AgentRecord,
  tasks: readonly TaskRecord[],
  { unreserved, reserved }: ReturnType<typeof splitByReservation>,
): JsonObject {
  return {
    reserved_resources_full: Object.fromEntries(
      [...reserved].map(([role, pools]) => [role, poolsToJson(pools, ENDPOINT_POOLS)]),
    ),
    unreserved_resources_full: poolsToJson(unreserved, ENDPOINT_POOLS),
    used_resources_full: allocatedJson(tasks.filter((t) => t.agentId === agent.id)),
    offered_resources_full: offeredJson([...master.offers.values()].filter((o) => o.agentId === agent.id)),
  };
}

function legacyFramework(master: LocalMaster, f: FrameworkRecord): JsonObject {
  const info = f.info;
  const live = [...f.tasks.values()].filter((t) => !isTerminalState(t.state));
  const used = live.reduce((q, t) => add(q, t.quantities), emptyQuantities());
  const offers = [...master.offers.values()].filter((o) => o.frameworkId === f.id);
  const offered = offers.reduce((q, o) => add(q, o.quantities), emptyQuantities());
  const out: JsonObject = {
    id: f.id,
    name: info.name,
    used_resources: toLegacyResources(used),
    offered_resources: toLegacyResources(offered),
    capabilities: (Array.isArray(info.capabilities) ? info.capabilities : []).map((c) =>
      isObject(c) ? c.type : c,
    ),
    hostname: info.hostname ?? "",
    webui_url: info.webui_url ?? "",
    active: f.active,
    connected: f.subscription !== undefined,
    recovered: f.recovered,
    user: info.user,
    failover_timeout: info.failover_timeout,
    checkpoint: info.checkpoint,
    registered_time: seconds(f.registeredAt),
    unregistered_time: f.unregisteredAt === undefined ? 0 : seconds(f.unregisteredAt),
  };
  if (info.principal !== undefined) out.principal = info.principal;
  out.resources = toLegacyResources(add(used, offered));
  if (f.reregisteredAt !== undefined) out.reregistered_time = seconds(f.reregisteredAt);
  if (f.capabilities.multiRole) out.roles = f.roles;
  else out.role = f.roles[0] ?? "*";
  Object.assign(out, {
    tasks: [...f.tasks.values()].map(legacyTask),
    unreachable_tasks: [...f.unreachableTasks.values()].map(legacyTask),
    completed_tasks: f.completedTasks.map(legacyTask),
    offers: offers.map((o) => ({
      id: o.id,
      framework_id: o.frameworkId,
      slave_id: o.agentId,
      resources: toLegacyResources(o.quantities),
    })),
    executors: [],
  });
  const labels = legacyLabels(info.labels);
  if (labels) out.labels = labels;
  out.offer_constraints = {};
  return out;
}

export function legacyFrameworks(master: LocalMaster): JsonObject {
  return {
    frameworks: [...master.frameworks.values()].map((f) => legacyFramework(master, f)),
    completed_frameworks: master.completedFrameworks.map((f) => legacyFramework(master, f)),
    unregistered_frameworks: [],
  };
}

export function legacyTasks(master: LocalMaster, query: URLSearchParams): JsonObject {
  const frameworkId = query.get("framework_id");
  const taskId = query.get("task_id");
  const limit = Number(query.get("limit") ?? 100);
  const offset = Number(query.get("offset") ?? 0);
  const order = query.get("order") === "asc" ? "asc" : "des";
  const frameworks = [...master.frameworks.values(), ...master.completedFrameworks].filter(
    (f) => frameworkId === null || f.id === frameworkId,
  );
  let tasks = frameworks.flatMap((f) => [
    ...f.tasks.values(),
    ...f.unreachableTasks.values(),
    ...f.completedTasks,
  ]);
  if (taskId !== null) tasks = tasks.filter((t) => t.taskId === taskId);
  const started = (t: TaskRecord) => Number(t.statuses[0]?.timestamp ?? 0);
  tasks.sort((a, b) => (order === "asc" ? started(a) - started(b) : started(b) - started(a)));
  const safeOffset = Number.isFinite(offset) && offset > 0 ? offset : 0;
  const safeLimit = Number.isFinite(limit) && limit >= 0 ? limit : 100;
  return { tasks: tasks.slice(safeOffset, safeOffset + safeLimit).map(legacyTask) };
}

/**
 * master/http.cpp `Master::Http::__flags`: every flag that has a value, as `/master/flags` and GET_FLAGS answer
 * (and `/master/state` lists them).
 */
export function masterFlags(master: LocalMaster): Record<string, string> {
  return {
    port: String(master.port),
    hostname: "127.0.0.1",
    // A master lists only the flags that have a value (an unset --offer_timeout is left out).
    ...(master.options.offerTimeoutMs === undefined
      ? {}
      : { offer_timeout: mesosDuration(master.options.offerTimeoutMs) }),
    max_completed_tasks_per_framework: String(master.options.maxCompletedTasksPerFramework),
    // Every master lists it: it has a default (flags.cpp, MIN_AGENT_REREGISTER_TIMEOUT, 10 minutes).
    agent_reregister_timeout: mesosDuration(master.options.agentReregisterTimeoutMs),
  };
}

export function legacyState(master: LocalMaster): JsonObject {
  const slaves = legacySlaves(master);
  const pid = `master@127.0.0.1:${master.port}`;
  const unreachable = [...master.agents.values()].filter((a) => a.state === "unreachable").length;
  return {
    version: MESOS_VERSION,
    ...BUILD_INFO,
    start_time: seconds(master.startedAt),
    elected_time: seconds(master.electedAt),
    id: master.masterId,
    pid,
    hostname: "127.0.0.1",
    capabilities: ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
    ...(master.options.domain === undefined ? {} : { domain: domainJson(master.options.domain) }),
    activated_slaves: slaves.length,
    deactivated_slaves: 0,
    unreachable_slaves: unreachable,
    leader: pid,
    leader_info: { id: master.masterId, pid, port: master.port, hostname: "127.0.0.1" },
    flags: masterFlags(master),
    slaves,
    recovered_slaves: legacyRecoveredSlaves(master),
    ...legacyFrameworks(master),
    orphan_tasks: [],
  };
}
