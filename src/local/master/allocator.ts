import {
  isExclusive,
  offerableTo,
  type Pool,
  splitByReservation,
  subtractPools,
  sumPools,
} from "../pools.js";
import { contains, isAllocatable, type Quantities, SCALAR_NAMES } from "../resources.js";
import type { QuotaAllowance } from "./quota-allowance.js";

/**
 * One allocation round (a DRF-lite take on Mesos' hierarchical allocator): an agent's free resources go to the
 * eligible framework with the lowest dominant share, ties round-robin: for one of its roles, the unreserved ones and
 * those reserved to that role or an ancestor (pools.ts `offerableTo`). What stays (other roles' reservations) goes
 * to the next eligible framework. A framework is eligible when it has a role that is not suppressed, something
 * allocatable is offerable to it, and no decline filter covers that. Quota bounds the unreserved scalars a role is
 * offered (quota-allowance.ts; hierarchical.cpp `__allocate`: reservations, ports and revocable resources are always
 * offered, unreserved scalars pass `shrinkResources`). Pure but for the allowance, which counts what is offered.
 */

export interface AllocatableAgent {
  id: string;
  /** Free resources by reservation stack. */
  pools: Pool[];
  /** The agent has GPUs (in its total, used or not). */
  hasGpu?: boolean;
  /** The agent's fault domain is in another region than the master's. */
  remote?: boolean;
}

export interface AllocatableFramework {
  id: string;
  /** Roles the framework wants offers for (not suppressed). */
  roles: readonly string[];
  /** Resources currently allocated or offered to it, for its dominant share. */
  held: Quantities;
  /** Decline filters still in force. */
  filters: ReadonlyArray<{ agentId: string; role: string; quantities: Quantities }>;
  /** Has the GPU_RESOURCES capability. */
  gpuCapable?: boolean;
  /** Has the REGION_AWARE capability. */
  regionAware?: boolean;
  /** Has the RESERVATION_REFINEMENT capability (refined reservations are offered only then). */
  refinement?: boolean;
}

export interface Allocation {
  agentId: string;
  frameworkId: string;
  role: string;
  quantities: Quantities;
  pools: Pool[];
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

/**
 * `shrinkResources` of the unreserved scalars to what quota lets the role have: each pool cut to what is still
 * left, a MOUNT disk (which cannot be cut) dropped when it does not fit whole. Reserved pools and ports pass.
 */
function withinQuota(pools: readonly Pool[], allowance: Partial<Record<string, number>>): Pool[] {
  if (Object.keys(allowance).length === 0) return [...pools];
  const headroom = { ...allowance };
  const out: Pool[] = [];
  for (const pool of pools) {
    if (pool.reservations.length > 0) {
      out.push(pool);
      continue;
    }
    if (isExclusive(pool) && pool.quantities.disk > (headroom.disk ?? Number.POSITIVE_INFINITY)) continue;
    const quantities = { ...pool.quantities };
    for (const name of SCALAR_NAMES) {
      const left = headroom[name];
      if (left === undefined) continue;
      quantities[name] = Math.min(quantities[name], left);
      headroom[name] = Math.round((left - quantities[name]) * 1000) / 1000;
    }
    out.push({ ...pool, quantities });
  }
  return out;
}

/** The framework's first role (rotated by `round`) with something allocatable to offer it, and those pools. */
function offerFor(
  f: AllocatableFramework,
  agentId: string,
  pools: readonly Pool[],
  round: number,
  quota: QuotaAllowance | undefined,
): { role: string; pools: Pool[]; quantities: Quantities } | undefined {
  for (let i = 0; i < f.roles.length; i += 1) {
    const role = f.roles[(round + i) % f.roles.length] as string;
    const usable = withinQuota(
      pools.filter((p) => offerableTo(p, role, f.refinement === true)),
      quota?.allowance(role) ?? {},
    );
    const quantities = sumPools(usable);
    if (!isAllocatable(quantities)) continue;
    if (f.filters.some((x) => x.agentId === agentId && x.role === role && contains(x.quantities, quantities)))
      continue;
    return { role, pools: usable, quantities };
  }
  return undefined;
}

export function allocate(
  agents: readonly AllocatableAgent[],
  frameworks: readonly AllocatableFramework[],
  clusterTotal: Quantities,
  /** Rotates tie-breaking between rounds. */
  round: number,
  /** What quota lets each role have; it counts what the round offers. */
  quota?: QuotaAllowance,
): Allocation[] {
  const held = new Map(frameworks.map((f) => [f.id, f.held]));
  const allocations: Allocation[] = [];
  const n = frameworks.length;
  for (const agent of agents) {
    let left = agent.pools;
    const served = new Set<string>();
    for (;;) {
      const candidates = frameworks
        .map((f, i) => ({ f, order: (i - (round % Math.max(n, 1)) + n) % Math.max(n, 1) }))
        .filter(({ f }) => f.roles.length > 0 && !served.has(f.id))
        // hierarchical.cpp isCapableOfReceivingAgent, with --filter_gpu_resources (the default): an agent with GPUs
        // is offered only to frameworks with GPU_RESOURCES, so it is kept for the work that needs its GPUs.
        .filter(({ f }) => !agent.hasGpu || f.gpuCapable === true)
        // isCapableOfReceivingAgent again: an agent in a remote region is offered only to REGION_AWARE frameworks.
        .filter(({ f }) => agent.remote !== true || f.regionAware === true)
        .map(({ f, order }) => ({
          f,
          order,
          offer: offerFor(f, agent.id, left, round + allocations.length, quota),
        }))
        .filter((c) => c.offer !== undefined)
        .sort((a, b) => {
          const sa = dominantShare(held.get(a.f.id) ?? a.f.held, clusterTotal);
          const sb = dominantShare(held.get(b.f.id) ?? b.f.held, clusterTotal);
          return sa - sb || a.order - b.order;
        });
      const chosen = candidates[0];
      if (!chosen?.offer) break;
      const { role, pools, quantities } = chosen.offer;
      allocations.push({ agentId: agent.id, frameworkId: chosen.f.id, role, quantities, pools });
      held.set(chosen.f.id, addScalars(held.get(chosen.f.id) ?? chosen.f.held, quantities));
      served.add(chosen.f.id);
      quota?.offered(role, sumPools(splitByReservation(pools).unreserved));
      left = subtractPools(left, pools);
    }
  }
  return allocations;
}
