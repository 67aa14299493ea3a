import { userInfo } from "node:os";
import { BUILD_INFO } from "../build-info.js";
import { domainJson, type FaultDomain } from "../fault-domain.js";
import { mesosDuration } from "../mesos-duration.js";
import { agentPools, poolRole, poolsToJson, reservationsOf, splitByReservation } from "../pools.js";
import type {
  AgentResources,
  AgentStatus,
  FrameworkInfoJson,
  HealthCheckJson,
  LabelsJson,
  ResourceJson,
  TaskInfoJson,
  TaskStateName,
} from "./api.js";
import { agentResourceList, flatResources } from "./resources.js";
import type { Sandbox } from "./sandbox.js";

/** The Mesos release whose agent behaviour the local agent reproduces. */
export const MESOS_VERSION = "1.12.0";

/** What the command executor itself is given on top of its task (src/slave/constants.hpp DEFAULT_EXECUTOR_CPUS/MEM). */
const EXECUTOR_CPUS = 0.1;
const EXECUTOR_MEM = 32;

const AGENT_CAPABILITIES = ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT"] as const;

/** One executor as the state endpoints see it (CommandExecutor satisfies this). */
export interface ExecutorView {
  readonly frameworkId: string;
  readonly framework: FrameworkInfoJson | undefined;
  readonly taskInfo: TaskInfoJson;
  readonly executorId: string;
  readonly state: TaskStateName;
  readonly statuses: readonly AgentStatus[];
  readonly sandbox: Sandbox | undefined;
  readonly isTerminal: boolean;
  /** The task's process (the root of the container's process tree), once it has been forked. */
  readonly pid: number | undefined;
  /** ContainerStatus.executor_pid: the process the executor runs in, once the container has a process. */
  readonly executorPid: number | undefined;
}

export interface AgentView {
  id: string;
  hostname: string;
  port: number;
  attributes: Readonly<Record<string, string>>;
  domain?: FaultDomain;
  resources: AgentResources;
  workDir: string;
  masterHostname?: string;
  masterAddress?: string;
  /** Seconds since the epoch. */
  startTime: number;
  dockerAvailable: boolean;
  executorRegistrationTimeoutMs: number;
  executors: readonly ExecutorView[];
}

type Json = Record<string, unknown>;

/** FrameworkInfo as the agent reports it; a launch without one still names the framework and the user tasks run as. */
export function frameworkInfoOf(view: ExecutorView): FrameworkInfoJson {
  const info: FrameworkInfoJson = view.framework
    ? { ...view.framework }
    : { user: userInfo().username, name: "", id: { value: view.frameworkId } };
  info.id ??= { value: view.frameworkId };
  return info;
}

/** The name Mesos' agent gives a command task's executor (src/slave/slave.cpp `getExecutorInfo`). */
export function commandExecutorName(task: TaskInfoJson): string {
  const command = task.command ?? {};
  const abbreviate = (text: string) => (text.length > 15 ? `${text.slice(0, 12)}...` : text);
  let what: string;
  if (command.shell ?? true) {
    what = command.value === undefined ? "NO COMMAND" : `sh -c '${abbreviate(command.value)}'`;
  } else {
    what =
      command.value === undefined
        ? "NO EXECUTABLE"
        : `[${abbreviate(`${command.value}, ${(command.arguments ?? []).join(", ")}`)}]`;
  }
  return `Command Executor (Task: ${task.task_id.value}) (Command: ${what})`;
}

function allocationInfo(task: TaskInfoJson): ResourceJson["allocation_info"] {
  return task.resources[0]?.allocation_info;
}

function taskRole(task: TaskInfoJson, framework: FrameworkInfoJson): string {
  return (
    allocationInfo(task)?.role ?? task.resources[0]?.role ?? framework.roles?.[0] ?? framework.role ?? "*"
  );
}

/** The command executor's own allowance, allocated to the task's role. */
export function executorResources(task: TaskInfoJson): ResourceJson[] {
  const allocation = allocationInfo(task);
  const overhead: ResourceJson[] = [
    { name: "cpus", type: "SCALAR", scalar: { value: EXECUTOR_CPUS } },
    { name: "mem", type: "SCALAR", scalar: { value: EXECUTOR_MEM } },
  ];
  if (allocation === undefined) return overhead;
  return overhead.map((resource) => ({ ...resource, allocation_info: { ...allocation } }));
}

