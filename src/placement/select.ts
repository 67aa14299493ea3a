import type { ClusterState } from "./cluster.js";
import { PER_AGENT } from "./cluster.js";
import type { RequestGroup } from "./groups.js";
import { AgentHeap } from "./heap.js";
import { balanceAllows, blockingCap, type GroupRules, missingAttribute } from "./rules.js";
import type { TaskRequest } from "./types.js";

/** A subset of agents, in index order: those that can still take something (see `shrinkAgentList`). */
export interface AgentList {
  agents: Int32Array;
  length: number;
}

/** Keeps only the agents with at least this much cpu and mem free (the smallest demand still to come). */
export function shrinkAgentList(state: ClusterState, list: AgentList, minCpus: number, minMem: number): void {
  let kept = 0;
  for (let k = 0; k < list.length; k++) {
    const i = list.agents[k] as number;
    if ((state.cpus[i] as number) >= minCpus && (state.mem[i] as number) >= minMem) list.agents[kept++] = i;
  }
  list.length = kept;
}

/**
 * What one pass of placement scans for binpack groups. Agents in use are the best-fit candidates and are all looked
 * at; empty agents all score by their own size (binpack opens the largest first), which never changes while they stay
 * empty, so they sit in one list sorted once per pass, and a group only walks it until it has one empty agent per
 * instance it still has to place.
 */
export interface PassAgents {
  /** Agents in use that may still take something, as `shrinkAgentList` leaves them. */
  occupied: AgentList;
  /** 1 once an agent has been put in `occupied` (it stays 1 when shrinking drops it: it never fits again). */
  listed: Uint8Array;
  /** Agents empty at the start of the pass, in the order binpack opens them: largest first, then seeded rank. */
  empty: Int32Array;
  /** Everything before this position in `empty` is in use by now. */
  emptyHead: number;
  /** Room for the list of every agent that may still take something, for groups that scan them all. */
  scratch: Int32Array;
}

export function passAgents(state: ClusterState): PassAgents {
  const occupied = new Int32Array(state.n);
  const listed = new Uint8Array(state.n);
  const empty: number[] = [];
  let length = 0;
  for (let i = 0; i < state.n; i++) {
    if (state.occupied[i] === 1) {
      occupied[length++] = i;
      listed[i] = 1;
    } else empty.push(i);
  }
  // The very expression and tie-break of an empty agent's binpack score, so the walk meets them in heap order.
  const score = (i: number): number =>
    4 - (state.cpus[i] as number) / state.normCpus - (state.mem[i] as number) / state.normMem;
  empty.sort((a, b) => score(a) - score(b) || (state.rank[a] as number) - (state.rank[b] as number));
  return {
    occupied: { agents: occupied, length },
    listed,
    empty: Int32Array.from(empty),
    emptyHead: 0,
    scratch: new Int32Array(state.n),
  };
}

/** Every agent of the pass that may still take something: those in use that shrinking kept, and the empty ones. */
function stillOpen(state: ClusterState, pass: PassAgents): AgentList {
  const list = pass.scratch;
  let length = 0;
  for (let k = 0; k < pass.occupied.length; k++) list[length++] = pass.occupied.agents[k] as number;
  for (let k = pass.emptyHead; k < pass.empty.length; k++) {
    const i = pass.empty[k] as number;
    if (state.occupied[i] === 0) list[length++] = i;
  }
  return { agents: list, length };
}

/** Puts the agents that a group's placements just opened into the pass's list of agents in use. */
export function noteOpened(pass: PassAgents, placed: readonly Booked[]): void {
  for (const b of placed) {
    if (pass.listed[b.agent] === 1) continue;
    pass.listed[b.agent] = 1;
    pass.occupied.agents[pass.occupied.length++] = b.agent;
  }
}

export interface Booked {
  request: TaskRequest;
  agent: number;
  ports: number[];
}

export interface GroupOutcome {
  placed: Booked[];
  remaining: TaskRequest[];
}

