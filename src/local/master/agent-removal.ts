import type { LocalMaster } from "./master.js";
import type { AgentRecord } from "./model.js";
import { taskStatus } from "./status.js";
import { updateTask } from "./task-update.js";

/**
 * The master removes a registered agent for good, as src/master/master.cpp `Master::_removeSlave` does when an agent
 * unregisters ("the agent unregistered", `Master::unregisterSlave`) or its machine is brought DOWN for maintenance
 * ("Operator initiated 'Machine DOWN'", src/master/http.cpp `Master::Http::_startMaintenance`): every task it held
 * becomes TASK_LOST from SOURCE_MASTER with REASON_AGENT_REMOVED (the v1 name of REASON_SLAVE_REMOVED) and the
 * message "Agent <hostname> removed: <cause>" — TASK_LOST for every framework, partition-aware or not, exactly as
 * `_removeSlave` writes it, a task that already ended too (it keeps its terminal state) — its offers and inverse
 * offers are rescinded, and each framework gets a FAILURE event for the agent (`sendSlaveLost`). The agent is then
 * forgotten; its processes are the caller's to stop.
 */
export function removeAgent(
  master: LocalMaster,
  agent: AgentRecord,
  cause: string,
  /**
   * MARK_AGENT_GONE (master.cpp `Master::markGone` → `__removeSlave` without an unreachable time): a partition-aware
   * framework hears TASK_GONE_BY_OPERATOR with REASON_AGENT_REMOVED_BY_OPERATOR, the others TASK_LOST, and the
   * message is "Agent has been marked gone".
   */
  gone = false,
): void {
  const now = master.now();
  master.agents.delete(agent.id);
  for (const offer of [...master.offers.values()]) if (offer.agentId === agent.id) master.rescindOffer(offer);
  master.maintenance.agentRemoved(agent.id);
  const hostname = agent.handle.hostname;
  for (const from of ["tasks", "unreachableTasks"] as const) {
    for (const [framework, task] of master.tasksOnAgent(agent.id, from)) {
      framework[from].delete(task.taskId);
      master.delivery.forgetTask(agent.id, framework.id, task.taskId);
      // `_removeSlave` updates every task the agent holds, and `Master::markGone` every unreachable one, one that
      // ended too (a terminal update unacknowledged, or TASK_LOST told a framework that is not partition-aware): it
      // keeps its state and records the update (Master::updateTask), and its framework hears of it as of any other.
      const byOperator = gone && framework.capabilities.partitionAware;
      const status = taskStatus({
        taskId: task.taskId,
        state: byOperator ? "TASK_GONE_BY_OPERATOR" : "TASK_LOST",
        source: "SOURCE_MASTER",
        reason: byOperator ? "REASON_AGENT_REMOVED_BY_OPERATOR" : "REASON_AGENT_REMOVED",
        message: gone ? "Agent has been marked gone" : `Agent ${hostname} removed: ${cause}`,
        agentId: agent.id,
        timestampMs: now,
      });
      updateTask(task, status);
      master.sendEvent(framework.id, { type: "UPDATE", update: { status } });
      master.complete(framework, task);
    }
  }
  // An unreachable agent was announced lost when it became so: `Master::markGone` updates its tasks and returns,
  // and only `__removeSlave`, for a registered one, sends FAILURE (`sendSlaveLost`).
  if (agent.state === "registered")
    for (const framework of master.frameworks.values()) {
      master.sendEvent(framework.id, { type: "FAILURE", failure: { agent_id: { value: agent.id } } });
    }
  master.scheduleAllocation();
}
