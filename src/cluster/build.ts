import type { Agent, RunningTask } from "../placement/types.js";
import { type MesosLabel, readTaskLabels } from "./labels.js";
import { countPorts, rangesToPorts } from "./ranges.js";
import { type AgentRecord, freeForRole, type TaskUse } from "./resources.js";
import type { ClusterSnapshot, SnapshotFormat, TitanTask } from "./types.js";

/** One task as both snapshot formats describe it. */
export interface TaskRecord extends TaskUse {
  id: string;
  name: string;
  /** The framework's name, for the tasks of other frameworks. */
  framework: string;
  state: string;
  labels: readonly MesosLabel[];
  /** The container image, from the task's ContainerInfo. */
  image?: string;
}

/** The master's terminal states (src/common/protobuf_utils.cpp `isTerminalState`); such tasks hold nothing. */
const TERMINAL_STATES = new Set([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);

export function isTerminalState(state: string): boolean {
  return TERMINAL_STATES.has(state);
}

/** The `app` of a foreign task in placement inputs; cannot clash with a titan app name, which has no colon. */
export function foreignAppName(framework: string): string {
  return `framework:${framework}`;
}

/** Code-unit order: the same on every machine, unlike locale collation, and fast. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

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
  const hostnames = new Map<string, string>();
  for (const record of [...agentRecords].sort((a, b) => byText(a.id, b.id))) {
    hostnames.set(record.id, record.hostname);
    if (!record.schedulable) {
      warnings.push(
        `agent ${record.hostname} is skipped: ${record.unschedulableReason ?? "not schedulable"}`,
      );
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
  const schedulable = new Set(agents.map((a) => a.id));

  const running: RunningTask[] = [];
  const titan = new Map<string, TitanTask[]>();
  for (const t of [...live].sort((a, b) => byText(a.id, b.id))) {
    const reading = readTaskLabels(t.labels);
    if (reading.kind === "malformed") {
      warnings.push(`task ${t.id} of app ${reading.app} is not counted as titan's: ${reading.problem}`);
    }
    if (reading.kind === "titan") {
      const { identity } = reading;
      const task: TitanTask = {
        taskId: t.id,
        app: identity.app,
        instance: identity.instance,
        digest: identity.digest,
        state: t.state,
        agentId: t.agentId,
        hostname: hostnames.get(t.agentId) ?? t.agentId,
        demand: t.resources.scalars,
        ports: rangesToPorts(t.resources.ports),
        ...(t.image === undefined ? {} : { image: t.image }),
        ...(identity.release === undefined ? {} : { release: identity.release }),
        ...(identity.region === undefined ? {} : { region: identity.region }),
      };
      const list = titan.get(identity.app) ?? [];
      list.push(task);
      titan.set(identity.app, list);
    }
    if (!schedulable.has(t.agentId)) continue;
    running.push({
      app: reading.kind === "titan" ? reading.identity.app : foreignAppName(t.framework),
      agentId: t.agentId,
      ...(reading.kind === "titan" ? { instance: reading.identity.instance } : {}),
      demand: t.resources.scalars,
      portCount: countPorts(t.resources.ports),
    });
  }

  const titanTasks: Record<string, TitanTask[]> = {};
  for (const app of [...titan.keys()].sort()) {
    titanTasks[app] = (titan.get(app) ?? []).sort(
      (a, b) => a.instance - b.instance || byText(a.taskId, b.taskId),
    );
  }
  return { format, role, agents, running, titanTasks, warnings };
}