/** Lower is better. Binpack: least cpu+mem left after placing, among agents already in use; else the largest empty agent. */
function scorer(state: ClusterState, group: RequestGroup): (i: number) => number {
  const d = group.units;
  const { cpus, mem, occupied, totalCpus, totalMem, normCpus, normMem } = state;
  if (group.strategy === "spread") {
    const onAgent = state.counts(group.app, PER_AGENT);
    return (i) => {
      const ti = totalCpus[i] as number;
      const tm = totalMem[i] as number;
      const usedAfter =
        (ti > 0 ? (ti - (cpus[i] as number) + d.cpus) / ti : 1) +
        (tm > 0 ? (tm - (mem[i] as number) + d.mem) / tm : 1);
      return (onAgent[i] as number) * 4 + usedAfter;
    };
  }
  return (i) => {
    if (occupied[i] === 1)
      return ((cpus[i] as number) - d.cpus) / normCpus + ((mem[i] as number) - d.mem) / normMem;
    // Opening an empty agent: take the largest, so the fewest agents end up in use (the score of a filled agent is <= 2).
    return 4 - (cpus[i] as number) / normCpus - (mem[i] as number) / normMem;
  };
}

/**
 * Places a group's instances one by one on the best agent that passes every hard rule. Agents live in min-heaps
 * keyed by score (one heap per value of the balanced attribute, if any); an agent that no longer fits or whose
 * value reached a unique / max_per limit is dropped for good, since within a group resources only shrink and counts
 * only grow.
 *
 * Given a pass's agents, a binpack group looks at every agent in use but walks the empty ones (sorted once, in the
 * order binpack opens them) only until it holds one per instance still to place, per value of the balanced
 * attribute: each instance opens at most one empty agent, so the heaps hold every agent the full scan would reach.
 * Only when count limits discard agents on the way can a heap cut short run dry; the rest then goes through the full
 * scan, which sees the same agents with the same scores.
 */
export function placeGroup(
  state: ClusterState,
  group: RequestGroup,
  requests: readonly TaskRequest[],
  eligible: Uint8Array,
  rules: GroupRules,
  allowGpuAgents: boolean,
  candidates?: AgentList | PassAgents,
): GroupOutcome {
  if (state.preferredOrder && group.strategy === "binpack" && rules.balances.length === 0) {
    return firstFit(state, group, requests, eligible, rules, allowGpuAgents, state.preferredOrder);
  }
  const primary = rules.balances[0];
  const extraHard = rules.balances.slice(1).filter((b) => b.rule.hard);
  let pass: PassAgents | undefined;
  let list: AgentList | undefined;
  if (candidates && "empty" in candidates) {
    if (group.strategy === "binpack" && extraHard.length === 0) pass = candidates;
    else list = stillOpen(state, candidates);
  } else list = candidates;
  const d = group.units;
  const p = group.portCount;
  const score = scorer(state, group);
  const heaps = new Map<number, AgentHeap>();
  const heapFor = (v: number): AgentHeap => {
    let h = heaps.get(v);
    if (!h) {
      h = new AgentHeap();
      heaps.set(v, h);
    }
    return h;
  };
  const balancedValue = (i: number): number => (primary ? (primary.valueIds[i] as number) : 0);
  const usable = (i: number): boolean => state.fits(i, d, p) && blockingCap(rules, i) === undefined;
  const push = (i: number): void => heapFor(balancedValue(i)).push(i, score(i), state.rank[i] as number);
  const skipGpu = !allowGpuAgents && d.gpus === 0;
  const counted = rules.caps.length > 0 || rules.balances.length > 0;
  const { cpus, mem, disk, gpus, ports, disabled, isGpuAgent, rank } = state;
  // The hot path of the engine: plain typed-array reads, rule checks only for apps that have count rules.
  const passes = (i: number): boolean =>
    disabled[i] === 0 &&
    eligible[i] === 1 &&
    !(skipGpu && isGpuAgent[i] === 1) &&
    (cpus[i] as number) >= d.cpus &&
    (mem[i] as number) >= d.mem &&
    (disk[i] as number) >= d.disk &&
    (gpus[i] as number) >= d.gpus &&
    (ports[i] as number) >= p &&
    !(counted && (missingAttribute(rules, i) !== undefined || blockingCap(rules, i) !== undefined));
  /** Values whose heap left empty agents out: running dry there means falling back to the full scan. */
  const cut = new Set<number>();
  if (pass) {
    const { agents: inUse, length } = pass.occupied;
    for (let k = 0; k < length; k++) {
      const i = inUse[k] as number;
      if (passes(i)) heapFor(balancedValue(i)).add(i, score(i), rank[i] as number);
    }
    const { empty } = pass;
    while (pass.emptyHead < empty.length && state.occupied[empty[pass.emptyHead] as number] === 1)
      pass.emptyHead++;
    const quota = requests.length;
    const values = primary ? primary.values.length : 1;
    const taken = new Int32Array(values);
    let full = 0;
    let walked = 0;
    for (let k = pass.emptyHead; k < empty.length && full < values; k++) {
      const i = empty[k] as number;
      if (state.occupied[i] === 1 || !passes(i)) continue;
      walked++;
      const v = balancedValue(i);
      if ((taken[v] as number) === quota) {
        cut.add(v);
        continue;
      }
      heapFor(v).add(i, score(i), rank[i] as number);
      taken[v] = (taken[v] as number) + 1;
      if (taken[v] === quota) full++;
    }
    // Stopping early means later empty agents of every value were left out.
    if (full === values) for (let v = 0; v < values; v++) cut.add(v);
    state.evaluations += length + walked;
  } else {
    let checked = 0;
    const count = list ? list.length : state.n;
    for (let k = 0; k < count; k++) {
      const i = list ? (list.agents[k] as number) : k;
      checked++;
      if (passes(i)) heapFor(balancedValue(i)).add(i, score(i), rank[i] as number);
    }
    state.evaluations += checked;
  }
  for (const heap of heaps.values()) heap.heapify();

  // Agents held back only because a secondary hard balance points elsewhere; they may qualify after the next placement.
  const stash: number[] = [];
  const take = (heap: AgentHeap | undefined): number => {
    if (!heap) return -1;
    for (let i = heap.pop(); i >= 0; i = heap.pop()) {
      if (!usable(i)) continue;
      if (extraHard.some((b) => !balanceAllows(b, i))) {
        stash.push(i);
        continue;
      }
      return i;
    }
    return -1;
  };
  const FALL_BACK = -2;
  const takeFrom = (v: number): number => {
    const agent = take(heaps.get(v));
    return agent < 0 && cut.has(v) ? FALL_BACK : agent;
  };

  const placed: Booked[] = [];
  for (let k = 0; k < requests.length; k++) {
    const request = requests[k] as TaskRequest;
    let agent = -1;
    if (!primary) agent = takeFrom(0);
    else {
      const candidates = primary.rule.hard ? primary.domain : [...new Set([...heaps.keys(), ...cut])];
      const { counts, values } = primary;
      const order = [...candidates].sort(
        (a, b) =>
          (counts[a] as number) - (counts[b] as number) ||
          ((values[a] as string) < (values[b] as string) ? -1 : 1),
      );
      const least = order.length > 0 ? (counts[order[0] as number] as number) : 0;
      for (const v of order) {
        if (primary.rule.hard && (counts[v] as number) > least) break;
        agent = takeFrom(v);
        if (agent !== -1) break;
      }
    }
    if (agent === FALL_BACK && pass) {
      const rest = placeGroup(
        state,
        group,
        requests.slice(k),
        eligible,
        rules,
        allowGpuAgents,
        stillOpen(state, pass),
      );
      return { placed: [...placed, ...rest.placed], remaining: rest.remaining };
    }
    if (agent < 0) return { placed, remaining: requests.slice(k) };
    const ports = state.allocate(agent, group.app, d, p);
    placed.push({ request, agent, ports });
    if (usable(agent)) push(agent);
    for (const i of stash.splice(0)) if (usable(i)) push(i);
  }
  return { placed, remaining: [] };
}

