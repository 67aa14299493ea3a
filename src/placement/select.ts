import type { ClusterState } from "./cluster.js";
import { compileChecks, type GroupChecks } from "./compile.js";
import { firstFit } from "./first-fit.js";
import type { RequestGroup } from "./groups.js";
import { AgentHeap } from "./heap.js";
import { RoomIndex } from "./room-index.js";
import type { GroupRules, LiveBalance } from "./rules.js";
import { openingScore, scorerFor } from "./scores.js";
import type { TaskRequest } from "./types.js";
import type { Units } from "./units.js";

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
 * What one pass of placement scans for binpack groups. Agents in use are the best-fit candidates: a group looks at
 * every one that may have room for it (`rooms`). Empty agents all score by their own size (binpack opens the largest
 * first), which never changes while they stay empty, so they sit in one list sorted once per pass, and a group only
 * walks it (as its filters narrow it) until it has one empty agent per instance it still has to place.
 */
export interface PassAgents {
  /** Agents in use that may still take something, as `shrinkAgentList` leaves them. */
  occupied: AgentList;
  /** Every agent in use, by its free cpu and mem: a binpack group visits only those that may have room for it. */
  rooms: RoomIndex;
  /** 1 once an agent has been put in `occupied` (it stays 1 when shrinking drops it: it never fits again). */
  listed: Uint8Array;
  /** Agents empty at the start of the pass, in the order binpack opens them: largest first, then seeded rank. */
  empty: Int32Array;
  /** Everything before this position in `empty` is in use by now. */
  emptyHead: number;
  /** `empty` as each set of agent checks narrows it, made on first use (see `admittedEmpty`). */
  admitted: Map<string, EmptyList>;
  /** Room for the list of every agent that may still take something, for groups that scan them all. */
  scratch: Int32Array;
}

export function passAgents(state: ClusterState): PassAgents {
  const occupied = new Int32Array(state.n);
  const listed = new Uint8Array(state.n);
  const rooms = new RoomIndex(state);
  const empty: number[] = [];
  let length = 0;
  for (let i = 0; i < state.n; i++) {
    if (state.occupied[i] === 1) {
      occupied[length++] = i;
      listed[i] = 1;
      rooms.put(i);
    } else empty.push(i);
  }
  // Binpack's very score and tie-break of an empty agent, so the walk meets them in heap order.
  empty.sort(
    (a, b) =>
      openingScore(state, a) - openingScore(state, b) ||
      (state.rank[a] as number) - (state.rank[b] as number),
  );
  return {
    occupied: { agents: occupied, length },
    rooms,
    listed,
    empty: Int32Array.from(empty),
    emptyHead: 0,
    admitted: new Map(),
    scratch: new Int32Array(state.n),
  };
}

/**
 * The empty agents of a pass that a group's agent checks let in whatever else happens (not drained, through its
 * attribute filters, not a GPU agent kept for GPU work), in opening order. Agents that get used are unlinked as a walk
 * meets them, so each is stepped over once per list rather than once per group.
 */
interface EmptyList {
  agents: Int32Array;
  /** The position after each position; agents.length ends the list. */
  next: Int32Array;
  head: number;
}

/** What a group's agent checks admit whatever else happens: its attribute filters' verdicts, and GPU agents or not. */
interface Admission {
  eligible: Uint8Array;
  gpuAgents: boolean;
}

function admittedEmpty(
  state: ClusterState,
  pass: PassAgents,
  admit: Admission,
  filterKey: string,
): EmptyList {
  const { eligible, gpuAgents } = admit;
  const key = `${gpuAgents ? 1 : 0}\u0000${filterKey}`;
  let list = pass.admitted.get(key);
  if (list) return list;
  const agents: number[] = [];
  for (let k = pass.emptyHead; k < pass.empty.length; k++) {
    const i = pass.empty[k] as number;
    if (eligible[i] === 1 && state.disabled[i] === 0 && (gpuAgents || state.isGpuAgent[i] === 0))
      agents.push(i);
  }
  const next = new Int32Array(agents.length);
  for (let k = 0; k < next.length; k++) next[k] = k + 1;
  list = { agents: Int32Array.from(agents), next, head: 0 };
  pass.admitted.set(key, list);
  return list;
}