/** Kill grace plus the reaper's interval and a second, so the executor can still send TASK_KILLED. */
const SHUTDOWN_GRACE_SLACK_NS = 2_000_000_000;

/** HealthCheck with its declared defaults, as Mesos' JSON writer prints unset fields that have one. */
function withHealthDefaults(check: HealthCheckJson): HealthCheckJson {
  return {
    delay_seconds: 15,
    interval_seconds: 10,
    timeout_seconds: 20,
    consecutive_failures: 3,
    grace_period_seconds: 10,
    ...check,
  };
}

function legacyLabels(labels: LabelsJson | undefined): Array<{ key: string; value?: string }> | undefined {
  return labels?.labels.map((label) => ({ ...label }));
}

// ---------------------------------------------------------------------------------------------------------------
// v1 operator API (agent.proto Response)

function v1TaskStatus(status: AgentStatus, agentId: string): Json {
  const json: Json = {
    task_id: { value: status.taskId },
    state: status.state,
    source: status.source,
    agent_id: { value: agentId },
    timestamp: status.timestamp,
  };
  if (status.message !== undefined) json.message = status.message;
  if (status.reason !== undefined) json.reason = status.reason;
  if (status.executorId !== undefined) json.executor_id = { value: status.executorId };
  if (status.uuid !== undefined) json.uuid = status.uuid;
  if (status.healthy !== undefined) json.healthy = status.healthy;
  if (status.containerStatus !== undefined) json.container_status = status.containerStatus;
  return json;
}

export function v1Task(view: ExecutorView, agentId: string): Json {
  const task = view.taskInfo;
  const framework = frameworkInfoOf(view);
  const json: Json = {
    name: task.name,
    task_id: { value: task.task_id.value },
    framework_id: { value: view.frameworkId },
    executor_id: { value: view.executorId },
    agent_id: { value: agentId },
    state: view.state,
    resources: task.resources,
    statuses: view.statuses.map((status) => v1TaskStatus(status, agentId)),
    user: task.command?.user ?? framework.user,
  };
  const latest = view.statuses[view.statuses.length - 1];
  if (latest !== undefined) {
    json.status_update_state = latest.state;
    if (latest.uuid !== undefined) json.status_update_uuid = latest.uuid;
  }
  if (task.labels !== undefined) json.labels = task.labels;
  if (task.discovery !== undefined) json.discovery = task.discovery;
  if (task.container !== undefined) json.container = task.container;
  if (task.health_check !== undefined) json.health_check = withHealthDefaults(task.health_check);
  if (task.kill_policy !== undefined) json.kill_policy = task.kill_policy;
  return json;
}

export function v1ExecutorInfo(view: ExecutorView): Json {
  const json: Json = {
    executor_id: { value: view.executorId },
    framework_id: { value: view.frameworkId },
    resources: executorResources(view.taskInfo),
    name: commandExecutorName(view.taskInfo),
    source: view.taskInfo.task_id.value,
  };
  const task = view.taskInfo;
  if (task.container !== undefined) json.container = task.container;
  if (task.labels !== undefined) json.labels = task.labels;
  if (task.discovery !== undefined) json.discovery = task.discovery;
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined)
    json.shutdown_grace_period = {
      // An int64 sum, exact past 2^53 too.
      nanoseconds:
        typeof grace === "bigint"
          ? grace + BigInt(SHUTDOWN_GRACE_SLACK_NS)
          : Number(grace) + SHUTDOWN_GRACE_SLACK_NS,
    };
  return json;
}

interface FrameworkGroup {
  info: FrameworkInfoJson;
  executors: ExecutorView[];
  active: boolean;
}

function groupByFramework(executors: readonly ExecutorView[]): FrameworkGroup[] {
  const groups = new Map<string, FrameworkGroup>();
  for (const view of executors) {
    let group = groups.get(view.frameworkId);
    if (group === undefined) {
      group = { info: frameworkInfoOf(view), executors: [], active: false };
      groups.set(view.frameworkId, group);
    }
    if (view.framework !== undefined) group.info = frameworkInfoOf(view);
    group.executors.push(view);
    if (!view.isTerminal) group.active = true;
  }
  return [...groups.values()];
}

