import { contains, isAllocatable, type Quantities } from "../resources.js";

/**
 * One allocation round (a DRF-lite take on Mesos' hierarchical allocator): every agent's free resources go, whole,
 * to the eligible framework with the lowest dominant share; ties go round-robin. A framework is eligible for an
 * agent when it has a role that is not suppressed and no decline filter covers what would be offered. Pure.
 */

export interface AllocatableAgent {
  id: string;
  free: Quantities;
  /** The agent has GPUs (in its total, used or not). */
  hasGpu?: boolean;
}

export interface AllocatableFramework {
  id: string;
  /** Roles the framework wants offers for (not suppressed). */
  roles: readonly string[];
  /** Resources currently allocated or offered to it, for its dominant share. */
  held: Quantities;
  /** Decline filters still in force. */
  filters: ReadonlyArray<{ agentId: string; quantities: Quantities }>;
  /** Has the GPU_RESOURCES capability. */
  gpuCapable?: boolean;
}

export interface Allocation {
  agentId: string;
  frameworkId: string;
  role: string;
  quantities: Quantities;
}

function dominantShare(held: Quantities, total: Quantities): number {
  const shares = [
    total.cpus > 0 ? held.cpus / total.cpus : 0,
    total.mem > 0 ? held.mem / total.mem : 0,
    total.disk > 0 ? held.disk / total.disk : 0,
  ];
  return Math.max(...shares);
}

function addScalars(a: Quantities, b: Quantities): Quantities {
  return {
    cpus: a.cpus + b.cpus,
    mem: a.mem + b.mem,
    disk: a.disk + b.disk,
    gpus: a.gpus + b.gpus,
    ports: a.ports,
  };
}

export function allocate(
  agents: readonly AllocatableAgent[],
  frameworks: readonly AllocatableFramework[],
  clusterTotal: Quantities,
  /** Rotates tie-breaking between rounds. */
  round: number,
): Allocation[] {
  const held = new Map(frameworks.map((f) => [f.id, f.held]));
  const allocations: Allocation[] = [];
  const n = frameworks.length;
  for (const agent of agents) {
    if (!isAllocatable(agent.free)) continue;
    const candidates = frameworks
      .map((f, i) => ({ f, order: (i - (round % Math.max(n, 1)) + n) % Math.max(n, 1) }))
      .filter(({ f }) => f.roles.length > 0)
      // hierarchical.cpp isCapableOfReceivingAgent, with --filter_gpu_resources (the default): an agent with GPUs
      // is offered only to frameworks with GPU_RESOURCES, so it is kept for the work that needs its GPUs.
      .filter(({ f }) => !agent.hasGpu || f.gpuCapable === true)
      .filter(({ f }) => !f.filters.some((x) => x.agentId === agent.id && contains(x.quantities, agent.free)))
      .sort((a, b) => {
        const sa = dominantShare(held.get(a.f.id) ?? a.f.held, clusterTotal);
        const sb = dominantShare(held.get(b.f.id) ?? b.f.held, clusterTotal);
        return sa - sb || a.order - b.order;
      });
    const chosen = candidates[0]?.f;
    if (!chosen) continue;
    const role = chosen.roles[(round + allocations.length) % chosen.roles.length] as string;
    allocations.push({ agentId: agent.id, frameworkId: chosen.id, role, quantities: agent.free });
    held.set(chosen.id, addScalars(held.get(chosen.id) ?? chosen.held, agent.free));
  }
  return allocations;
}