/**
 * Whether an agent of the pass's empty list is now in use or filed by its room: either way it is no longer one of
 * the empty agents (a session's agent may be filed and empty again once its tasks stopped).
 */
function leftEmpty(state: ClusterState, listed: Uint8Array, i: number): boolean {
  return state.occupied[i] === 1 || listed[i] === 1;
}

/** Every agent of the pass that may still take something: those in use that shrinking kept, and the empty ones. */
function stillOpen(state: ClusterState, pass: PassAgents): AgentList {
  const list = pass.scratch;
  let length = 0;
  while (
    pass.emptyHead < pass.empty.length &&
    leftEmpty(state, pass.listed, pass.empty[pass.emptyHead] as number)
  )
    pass.emptyHead++;
  for (let k = 0; k < pass.occupied.length; k++) list[length++] = pass.occupied.agents[k] as number;
  for (let k = pass.emptyHead; k < pass.empty.length; k++) {
    const i = pass.empty[k] as number;
    if (!leftEmpty(state, pass.listed, i)) list[length++] = i;
  }
  return { agents: list, length };
}

/** Files the agents a group's placements used under their new room, and adds those they opened to the agents in use. */
export function noteOpened(pass: PassAgents, placed: readonly Booked[]): void {
  for (const b of placed) noteRoomChanged(pass, b.agent);
}

/**
 * Files agent i under its room now, among the agents in use: after a placement on it, or after a task on it
 * stopped (a placement session keeps one pass over many runs). Once filed it stays filed, empty or not.
 */