function withFrameworkDefaults(info: FrameworkInfoJson): Json {
  return { failover_timeout: 0, checkpoint: false, ...info };
}

export function v1GetTasks(agent: AgentView): Json {
  const launched = agent.executors.filter((e) => !e.isTerminal).map((e) => v1Task(e, agent.id));
  const completed = agent.executors.filter((e) => e.isTerminal).map((e) => v1Task(e, agent.id));
  const json: Json = {};
  if (launched.length > 0) json.launched_tasks = launched;
  if (completed.length > 0) json.completed_tasks = completed;
  return json;
}

export function v1GetExecutors(agent: AgentView): Json {
  const executors = agent.executors
    .filter((e) => !e.isTerminal)
    .map((e) => ({ executor_info: v1ExecutorInfo(e) }));
  const completed = agent.executors
    .filter((e) => e.isTerminal)
    .map((e) => ({ executor_info: v1ExecutorInfo(e) }));
  const json: Json = {};
  if (executors.length > 0) json.executors = executors;
  if (completed.length > 0) json.completed_executors = completed;
  return json;
}

export function v1GetFrameworks(agent: AgentView): Json {
  const groups = groupByFramework(agent.executors);
  const active = groups
    .filter((g) => g.active)
    .map((g) => ({ framework_info: withFrameworkDefaults(g.info) }));
  const completed = groups
    .filter((g) => !g.active)
    .map((g) => ({ framework_info: withFrameworkDefaults(g.info) }));
  const json: Json = {};
  if (active.length > 0) json.frameworks = active;
  if (completed.length > 0) json.completed_frameworks = completed;
  return json;
}

export function v1GetState(agent: AgentView): Json {
  return {
    get_tasks: v1GetTasks(agent),
    get_executors: v1GetExecutors(agent),
    get_frameworks: v1GetFrameworks(agent),
  };
}

