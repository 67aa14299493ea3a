import { isTerminalState } from "../mesos/task-status.js";
import type { TaskState } from "../mesos/types/mesos.js";
import type { Agent, RunningTask } from "../placement/types.js";
import { hasTitanLabel, type MesosLabel, readTaskLabels } from "./labels.js";
import { countPorts, rangesToPorts } from "./ranges.js";
import { type AgentRecord, freeForRole, round3, type TaskUse } from "./resources.js";
import type { TaskStatusSummary } from "./task-status.js";
import type { ClusterSnapshot, SnapshotFormat, TitanTask } from "./types.js";

/** One task as both snapshot formats describe it. */
export interface TaskRecord extends TaskUse {
  id: string;
  name: string;
  frameworkId: string;
  /** The framework's name (its id when the master does not list the framework). */
  framework: string;
  state: string;
  labels: readonly MesosLabel[];
  /** The container image, from the task's ContainerInfo. */
  image?: string | undefined;
  /** Health and times from the status history; read for titan's tasks only. */
  status?: TaskStatusSummary | undefined;
}

/** Titan's tasks in a cluster state, live and ended, and the titan-labelled tasks whose labels are unusable. */
export interface TitanTaskReading {
  tasks: TitanTask[];
  malformed: Array<{ taskId: string; app: string; problem: string }>;
}

/**
 * Titan's tasks among task records, for plan and deploy: every task labelled `titan.app`, in the order given, with
 * the agent's hostname and zone. (ps, status, logs and supervise read them straight from GET_STATE:
 * `readTitanTasksOfState`, which falls back on `titanTaskOf` for what it does not read itself.)
 */
export function collectTitanTasks(
  agentRecords: readonly AgentRecord[],
  taskRecords: readonly TaskRecord[],
): TitanTaskReading {
  const agents = new Map<string, AgentRecord>();
  for (const agent of agentRecords) agents.set(agent.id, agent);
  const reading: TitanTaskReading = { tasks: [], malformed: [] };
  for (const t of taskRecords) {
    const task = titanTaskOf(t, agents, reading.malformed);
    if (task !== undefined) reading.tasks.push(task);
  }
  return reading;
}

/**
 * The record as a titan task, with its agent's hostname and zone; undefined for another framework's task, and for
 * one whose titan labels are unusable, which is added to `malformed`.
 */
export function titanTaskOf(
  t: TaskRecord,
  agents: ReadonlyMap<string, AgentRecord>,
  malformed: TitanTaskReading["malformed"],
): TitanTask | undefined {
  if (!hasTitanLabel(t.labels)) return undefined;
  const reading = readTaskLabels(t.labels);
  if (reading.kind === "malformed")
    malformed.push({ taskId: t.id, app: reading.app, problem: reading.problem });
  if (reading.kind !== "titan") return undefined;
  const { identity } = reading;
  const agent = agents.get(t.agentId);
  // Plain assignments rather than conditional spreads: this runs once per titan task of the whole cluster.
  const task: TitanTask = {
    taskId: t.id,
    frameworkId: t.frameworkId,
    framework: t.framework,
    app: identity.app,
    instance: identity.instance,
    digest: identity.digest,
    state: t.state as TaskState,
    agentId: t.agentId,
    hostname: agent?.hostname ?? t.agentId,
    demand: t.resources.scalars,
    ports: rangesToPorts(t.resources.ports),
    health: t.status?.health ?? "none",
  };
  if (t.image !== undefined) task.image = t.image;
  if (identity.release !== undefined) task.release = identity.release;
  if (identity.region !== undefined) task.region = identity.region;
  const zone = agent?.attributes.zone;
  if (zone !== undefined) task.zone = zone;
  if (t.status?.since !== undefined) task.since = t.status.since;
  if (t.status?.startedAt !== undefined) task.startedAt = t.status.startedAt;
  return task;
}

/** The `app` of a foreign task in placement inputs; cannot clash with a titan app name, which has no colon. */
export function foreignAppName(framework: string): string {
  return `framework:${framework}`;
}

