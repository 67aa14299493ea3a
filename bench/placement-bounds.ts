import type { Agent, Constraint, PlacementInput } from "../src/placement/types.js";

/** Per resource, total demand (running and requested) over capacity filling the largest agents first; the max. */
export function lowerBound(input: PlacementInput): number {
  let bound = 0;
  for (const dim of ["cpus", "mem"] as const) {
    let demand = input.requests.reduce((s, r) => s + r.demand[dim], 0);
    demand += input.agents.reduce((s, a) => s + a.total[dim] - a.free[dim], 0);
    const caps = input.agents.map((a) => a.total[dim]).sort((a, b) => b - a);
    let k = 0;
    for (let sum = 0; sum < demand - 1e-9 && k < caps.length; k++) sum += caps[k] as number;
    bound = Math.max(bound, k);
  }
  return bound;
}

/**
 * The same bound when running tasks stay where they are (as placement assumes): every agent already in use counts,
 * plus the fewest empty agents, largest first, whose capacity with the used agents' free room covers the requests.
 */
export function lowerBoundInPlace(input: PlacementInput): number {
  const inUse = input.agents.filter((a) => a.free.cpus < a.total.cpus || a.free.mem < a.total.mem);
  const used = new Set(inUse);
  const empty = input.agents.filter((a) => !used.has(a));
  let extra = 0;
  for (const dim of ["cpus", "mem"] as const) {
    let need = input.requests.reduce((s, r) => s + r.demand[dim], 0);
    need -= inUse.reduce((s, a) => s + a.free[dim], 0);
    const caps = empty.map((a) => a.total[dim]).sort((a, b) => b - a);
    let k = 0;
    for (; need > 1e-9 && k < caps.length; k++) need -= caps[k] as number;
    extra = Math.max(extra, k);
  }
  return inUse.length + extra;
}

/** Whether the agent passes the request's attribute filters (equals / like / unlike, as placement reads them). */
function passesFilters(agent: Agent, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) {
    if (c.kind !== "attribute") continue;
    const v = c.attribute === "hostname" ? agent.hostname : agent.attributes[c.attribute];
    if (c.op === "equals") {
      if (v !== c.value) return false;
      continue;
    }
    const matches = v !== undefined && new RegExp(`^(?:${c.value})$`).test(v);
    if (c.op === "like" ? !matches : matches) return false;
  }
  return true;
}

/**
 * The in-place bound with pinned work confined to the agents it may use. Requests are grouped by the set of agents
 * their attribute filters and GPU demand allow; classes are served smallest set first, each taking, per resource,
 * the free room already open in its set and then the largest empty agents of its set. For pins that nest or are
 * disjoint (this workload's: m5.2xlarge inside m5.*, GPU agents apart, the rest anywhere) serving the innermost first
 * loses nothing, so the count stays a lower bound; it ignores count limits and balance, and packs fractionally.
 */
export function lowerBoundPinned(input: PlacementInput): number {
  const { agents } = input;
  const inUse = agents.map((a) => a.free.cpus < a.total.cpus || a.free.mem < a.total.mem);
  const classes = new Map<string, { eligible: boolean[]; cpus: number; mem: number }>();
  for (const r of input.requests) {
    const filters = r.constraints.filter((c) => c.kind === "attribute");
    const key = `${JSON.stringify(filters)}/${r.demand.gpus > 0}`;
    let c = classes.get(key);
    if (!c) {
      c = {
        eligible: agents.map((a) => passesFilters(a, filters) && a.total.gpus >= r.demand.gpus),
        cpus: 0,
        mem: 0,
      };
      classes.set(key, c);
    }
    c.cpus += r.demand.cpus;
    c.mem += r.demand.mem;
  }
  const ordered = [...classes.values()].sort(
    (x, y) => x.eligible.filter(Boolean).length - y.eligible.filter(Boolean).length,
  );
  let opened = 0;
  for (const dim of ["cpus", "mem"] as const) {
    const room = agents.map((a, i) => (inUse[i] ? a.free[dim] : 0));
    const open = [...inUse];
    const bySize = agents
      .map((_, i) => i)
      .sort((x, y) => (agents[y] as Agent).total[dim] - (agents[x] as Agent).total[dim]);
    let count = 0;
    for (const c of ordered) {
      let need = c[dim];
      for (let i = 0; i < agents.length && need > 1e-9; i++) {
        if (!open[i] || !c.eligible[i]) continue;
        const use = Math.min(need, room[i] as number);
        room[i] = (room[i] as number) - use;
        need -= use;
      }
      for (const i of bySize) {
        if (need <= 1e-9) break;
        if (open[i] || !c.eligible[i]) continue;
        open[i] = true;
        count++;
        const use = Math.min(need, (agents[i] as Agent).total[dim]);
        room[i] = (agents[i] as Agent).total[dim] - use;
        need -= use;
      }
    }
    opened = Math.max(opened, count);
  }
  return inUse.filter(Boolean).length + opened;
}
