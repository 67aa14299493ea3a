import { readTaskLabels } from "../cluster/labels.js";
import type { AgentInfo, Task, TaskState, TaskStatus } from "../mesos/types/mesos.js";
import type { GetAgentsAgent, GetState } from "../mesos/types/operator.js";

export type Health = "healthy" | "unhealthy" | "checking" | "none";

/** One titan task as `ps` and `logs` need it, flattened out of GET_STATE. */
export interface TaskView {
  app: string;
  instance: number;
  release?: number;
  region?: string;
  taskId: string;
  frameworkId: string;
  agentId: string;
  state: TaskState;
  /** When the current state began (epoch ms), from the latest status or the unreachable time. */
  since?: number;
  /** The first status Mesos kept for the task (epoch ms): the task's age. */
  startedAt?: number;
  health: Health;
  /** The agent's hostname; the agent id when the master no longer lists the agent (partitioned, removed). */
  host: string;
  ports: number[];
  zone?: string;
}

export interface TitanTasks {
  tasks: TaskView[];
  /** Agents by id, for reaching their files API. */
  agents: Map<string, GetAgentsAgent>;
  /** Tasks with a `titan.app` label whose other labels are unusable. */
  malformed: Array<{ taskId: string; app: string; problem: string }>;
}

function zoneOf(info: AgentInfo | undefined): string | undefined {
  if (info === undefined) return undefined;
  const domainZone = info.domain?.fault_domain?.zone.name;
  if (domainZone !== undefined) return domainZone;
  const attribute = info.attributes?.find((a) => a.name === "zone");
  return attribute?.text?.value ?? attribute?.scalar?.value?.toString();
}

function portsOf(task: Task): number[] {
  const ports: number[] = [];
  for (const resource of task.resources ?? []) {
    if (resource.name !== "ports") continue;
    for (const range of resource.ranges?.range ?? []) {
      // A task holds a handful of ports; a huge range would be a reservation, shown by its ends only.
      if (range.end - range.begin > 16) ports.push(range.begin, range.end);
      else for (let port = range.begin; port <= range.end; port += 1) ports.push(port);
    }
  }
  return ports;
}

function nanosToMs(value: number | string): number {
  return Math.floor(Number(value) / 1e6);
}

function timesOf(statuses: readonly TaskStatus[]): {
  first: number | undefined;
  last: TaskStatus | undefined;
} {
  let first: number | undefined;
  let last: TaskStatus | undefined;
  for (const status of statuses) {
    const at = status.timestamp;
    if (at !== undefined && (first === undefined || at * 1000 < first)) first = at * 1000;
    if (last === undefined || (at ?? 0) >= (last.timestamp ?? 0)) last = status;
  }
  return { first: first === undefined ? undefined : Math.floor(first), last };
}

/**
 * The last health verdict Mesos reported for the task. An unreachable or ended task keeps its last known verdict;
 * "checking" is only for a live task whose check has not reported yet.
 */
function healthOf(task: Task): Health {
  let verdict: boolean | undefined;
  let at = Number.NEGATIVE_INFINITY;
  for (const status of task.statuses ?? []) {
    if (status.healthy !== undefined && (status.timestamp ?? 0) >= at) {
      verdict = status.healthy;
      at = status.timestamp ?? 0;
    }
  }
  if (verdict !== undefined) return verdict ? "healthy" : "unhealthy";
  const live = task.state === "TASK_RUNNING" || task.state === "TASK_STARTING";
  return task.health_check !== undefined && live ? "checking" : "none";
}

function viewOf(
  task: Task,
  agents: Map<string, GetAgentsAgent>,
): TaskView | { malformed: string; app: string } | undefined {
  const reading = readTaskLabels(task.labels?.labels ?? []);
  if (reading.kind === "foreign") return undefined;
  if (reading.kind === "malformed") return { malformed: reading.problem, app: reading.app };
  const { identity } = reading;
  const agent = agents.get(task.agent_id.value);
  const { first, last } = timesOf(task.statuses ?? []);
  const unreachable = last?.unreachable_time;
  const since =
    (task.state === "TASK_UNREACHABLE" || task.state === "TASK_LOST") && unreachable !== undefined
      ? nanosToMs(unreachable.nanoseconds)
      : last?.state === task.state && last.timestamp !== undefined
        ? Math.floor(last.timestamp * 1000)
        : undefined;
  // Plain assignments rather than conditional spreads: this runs once per task of the whole cluster.
  const view: TaskView = {
    app: identity.app,
    instance: identity.instance,
    taskId: task.task_id.value,
    frameworkId: task.framework_id.value,
    agentId: task.agent_id.value,
    state: task.state,
    health: healthOf(task),
    host: agent?.agent_info.hostname ?? task.agent_id.value,
    ports: portsOf(task),
  };
  if (identity.release !== undefined) view.release = identity.release;
  if (identity.region !== undefined) view.region = identity.region;
  if (since !== undefined) view.since = since;
  if (first !== undefined) view.startedAt = first;
  const zone = zoneOf(agent?.agent_info);
  if (zone !== undefined) view.zone = zone;
  return view;
}

/**
 * Every titan-labelled task in a master's GET_STATE, active, unreachable and completed, in one linear pass
 * (agents are indexed first, so a 50k-task state costs one map lookup per task).
 */
export function readTitanTasks(state: GetState): TitanTasks {
  const agents = new Map<string, GetAgentsAgent>();
  for (const agent of state.get_agents?.agents ?? []) {
    const id = agent.agent_info.id?.value;
    if (id !== undefined) agents.set(id, agent);
  }
  const tasks: TaskView[] = [];
  const malformed: TitanTasks["malformed"] = [];
  const seen = new Set<string>();
  const lists = [
    state.get_tasks?.tasks,
    state.get_tasks?.unreachable_tasks,
    state.get_tasks?.completed_tasks,
  ];
  for (const list of lists) {
    for (const task of list ?? []) {
      const key = `${task.framework_id.value}/${task.task_id.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const view = viewOf(task, agents);
      if (view === undefined) continue;
      if ("malformed" in view)
        malformed.push({ taskId: task.task_id.value, app: view.app, problem: view.malformed });
      else tasks.push(view);
    }
  }
  return { tasks, agents, malformed };
}