export function noteRoomChanged(pass: PassAgents, i: number): void {
  pass.rooms.put(i);
  if (pass.listed[i] === 1) return;
  pass.listed[i] = 1;
  pass.occupied.agents[pass.occupied.length++] = i;
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

export interface PlaceOptions {
  /** False in placement's first pass: agents with GPUs are kept for requests that ask for GPUs. */
  allowGpuAgents: boolean;
  /** The agents to consider: a pass's agents (in use, and empty ones walked in opening order), a list, or all. */
  candidates?: AgentList | PassAgents;
  /**
   * First fit along this order for binpack groups without balance: the first agent that passes every check, not the
   * best score. Scale-in pours moved tasks into the agents it is least likely to drain this way.
   */
  preferredOrder?: Int32Array;
}

/**
 * Places a group's instances one by one on the best agent that passes every check (see checks.ts). Agents live in
 * min-heaps keyed by score (one heap per value of the balanced attribute, if any); an agent that no longer fits or
 * whose value reached a unique / max_per limit is dropped for good, since within a group resources only shrink and
 * counts only grow.
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
  options: PlaceOptions,
): GroupOutcome {
  const checks = compileChecks({ state, group, eligible, rules, allowGpuAgents: options.allowGpuAgents });
  if (options.preferredOrder && group.strategy === "binpack" && rules.balances.length === 0)
    return firstFit(state, group, requests, checks, options.preferredOrder);
  const admit = { eligible, gpuAgents: options.allowGpuAgents || group.units.gpus > 0 };
  return bestFit(state, group, requests, rules, checks, options.candidates, admit);
}

function bestFit(
  state: ClusterState,
  group: RequestGroup,
  requests: readonly TaskRequest[],
  rules: GroupRules,
  checks: GroupChecks,
  candidates: AgentList | PassAgents | undefined,
  admit: Admission,
): GroupOutcome {
  const primary = rules.balances[0];
  // A second hard balance can hold an agent back now and let it in later, which the walk cannot account for.
  const secondHard = rules.balances.slice(1).some((b) => b.rule.hard);
  const heaps = new ValueHeaps(state, primary, scorerFor(group.strategy).score(state, group));
  let pass: PassAgents | undefined;
  const passes = checks.passesFn();
  if (candidates && "empty" in candidates) {
    if (group.strategy === "binpack" && !secondHard) pass = candidates;
    else heaps.fillFrom(stillOpen(state, candidates), passes);
  } else heaps.fillFrom(candidates, passes);
  if (pass) {
    const empty = admittedEmpty(state, pass, admit, group.compiled.filterKey);
    heaps.fillFromPass(pass, group.units, empty, requests.length, passes);
  }
  heaps.heapify();
  const usable = (i: number): boolean => checks.stillPasses(i);
  const choosable = secondHard ? (i: number): boolean => checks.choosable(i) : undefined;
  const placed: Booked[] = [];
  let k = 0;
  let agent = -1;
  for (; k < requests.length; k++) {
    agent = heaps.takeNext(usable, choosable);
    if (agent < 0) break;
    const ports = state.allocate(agent, group.app, group.units, group.portCount);
    placed.push({ request: requests[k] as TaskRequest, agent, ports });
    heaps.afterPlacing(agent, usable);
  }
  heaps.release();
  if (k === requests.length) return { placed, remaining: [] };
  if (agent === FALL_BACK && pass) {
    const rest = bestFit(state, group, requests.slice(k), rules, checks, stillOpen(state, pass), admit);
    return { placed: [...placed, ...rest.placed], remaining: rest.remaining };
  }
  return { placed, remaining: requests.slice(k) };
}

/**
 * Heaps whose storage a finished group left for the next: a plan places thousands of groups, each with heaps of
 * hundreds of agents, and growing them anew for each was the largest allocation of a plan. Only storage is kept:
 * a heap is empty when it is handed on.
 */
const spareHeaps: AgentHeap[] = [];
const SPARE_HEAPS = 16;

/** Returned by `takeNext` when a heap that the walk cut short ran dry: the rest must go through the full scan. */
const FALL_BACK = -2;

/** A group's candidate agents in min-heaps by score, one heap per value of the primary balanced attribute. */
class ValueHeaps {
  private readonly heaps = new Map<number, AgentHeap>();
  /** Values whose heap left empty agents out: running dry there means falling back to the full scan. */
  private readonly cut = new Set<number>();
  /** Agents held back only because a second hard balance points elsewhere; they may qualify after the next placement. */
  private readonly stash: number[] = [];
  /** The values `takeNext` chooses among, and room to order them. */
  private candidates: readonly number[] | undefined;
  private readonly order: number[] = [];

  constructor(
    private readonly state: ClusterState,
    private readonly primary: LiveBalance | undefined,
    private readonly score: (i: number) => number,
  ) {}

  private valueOf(i: number): number {
    return this.primary ? (this.primary.valueIds[i] as number) : 0;
  }

  private heapFor(v: number): AgentHeap {
    let h = this.heaps.get(v);
    if (!h) {
      h = spareHeaps.pop() ?? new AgentHeap();
      this.heaps.set(v, h);
    }
    return h;
  }

  /** Hands the heaps' storage on to the next group's. */
  release(): void {
    for (const heap of this.heaps.values()) {
      heap.clear();
      if (spareHeaps.length < SPARE_HEAPS) spareHeaps.push(heap);
    }
    this.heaps.clear();
  }

  private add(i: number): void {
    this.heapFor(this.valueOf(i)).add(i, this.score(i), this.state.rank[i] as number);
  }

  /** Every agent of the list (all agents without one) that passes. */
  fillFrom(list: AgentList | undefined, passes: (i: number) => boolean): void {
    const count = list ? list.length : this.state.n;
    for (let k = 0; k < count; k++) {
      const i = list ? (list.agents[k] as number) : k;
      if (passes(i)) this.add(i);
    }
    this.state.evaluations += count;
  }

  /** Every agent in use that passes, and empty agents in opening order until each value holds `quota` of them. */
  fillFromPass(
    pass: PassAgents,
    units: Units,
    empty: EmptyList,
    quota: number,
    passes: (i: number) => boolean,
  ): void {
    const { state } = this;
    const { listed } = pass;
    const visited = pass.rooms.forEachWithRoom(units.cpus, units.mem, (i) => {
      if (passes(i)) this.add(i);
    });
    const values = this.primary ? this.primary.values.length : 1;
    const taken = new Int32Array(values);
    let full = 0;
    let walked = 0;
    const { agents, next } = empty;
    for (let k = empty.head, before = -1; k < agents.length && full < values; k = next[k] as number) {
      const i = agents[k] as number;
      if (leftEmpty(state, listed, i)) {
        if (before < 0) empty.head = next[k] as number;
        else next[before] = next[k] as number;
        continue;
      }
      before = k;
      if (!passes(i)) continue;
      walked++;
      const v = this.valueOf(i);
      if ((taken[v] as number) === quota) {
        this.cut.add(v);
        continue;
      }
      this.add(i);
      taken[v] = (taken[v] as number) + 1;
      if (taken[v] === quota) full++;
    }
    // Stopping early means later empty agents of every value were left out.
    if (full === values) for (let v = 0; v < values; v++) this.cut.add(v);
    state.evaluations += visited + walked;
  }

  heapify(): void {
    for (const heap of this.heaps.values()) heap.heapify();
  }

  /** The next agent: from the least used value first when balancing; -1 when none, FALL_BACK when cut short. */
  takeNext(usable: (i: number) => boolean, choosable: ((i: number) => boolean) | undefined): number {
    const { primary } = this;
    if (!primary) return this.takeFrom(0, usable, choosable);
    // The values a group may take from do not change while it is placed (heaps are filled before the first take).
    this.candidates ??= primary.rule.hard
      ? primary.domain
      : [...new Set([...this.heaps.keys(), ...this.cut])];
    const order = this.byUse(this.candidates, primary);
    const { counts } = primary;
    const least = order.length > 0 ? (counts[order[0] as number] as number) : 0;
    let agent = -1;
    for (const v of order) {
      if (primary.rule.hard && (counts[v] as number) > least) break;
      agent = this.takeFrom(v, usable, choosable);
      if (agent !== -1) break;
    }
    return agent;
  }

  /** The values least used first, then by name: an insertion sort into a list kept for the group (a few values). */
  private byUse(candidates: readonly number[], primary: LiveBalance): readonly number[] {
    const { counts, values } = primary;
    const { order } = this;
    order.length = 0;
    for (const v of candidates) {
      let at = order.length;
      order.push(v);
      while (at > 0) {
        const before = order[at - 1] as number;
        const c = (counts[before] as number) - (counts[v] as number);
        if (c < 0 || (c === 0 && (values[before] as string) < (values[v] as string))) break;
        order[at] = before;
        at--;
      }
      order[at] = v;
    }
    return order;
  }

  private takeFrom(v: number, usable: (i: number) => boolean, choosable?: (i: number) => boolean): number {
    const heap = this.heaps.get(v);
    if (heap) {
      for (let i = heap.pop(); i >= 0; i = heap.pop()) {
        if (!usable(i)) continue;
        if (choosable && !choosable(i)) {
          this.stash.push(i);
          continue;
        }
        return i;
      }
    }
    return this.cut.has(v) ? FALL_BACK : -1;
  }

  /** The agent just used goes back in if it still passes; so do the agents the balance held back. */
  afterPlacing(agent: number, usable: (i: number) => boolean): void {
    const push = (i: number): void =>
      this.heapFor(this.valueOf(i)).push(i, this.score(i), this.state.rank[i] as number);
    if (usable(agent)) push(agent);
    for (const i of this.stash.splice(0)) if (usable(i)) push(i);
  }
}
