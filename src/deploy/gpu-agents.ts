import type { GetAgentsAgent } from "../mesos/types/operator.js";
import { hasGpus } from "../placement/index.js";
import type { PlannedAgent } from "./offer-plan.js";
import type { PlanCluster } from "./replan.js";

/**
 * Whether the app's framework subscribes with GPU_RESOURCES. A master started with `--filter_gpu_resources` (the
 * default) offers an agent with GPUs only to frameworks that have it (src/master/allocator/mesos/hierarchical.cpp,
 * `isCapableOfReceivingAgent`). An app that asks for GPUs needs it; so does one the plan put on a GPU agent because
 * nothing else had room (placement's second pass), or the deploy would wait for offers the master never makes.
 */
export function wantsGpuAgents(
  asksForGpus: boolean,
  planned: ReadonlyMap<number, PlannedAgent> | undefined,
  cluster: PlanCluster | undefined,
): boolean {
  if (asksForGpus) return true;
  if (planned === undefined || cluster === undefined) return false;
  const gpuAgents = new Set(cluster.agents.filter(hasGpus).map((a) => a.id));
  return [...planned.values()].some((agent) => gpuAgents.has(agent.agentId));
}

/** The plan's cluster as a framework without GPU_RESOURCES is offered it: without the agents that have GPUs. */
export function offeredWithoutGpus(cluster: PlanCluster): PlanCluster {
  return { ...cluster, agents: cluster.agents.filter((a) => !hasGpus(a)) };
}

/** The ids of the agents of a GET_AGENTS answer that have GPUs (the allocator's `Slave::hasGpu`: any in its total). */
export function gpuAgentIds(agents: readonly GetAgentsAgent[]): Set<string> {
  const ids = new Set<string>();
  for (const agent of agents) {
    const total = agent.total_resources ?? agent.agent_info.resources ?? [];
    const id = agent.agent_info.id?.value;
    if (id !== undefined && total.some((r) => r.name === "gpus" && Number(r.scalar?.value ?? 0) > 0))
      ids.add(id);
  }
  return ids;
}
