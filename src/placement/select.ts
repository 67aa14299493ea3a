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
 */
export function placeGroup(
  state: ClusterState,
  group: RequestGroup,
  requests: readonly TaskRequest[],
  eligible: Uint8Array,
  rules: GroupRules,
  allowGpuAgents: boolean,
  candidates?: AgentList,
): GroupOutcome {
  if (state.preferredOrder && group.strategy === "binpack" && rules.balances.length === 0) {
    return firstFit(state, group, requests, eligible, rules, allowGpuAgents, state.preferredOrder);
  }
  const d = group.units;
  const p = group.portCount;
  const score = scorer(state, group);
  const primary = rules.balances[0];
  const extraHard = rules.balances.slice(1).filter((b) => b.rule.hard);
  const heaps = new Map<number, AgentHeap>();
  const heapFor = (v: number): AgentHeap => {
    let h = heaps.get(v);
    if (!h) {
      h = new AgentHeap();
      heaps.set(v, h);
    }
    return h;
  };
  const usable = (i: number): boolean => state.fits(i, d, p) && blockingCap(rules, i) === undefined;
  const push = (i: number): void =>
    heapFor(primary ? (primary.valueIds[i] as number) : 0).push(i, score(i), state.rank[i] as number);
  const skipGpu = !allowGpuAgents && d.gpus === 0;
  const counted = rules.caps.length > 0 || rules.balances.length > 0;
  const { cpus, mem, disk, gpus, ports, disabled, isGpuAgent, rank } = state;
  let checked = 0;
  // The hot loop of the engine: plain typed-array reads, rule checks only for apps that have count rules.
  const count = candidates ? candidates.length : state.n;
  for (let k = 0; k < count; k++) {
    const i = candidates ? (candidates.agents[k] as number) : k;
    if (disabled[i] === 1 || eligible[i] === 0 || (skipGpu && isGpuAgent[i] === 1)) continue;
    checked++;
    if (
      (cpus[i] as number) < d.cpus ||
      (mem[i] as number) < d.mem ||
      (disk[i] as number) < d.disk ||
      (gpus[i] as number) < d.gpus ||
      (ports[i] as number) < p
    ) {
      continue;
    }
    if (counted && (missingAttribute(rules, i) !== undefined || blockingCap(rules, i) !== undefined))
      continue;
    heapFor(primary ? (primary.valueIds[i] as number) : 0).add(i, score(i), rank[i] as number);
  }
  state.evaluations += checked;
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

  const placed: Booked[] = [];
  for (let k = 0; k < requests.length; k++) {
    const request = requests[k] as TaskRequest;
    let agent = -1;
    if (!primary) agent = take(heaps.get(0));
    else {
      const candidates = primary.rule.hard ? primary.domain : [...heaps.keys()];
      const { counts, values } = primary;
      const order = [...candidates].sort(
        (a, b) =>
          (counts[a] as number) - (counts[b] as number) ||
          ((values[a] as string) < (values[b] as string) ? -1 : 1),
      );
      const least = order.length > 0 ? (counts[order[0] as number] as number) : 0;
      for (const v of order) {
        if (primary.rule.hard && (counts[v] as number) > least) break;
        agent = take(heaps.get(v));
        if (agent >= 0) break;
      }
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
