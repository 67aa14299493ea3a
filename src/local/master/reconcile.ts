import type { JsonObject } from "../json.js";
import type { AgentState, TaskRecord } from "./model.js";
import { taskStatus } from "./status.js";

/**
 * The master's answers to RECONCILE (Master::reconcile; docs/reconciliation.md). Answers come from the master
 * (SOURCE_MASTER, REASON_RECONCILIATION) and carry no uuid, so they are never acknowledged or retried.
 */

export interface ReconcileInput {
  partitionAware: boolean;
  /** Explicit requests; empty means implicit reconciliation. */
  requests: ReadonlyArray<{ taskId: string; agentId?: string }>;
  activeTasks: ReadonlyMap<string, TaskRecord>;
  agentState(agentId: string): AgentState | "recovered" | undefined;
  /** When the master marked the agent unreachable, if it has. */
  agentUnreachableAt(agentId: string): number | undefined;
  /** The operator marked the agent gone and the registry still remembers it (`slaves.gone`). */
  agentGone(agentId: string): boolean;
  /** Some agent has not re-registered since a master failover. */
  anyRecovered: boolean;
  nowMs: number;
}

function latest(task: TaskRecord, nowMs: number): JsonObject {
  const last = task.statuses[task.statuses.length - 1];
  return taskStatus({
    taskId: task.taskId,
    // Master::reconcile: the state of the update forwarded last, while later ones wait on the agent for its ack.
    state: task.statusUpdateState ?? task.state,
    source: "SOURCE_MASTER",
    reason: "REASON_RECONCILIATION",
    message: "Reconciliation: Latest task state",
    agentId: task.agentId,
    timestampMs: nowMs,
    ...(typeof last?.healthy === "boolean" ? { healthy: last.healthy } : {}),
    ...(last?.container_status !== undefined ? { containerStatus: last.container_status as JsonObject } : {}),
    ...(task.unreachableAt !== undefined ? { unreachableAtMs: task.unreachableAt } : {}),
  });
}

export function reconcile(input: ReconcileInput): JsonObject[] {
  const { nowMs } = input;
  // A task on an agent that has not re-registered since a failover is not among them: the new master knows none.
  if (input.requests.length === 0) return [...input.activeTasks.values()].map((t) => latest(t, nowMs));
  const answers: JsonObject[] = [];
  for (const { taskId, agentId } of input.requests) {
    const task = input.activeTasks.get(taskId);
    // Master::reconcileTasks case (2): task unknown and its agent recovered (or, with no agent given, any agent
    // recovered) gets no answer until the agent re-registers, within --agent_reregister_timeout.
    const recovered = agentId === undefined ? input.anyRecovered : input.agentState(agentId) === "recovered";
    if (task === undefined && recovered) continue;
    if (task) {
      answers.push(latest(task, nowMs));
      continue;
    }
    // Case (4) needs the agent named: a master looks an unreachable task up by its agent, never by its id alone
    // (asked without an agent, it answers case (6), unknown). The time is the agent's.
    const agentState = agentId === undefined ? undefined : input.agentState(agentId);
    if (agentId !== undefined && agentState === "unreachable") {
      const unreachableAtMs = input.agentUnreachableAt(agentId);
      answers.push(
        taskStatus({
          taskId,
          state: input.partitionAware ? "TASK_UNREACHABLE" : "TASK_LOST",
          source: "SOURCE_MASTER",
          reason: "REASON_RECONCILIATION",
          message: "Reconciliation: Task is unreachable",
          agentId,
          timestampMs: nowMs,
          ...(unreachableAtMs !== undefined ? { unreachableAtMs } : {}),
        }),
      );
      continue;
    }
    if (agentId !== undefined && agentState === "registered") {
      answers.push(
        taskStatus({
          taskId,
          state: input.partitionAware ? "TASK_GONE" : "TASK_LOST",
          source: "SOURCE_MASTER",
          reason: "REASON_RECONCILIATION",
          message: "Reconciliation: Task is unknown to the agent",
          agentId,
          timestampMs: nowMs,
        }),
      );
      continue;
    }
    // Case (5): an agent the operator marked gone, as long as the registry remembers it.
    if (agentId !== undefined && input.agentGone(agentId)) {
      answers.push(
        taskStatus({
          taskId,
          state: input.partitionAware ? "TASK_GONE_BY_OPERATOR" : "TASK_LOST",
          source: "SOURCE_MASTER",
          reason: "REASON_RECONCILIATION",
          message: "Reconciliation: Task is gone",
          agentId,
          timestampMs: nowMs,
        }),
      );
      continue;
    }
    answers.push(
      taskStatus({
        taskId,
        state: input.partitionAware ? "TASK_UNKNOWN" : "TASK_LOST",
        source: "SOURCE_MASTER",
        reason: "REASON_RECONCILIATION",
        message: "Reconciliation: Task is unknown",
        ...(agentId !== undefined ? { agentId } : {}),
        timestampMs: nowMs,
      }),
    );
  }
  return answers;
}
