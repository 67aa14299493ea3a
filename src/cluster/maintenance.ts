import type { MasterCluster } from "../mesos/leader.js";
import { MasterOperator } from "../mesos/operator.js";
import type { MachineID } from "../mesos/types/mesos.js";
import type { GetAgentsAgent } from "../mesos/types/operator.js";

/** An agent and the machine Mesos sees it on, for the maintenance calls. */
export interface AgentMachine {
  agentId: string;
  hostname: string;
  machine: MachineID;
}

/**
 * The machine of each registered agent, as the master derives it (master.cpp `Master::registerSlave`): the agent's
 * hostname and the IP of its libprocess pid (`slave(1)@10.0.0.5:5051`). A maintenance call must name both.
 */
export function agentMachines(agents: readonly GetAgentsAgent[]): AgentMachine[] {
  return agents.map((a) => {
    const ip = /@([^:]+):\d+$/.exec(a.pid ?? "")?.[1];
    const hostname = a.agent_info.hostname;
    return {
      agentId: a.agent_info.id?.value ?? "",
      hostname,
      machine: { hostname, ...(ip === undefined ? {} : { ip }) },
    };
  });
}

/** Whether two machine ids are the same machine (include/mesos/type_utils.hpp `operator==(MachineID)`). */
export function sameMachine(a: MachineID, b: MachineID): boolean {
  return (
    (a.hostname === undefined) === (b.hostname === undefined) &&
    (a.hostname ?? "").toLowerCase() === (b.hostname ?? "").toLowerCase() &&
    (a.ip === undefined) === (b.ip === undefined) &&
    (a.ip ?? "") === (b.ip ?? "")
  );
}

/**
 * The agents whose machines are scheduled for maintenance (DRAINING): titan moves its instances off them before the
 * window, as it would on the master's inverse offers. Masters that do not serve the maintenance calls (or refuse
 * them to this principal) have none as far as titan can tell.
 */
export async function agentsScheduledForMaintenance(
  cluster: MasterCluster,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const operator = new MasterOperator(cluster);
  try {
    const [status, agents] = await Promise.all([
      operator.getMaintenanceStatus(signal),
      operator.getAgents(signal),
    ]);
    const draining = (status.status.draining_machines ?? []).map((m) => m.id);
    return new Set(
      agentMachines(agents.agents ?? [])
        .filter((a) => draining.some((m) => sameMachine(m, a.machine)))
        .map((a) => a.agentId),
    );
  } catch {
    return new Set();
  }
}
