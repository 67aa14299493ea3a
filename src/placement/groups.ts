import {
  type CompiledConstraints,
  compileConstraints,
  constraintsKey,
  type RegexCache,
} from "./constraints.js";
import type { Constraint, PlacementStrategy, Scalars, TaskRequest } from "./types.js";
import { toUnits, type Units } from "./units.js";

/** Instances of one app with the same demand, ports and constraints: placed and explained together. */
export interface RequestGroup {
  app: string;
  strategy: PlacementStrategy;
  demand: Scalars;
  units: Units;
  portCount: number;
  constraints: readonly Constraint[];
  compiled: CompiledConstraints;
  /** Sorted by instance index. */
  requests: TaskRequest[];
}

export function groupRequests(requests: readonly TaskRequest[], regexes: RegexCache): RequestGroup[] {
  const byKey = new Map<string, RequestGroup>();
  let previousGroup: RequestGroup | undefined;
  for (const r of requests) {
    // An app's requests come one after another and share their demand and constraints: the same group, no key.
    const previous = previousGroup?.requests.at(-1);
    if (previousGroup && previous && sameGroupInputs(r, previous)) {
      previousGroup.requests.push(r);
      continue;
    }
    const d = r.demand;
    const key = `${r.app}\u0000${d.cpus}/${d.mem}/${d.disk}/${d.gpus}/${r.ports.length}/${r.strategy}/${constraintsKey(r.constraints)}`;
    let group = byKey.get(key);
    if (!group) {
      group = {
        app: r.app,
        strategy: r.strategy,
        demand: { ...d },
        units: toUnits(d),
        portCount: r.ports.length,
        constraints: r.constraints,
        compiled: compileConstraints(r.constraints, regexes),
        requests: [],
      };
      byKey.set(key, group);
    }
    group.requests.push(r);
    previousGroup = group;
  }
  const groups = [...byKey.values()];
  for (const g of groups)
    if (!inInstanceOrder(g.requests)) g.requests.sort((a, b) => a.instance - b.instance);
  return groups;
}

function inInstanceOrder(requests: readonly TaskRequest[]): boolean {
  for (let k = 1; k < requests.length; k++)
    if ((requests[k - 1] as TaskRequest).instance > (requests[k] as TaskRequest).instance) return false;
  return true;
}

/** Whether two requests have the same group key for sure: the same app and the very same demand and constraints. */
function sameGroupInputs(a: TaskRequest, b: TaskRequest): boolean {
  return (
    a.app === b.app &&
    (a.demand === b.demand ||
      (a.demand.cpus === b.demand.cpus &&
        a.demand.mem === b.demand.mem &&
        a.demand.disk === b.demand.disk &&
        a.demand.gpus === b.demand.gpus)) &&
    a.constraints === b.constraints &&
    a.strategy === b.strategy &&
    a.ports.length === b.ports.length
  );
}

/** What the agents a group may use add up to: the largest of them, and their free capacity together. */
export interface Pool {
  maxCpus: number;
  maxMem: number;
  freeCpus: number;
  freeMem: number;
}

/**
 * Hardest first, so that scarce capacity goes to the requests that can use nothing else. GPU requests first, then
 * requests pinned by attribute filters (they can use nothing else, however small they are), then other hard-
 * constrained ones (unique, max_per, hard balance: they need room on particular hosts or values), then the rest;
 * within each tier, by difficulty: the larger of a request's size against the largest agent it may use (first-fit-decreasing's
 * lesson: a request pinned to small agents is large there) and the share of its eligible pool's free capacity the
 * whole group needs, multiplied by how scarce its pool is (the cluster's free capacity over its eligible agents'),
 * so that work pinned to a few agents goes before work that could go anywhere.
 */
export function orderGroups(
  groups: RequestGroup[],
  poolOf: (g: RequestGroup) => Pool,
  cluster: Pool,
): RequestGroup[] {
  const restricted = (g: RequestGroup): number => {
    const c = g.compiled;
    return c.filters.length > 0 || c.caps.length > 0 || c.balance.some((b) => b.hard) ? 0 : 1;
  };
  const difficulty = (g: RequestGroup): number => {
    const pool = poolOf(g);
    const size = Math.max(g.units.cpus / Math.max(1, pool.maxCpus), g.units.mem / Math.max(1, pool.maxMem));
    const n = g.requests.length;
    const pressure = Math.max(
      (n * g.units.cpus) / Math.max(1, pool.freeCpus),
      (n * g.units.mem) / Math.max(1, pool.freeMem),
    );
    // Scarcity: a group that may use a third of the cluster's free capacity counts three times as hard.
    const share = (p: Pool): number =>
      p.freeCpus / Math.max(1, cluster.maxCpus) + p.freeMem / Math.max(1, cluster.maxMem);
    const scarcity = share(cluster) / Math.max(1e-9, share(pool));
    return Math.max(size, pressure) * Math.min(scarcity, 1e6);
  };
  const keyed = groups.map((g) => ({
    g,
    gpu: g.units.gpus > 0 ? 0 : 1,
    pinned: g.compiled.filters.length > 0 ? 0 : 1,
    difficulty: difficulty(g),
    restricted: restricted(g),
  }));
  keyed.sort(
    (a, b) =>
      a.gpu - b.gpu ||
      a.pinned - b.pinned ||
      a.restricted - b.restricted ||
      b.difficulty - a.difficulty ||
      b.g.units.mem - a.g.units.mem ||
      b.g.portCount - a.g.portCount ||
      (a.g.app < b.g.app ? -1 : a.g.app > b.g.app ? 1 : 0) ||
      (a.g.requests[0]?.instance ?? 0) - (b.g.requests[0]?.instance ?? 0),
  );
  return keyed.map((k) => k.g);
}