/** Code-unit order: the same on every machine, unlike locale collation, and fast. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Agents skipped for one reason, in one line: a cluster may have hundreds draining or in a remote region. */
function skippedWarning(hosts: readonly string[], reason: string): string {
  if (hosts.length === 1) return `agent ${hosts[0]} is skipped: ${reason}`;
  const shown = hosts.slice(0, SKIPPED_AGENTS_NAMED);
  const more = hosts.length > shown.length ? ` and ${hosts.length - shown.length} more` : "";
  return `${hosts.length} agents are skipped (${shown.join(", ")}${more}): ${reason}`;
}

const SKIPPED_AGENTS_NAMED = 3;

/** Turns what either format reports into titan's view: free resources for `role`, running tasks, titan's tasks. */
export function buildSnapshot(
  format: SnapshotFormat,
  agentRecords: readonly AgentRecord[],
  taskRecords: readonly TaskRecord[],
  role: string,
): ClusterSnapshot {
  const warnings: string[] = [];
  const live = taskRecords.filter((t) => !isTerminalState(t.state));
  const tasksByAgent = new Map<string, TaskRecord[]>();
  for (const t of live) {
    const list = tasksByAgent.get(t.agentId) ?? [];
    list.push(t);
    tasksByAgent.set(t.agentId, list);
  }

  const agents: Agent[] = [];
  const skipped = new Map<string, string[]>();
  for (const record of [...agentRecords].sort((a, b) => byText(a.id, b.id))) {
    if (!record.schedulable) {
      const reason = record.unschedulableReason ?? "not schedulable";
      skipped.set(reason, [...(skipped.get(reason) ?? []), record.hostname]);
      continue;
    }
    const free = freeForRole(record, tasksByAgent.get(record.id) ?? [], role);
    agents.push({
      id: record.id,
      hostname: record.hostname,
      attributes: record.attributes,
      total: record.total.scalars,
      free: free.scalars,
      freePorts: free.ports,
    });
  }
  for (const [reason, hosts] of skipped) warnings.push(skippedWarning(hosts, reason));
  const schedulable = new Set(agents.map((a) => a.id));
  const setAside = setAsideDiskOf(agentRecords.filter((r) => schedulable.has(r.id)));

  const running: RunningTask[] = [];
  const sorted = [...live].sort((a, b) => byText(a.id, b.id));
  for (const t of sorted) {
    if (!schedulable.has(t.agentId)) continue;
    const reading = hasTitanLabel(t.labels) ? readTaskLabels(t.labels) : undefined;
    const identity = reading?.kind === "titan" ? reading.identity : undefined;
    running.push({
      app: identity ? identity.app : foreignAppName(t.framework),
      agentId: t.agentId,
      instance: identity?.instance,
      demand: t.resources.scalars,
      portCount: countPorts(t.resources.ports),
    });
  }
  const titan = new Map<string, TitanTask[]>();
  const reading = collectTitanTasks(agentRecords, sorted);
  for (const bad of reading.malformed) {
    warnings.push(`task ${bad.taskId} of app ${bad.app} is not counted as titan's: ${bad.problem}`);
  }
  for (const task of reading.tasks) {
    const list = titan.get(task.app) ?? [];
    list.push(task);
    titan.set(task.app, list);
  }

  const titanTasks: Record<string, TitanTask[]> = {};
  for (const app of [...titan.keys()].sort()) {
    titanTasks[app] = (titan.get(app) ?? []).sort(
      (a, b) => a.instance - b.instance || byText(a.taskId, b.taskId),
    );
  }
  return {
    format,
    role,
    agents,
    running,
    titanTasks,
    warnings,
    ...(setAside === undefined ? {} : { setAsideDisk: setAside }),
  };
}

function setAsideDiskOf(records: readonly AgentRecord[]): ClusterSnapshot["setAsideDisk"] {
  let agents = 0;
  let mb = 0;
  for (const r of records) {
    if (r.setAsideDisk === undefined) continue;
    agents += 1;
    mb += r.setAsideDisk;
  }
  return agents === 0 ? undefined : { agents, mb: round3(mb) };
}