/**
 * First fit along a fixed agent order. Within a group an agent that fails once fails for good (resources only shrink,
 * counts only grow), so the scan resumes where the previous instance landed.
 */
function firstFit(
  state: ClusterState,
  group: RequestGroup,
  requests: readonly TaskRequest[],
  eligible: Uint8Array,
  rules: GroupRules,
  allowGpuAgents: boolean,
  order: Int32Array,
): GroupOutcome {
  const d = group.units;
  const p = group.portCount;
  const skipGpu = !allowGpuAgents && d.gpus === 0;
  const checked = rules.caps.length > 0;
  const placed: Booked[] = [];
  let at = 0;
  for (let k = 0; k < requests.length; k++) {
    let agent = -1;
    for (; at < order.length; at++) {
      const i = order[at] as number;
      if (state.disabled[i] === 1 || eligible[i] === 0 || (skipGpu && state.isGpuAgent[i] === 1)) continue;
      if (!state.fits(i, d, p)) continue;
      if (checked && (missingAttribute(rules, i) !== undefined || blockingCap(rules, i) !== undefined))
        continue;
      agent = i;
      break;
    }
    if (agent < 0) return { placed, remaining: requests.slice(k) };
    placed.push({
      request: requests[k] as TaskRequest,
      agent,
      ports: state.allocate(agent, group.app, d, p),
    });
  }
  return { placed, remaining: [] };
}