export function v1AgentInfo(agent: AgentView): Json {
  return {
    hostname: agent.hostname,
    port: agent.port,
    resources: agentResourceList(agent.resources),
    attributes: Object.entries(agent.attributes).map(([name, value]) => ({
      name,
      type: "TEXT",
      text: { value },
    })),
    id: { value: agent.id },
    ...(agent.domain === undefined ? {} : { domain: domainJson(agent.domain) }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// legacy GET /state (hand-written JSON of src/slave/http.cpp and src/common/http.cpp)

function legacyTask(view: ExecutorView, agentId: string): Json {
  const task = view.taskInfo;
  const framework = frameworkInfoOf(view);
  const json: Json = {
    id: task.task_id.value,
    name: task.name,
    framework_id: view.frameworkId,
    executor_id: view.executorId,
    slave_id: agentId,
    state: view.state,
    resources: flatResources(task.resources),
    role: taskRole(task, framework),
    statuses: view.statuses.map((status) => {
      const entry: Json = { state: status.state, timestamp: status.timestamp };
      if (status.healthy !== undefined) entry.healthy = status.healthy;
      if (status.containerStatus !== undefined) entry.container_status = status.containerStatus;
      return entry;
    }),
    user: task.command?.user ?? framework.user,
  };
  const labels = legacyLabels(task.labels);
  if (labels !== undefined) json.labels = labels;
  if (task.discovery !== undefined) json.discovery = task.discovery;
  if (task.container !== undefined) json.container = task.container;
  if (task.health_check !== undefined) json.health_check = withHealthDefaults(task.health_check);
  return json;
}

function legacyExecutor(view: ExecutorView, agentId: string): Json {
  const framework = frameworkInfoOf(view);
  const task = legacyTask(view, agentId);
  const json: Json = {
    id: view.executorId,
    name: commandExecutorName(view.taskInfo),
    source: view.taskInfo.task_id.value,
    container: view.sandbox?.containerId ?? "",
    directory: view.sandbox?.directory ?? "",
    resources: flatResources([...view.taskInfo.resources, ...executorResources(view.taskInfo)]),
    role: taskRole(view.taskInfo, framework),
    tasks: view.isTerminal ? [] : [task],
    queued_tasks: [],
    completed_tasks: view.isTerminal ? [task] : [],
  };
  const labels = legacyLabels(view.taskInfo.labels);
  if (labels !== undefined) json.labels = labels;
  return json;
}

function legacyFramework(group: FrameworkGroup, agentId: string): Json {
  const info = group.info;
  const json: Json = {
    id: info.id?.value ?? "",
    name: info.name,
    user: info.user,
    failover_timeout: info.failover_timeout ?? 0,
    checkpoint: info.checkpoint ?? false,
    hostname: info.hostname ?? "",
    capabilities: (info.capabilities ?? []).map((c) => c.type),
    executors: group.executors.filter((e) => !e.isTerminal).map((e) => legacyExecutor(e, agentId)),
    completed_executors: group.executors.filter((e) => e.isTerminal).map((e) => legacyExecutor(e, agentId)),
  };
  if (info.principal !== undefined) json.principal = info.principal;
  if (info.roles !== undefined) json.roles = info.roles;
  else json.role = info.role ?? "*";
  return json;
}

export function legacyState(agent: AgentView): Json {
  // src/slave/http.cpp: the totals, split by reservation role as Resources::reservations() splits them, and what
  // tasks hold of each, in the ENDPOINT format (`role` and `reservations`).
  const pools = agentPools(agent.resources);
  const endpoint = { refinement: false, endpoint: true };
  const { unreserved, reserved } = splitByReservation(pools);
  const used = agent.executors
    .filter((e) => !e.isTerminal)
    .flatMap((e) => [...e.taskInfo.resources, ...executorResources(e.taskInfo)]);
  const usedUnreserved: ResourceJson[] = [];
  const usedReserved = new Map<string, ResourceJson[]>();
  for (const r of used) {
    const reservations = reservationsOf(r);
    if (reservations.length === 0) usedUnreserved.push(r);
    else {
      const role = poolRole({ reservations });
      usedReserved.set(role, [...(usedReserved.get(role) ?? []), r]);
    }
  }
  const flatByRole = (map: ReadonlyMap<string, ResourceJson[]>) =>
    Object.fromEntries([...map].map(([role, list]) => [role, flatResources(list)]));
  const reservedJson = new Map([...reserved].map(([role, list]) => [role, poolsToJson(list, endpoint)]));
  const json: Json = {
    version: MESOS_VERSION,
    ...BUILD_INFO,
    start_time: agent.startTime,
    id: agent.id,
    pid: `slave(1)@127.0.0.1:${agent.port}`,
    hostname: agent.hostname,
    capabilities: [...AGENT_CAPABILITIES],
    ...(agent.domain === undefined ? {} : { domain: domainJson(agent.domain) }),
    resources: flatResources(poolsToJson(pools, endpoint)),
    reserved_resources: flatByRole(reservedJson),
    unreserved_resources: flatResources(poolsToJson(unreserved, endpoint)),
    reserved_resources_full: Object.fromEntries(reservedJson),
    unreserved_resources_full: poolsToJson(unreserved, endpoint),
    reserved_resources_allocated: flatByRole(usedReserved),
    unreserved_resources_allocated: flatResources(usedUnreserved),
    attributes: { ...agent.attributes },
    flags: {
      work_dir: agent.workDir,
      hostname: agent.hostname,
      port: String(agent.port),
      ip: "127.0.0.1",
      containerizers: agent.dockerAvailable ? "docker,mesos" : "mesos",
      sandbox_directory: "/mnt/mesos/sandbox",
      executor_shutdown_grace_period: "5secs",
      executor_registration_timeout: mesosDuration(agent.executorRegistrationTimeoutMs),
      ...(agent.masterAddress !== undefined ? { master: agent.masterAddress } : {}),
    },
  };
  if (agent.masterHostname !== undefined) json.master_hostname = agent.masterHostname;
  const groups = groupByFramework(agent.executors);
  json.frameworks = groups.filter((g) => g.active).map((g) => legacyFramework(g, agent.id));
  json.completed_frameworks = groups.filter((g) => !g.active).map((g) => legacyFramework(g, agent.id));
  return json;
}
