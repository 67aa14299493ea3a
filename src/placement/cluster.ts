import { seededHash } from "./hash.js";
import type { Agent, PortRange, RunningTask } from "./types.js";
import { toUnits, type Units, units } from "./units.js";

/**
 * An agent with GPUs (in its total, used or not): placement keeps it for work that asks for GPUs, and a master
 * offers it only to frameworks with GPU_RESOURCES.
 */
export function hasGpus(agent: Pick<Agent, "total" | "free">): boolean {
  return units(agent.total.gpus) > 0 || units(agent.free.gpus) > 0;
}

/** Each agent's value of one attribute, as small integer ids (-1: the agent lacks it). */
export interface AttributeIndex {
  values: string[];
  valueIds: Int32Array;
}

/** Pseudo attribute whose value is the agent itself, for per-agent instance counts. */
export const PER_AGENT = "\u0000agent";

interface PortCursor {
  ranges: readonly PortRange[];
  head: number;
  next: number;
}

type JournalEntry =
  | {
      kind: "alloc";
      agent: number;
      app: string;
      demand: Units;
      ports: number;
      head: number;
      next: number;
      occupied: number;
    }
  | { kind: "leave"; agent: number; app: string }
  | { kind: "evict"; agent: number; app: string; demand: Units }
  | { kind: "giveBack"; agent: number; demand: Units }
  | { kind: "disable"; agent: number }
  | { kind: "enable"; agent: number };

/**
 * The mutable cluster state one placement run works on: free resources in typed arrays, free ports as cursors over
 * the agents' ranges, and per-app instance counts per attribute value so that unique / max_per / balance checks are
 * O(1). Changes can be journalled and undone, which is how fixes and scale-in try placements without copying.
 */
export class ClusterState {
  readonly n: number;
  readonly cpus: Float64Array;
  readonly mem: Float64Array;
  readonly disk: Float64Array;
  readonly gpus: Float64Array;
  readonly ports: Float64Array;
  readonly totalCpus: Float64Array;
  readonly totalMem: Float64Array;
  readonly isGpuAgent: Uint8Array;
  /** Whether any agent has GPUs: placement keeps them for GPU requests in a first pass. Agents' GPUs never change. */
  readonly hasGpuAgents: boolean;
  /** 1 when the agent holds any task or has resources in use: binpack fills these before opening empty agents. */
  readonly occupied: Uint8Array;
  readonly disabled: Uint8Array;
  /** Moves on whenever an agent is disabled or enabled (or that is undone): what was worked out from `disabled` is stale. */
  disabledVersion = 0;
  /** Tasks on each agent: running ones and those placed in this state. */
  readonly tasks: Int32Array;
  /** Seeded tie-break rank per agent. */
  readonly rank: Float64Array;
  readonly normCpus: number;
  readonly normMem: number;
  readonly indexById = new Map<string, number>();
  readonly runningByAgent: RunningTask[][];

  private readonly cursors: (PortCursor | undefined)[];
  private readonly attributes = new Map<string, AttributeIndex>();
  private readonly appAgents = new Map<string, number[]>();
  private readonly appCounts = new Map<string, Map<string, Int32Array>>();
  private journal: JournalEntry[] | undefined;
  evaluations = 0;

  constructor(
    readonly agents: readonly Agent[],
    running: readonly RunningTask[],
    seed: number,
  ) {
    const n = agents.length;
    this.n = n;
    this.cpus = new Float64Array(n);
    this.mem = new Float64Array(n);
    this.disk = new Float64Array(n);
    this.gpus = new Float64Array(n);
    this.ports = new Float64Array(n);
    this.totalCpus = new Float64Array(n);
    this.totalMem = new Float64Array(n);
    this.isGpuAgent = new Uint8Array(n);
    this.occupied = new Uint8Array(n);
    this.disabled = new Uint8Array(n);
    this.tasks = new Int32Array(n);
    this.rank = new Float64Array(n);
    this.cursors = new Array<PortCursor | undefined>(n);
    this.runningByAgent = Array.from({ length: n }, () => []);
    let normCpus = 1;
    let normMem = 1;
    let gpuAgents = false;
    agents.forEach((agent, i) => {
      const free = toUnits(agent.free);
      const total = toUnits(agent.total);
      this.cpus[i] = Math.max(0, free.cpus);
      this.mem[i] = Math.max(0, free.mem);
      this.disk[i] = Math.max(0, free.disk);
      this.gpus[i] = Math.max(0, free.gpus);
      this.totalCpus[i] = Math.max(total.cpus, free.cpus);
      this.totalMem[i] = Math.max(total.mem, free.mem);
      this.isGpuAgent[i] = hasGpus(agent) ? 1 : 0;
      gpuAgents ||= this.isGpuAgent[i] === 1;
      this.occupied[i] = free.cpus < total.cpus || free.mem < total.mem ? 1 : 0;
      this.ports[i] = countPorts(agent.freePorts);
      this.rank[i] = seededHash(agent.id, seed);
      this.disabled[i] = agent.draining === true ? 1 : 0;
      normCpus = Math.max(normCpus, this.totalCpus[i] as number);
      normMem = Math.max(normMem, this.totalMem[i] as number);
      if (!this.indexById.has(agent.id)) this.indexById.set(agent.id, i);
    });
    this.normCpus = normCpus;
    this.normMem = normMem;
    this.hasGpuAgents = gpuAgents;
    breakRankTies(this.rank, agents);
    for (const task of running) {
      const i = this.indexById.get(task.agentId);
      if (i === undefined) continue;
      this.runningByAgent[i]?.push(task);
      this.occupied[i] = 1;
      this.tasks[i] = (this.tasks[i] as number) + 1;
      this.agentsOf(task.app).push(i);
    }
  }

  /** The agent's value ids for an attribute; `hostname` is the agent's hostname. */
  attribute(name: string): AttributeIndex {
    let index = this.attributes.get(name);
    if (index) return index;
    const ids = new Map<string, number>();
    const values: string[] = [];
    const valueIds = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const agent = this.agents[i] as Agent;
      const value =
        name === PER_AGENT ? String(i) : name === "hostname" ? agent.hostname : agent.attributes[name];
      if (value === undefined) {
        valueIds[i] = -1;
        continue;
      }
      let id = ids.get(value);
      if (id === undefined) {
        id = values.length;
        ids.set(value, id);
        values.push(value);
      }
      valueIds[i] = id;
    }
    index = { values, valueIds };
    this.attributes.set(name, index);
    return index;
  }

  /** How many of the app's instances (running and placed in this run) sit on each value of the attribute. */
  counts(app: string, attribute: string): Int32Array {
    let byAttribute = this.appCounts.get(app);
    if (!byAttribute) {
      byAttribute = new Map();
      this.appCounts.set(app, byAttribute);
    }
    let counts = byAttribute.get(attribute);
    if (counts) return counts;
    const index = this.attribute(attribute);
    counts = new Int32Array(index.values.length);
    for (const agent of this.agentsOf(app)) {
      const v = index.valueIds[agent] as number;
      if (v >= 0) counts[v] = (counts[v] as number) + 1;
    }
    byAttribute.set(attribute, counts);
    return counts;
  }

  fits(i: number, d: Units, portCount: number): boolean {
    this.evaluations++;
    return (
      (this.cpus[i] as number) >= d.cpus &&
      (this.mem[i] as number) >= d.mem &&
      (this.disk[i] as number) >= d.disk &&
      (this.gpus[i] as number) >= d.gpus &&
      (this.ports[i] as number) >= portCount
    );
  }

  /** Books one instance on agent i and returns the host ports taken, lowest free ports first. */
  allocate(i: number, app: string, d: Units, portCount: number): number[] {
    const cursor = this.cursor(i);
    this.journal?.push({
      kind: "alloc",
      agent: i,
      app,
      demand: d,
      ports: portCount,
      head: cursor.head,
      next: cursor.next,
      occupied: this.occupied[i] as number,
    });
    this.cpus[i] = (this.cpus[i] as number) - d.cpus;
    this.mem[i] = (this.mem[i] as number) - d.mem;
    this.disk[i] = (this.disk[i] as number) - d.disk;
    this.gpus[i] = (this.gpus[i] as number) - d.gpus;
    this.ports[i] = (this.ports[i] as number) - portCount;
    this.occupied[i] = 1;
    this.tasks[i] = (this.tasks[i] as number) + 1;
    this.agentsOf(app).push(i);
    this.bump(app, i, 1);
    const taken: number[] = [];
    while (taken.length < portCount) {
      const range = cursor.ranges[cursor.head] as PortRange;
      taken.push(cursor.next);
      if (cursor.next >= range.end) {
        cursor.head++;
        cursor.next = cursor.ranges[cursor.head]?.begin ?? 0;
      } else cursor.next++;
    }
    return taken;
  }

  /**
   * A task of the app stops on agent i: its resources and host ports are free again, and it no longer counts for the
   * app's constraints. A rollout releases old tasks between the steps it places on one state. Not journalled.
   */
  release(i: number, app: string, demand: Units, ports: readonly number[]): void {
    const list = this.agentsOf(app);
    const at = list.lastIndexOf(i);
    if (at >= 0) {
      list.splice(at, 1);
      this.bump(app, i, -1);
    }
    this.cpus[i] = (this.cpus[i] as number) + demand.cpus;
    this.mem[i] = (this.mem[i] as number) + demand.mem;
    this.disk[i] = (this.disk[i] as number) + demand.disk;
    this.gpus[i] = (this.gpus[i] as number) + demand.gpus;
    this.tasks[i] = Math.max(0, (this.tasks[i] as number) - 1);
    this.occupied[i] =
      (this.tasks[i] as number) > 0 ||
      (this.cpus[i] as number) < (this.totalCpus[i] as number) ||
      (this.mem[i] as number) < (this.totalMem[i] as number)
        ? 1
        : 0;
    if (ports.length === 0) return;
    const cursor = this.cursor(i);
    const free: PortRange[] = [];
    for (let k = cursor.head; k < cursor.ranges.length; k++) {
      const r = cursor.ranges[k] as PortRange;
      free.push(k === cursor.head ? { begin: cursor.next, end: r.end } : r);
    }
    const ranges = normaliseRanges([...free, ...ports.map((port) => ({ begin: port, end: port }))]);
    cursor.ranges = ranges;
    cursor.head = 0;
    cursor.next = ranges[0]?.begin ?? 0;
    this.ports[i] = ranges.reduce((sum, r) => sum + (r.end - r.begin + 1), 0);
  }

  /** One instance of the app leaves agent i (its agent is being drained); resources on i are not reused. */
  leave(i: number, app: string): void {
    const list = this.agentsOf(app);
    const at = list.lastIndexOf(i);
    if (at < 0) return;
    list.splice(at, 1);
    this.bump(app, i, -1);
    this.journal?.push({ kind: "leave", agent: i, app });
  }

  /**
   * A task of the app moves off agent i, which stays: its resources there are free again and it no longer counts for
   * the app's constraints. Its host ports are not given back, since the state does not know which ones it holds.
   */
  evict(i: number, app: string, demand: Units): void {
    const list = this.agentsOf(app);
    const at = list.lastIndexOf(i);
    if (at < 0) return;
    list.splice(at, 1);
    this.bump(app, i, -1);
    this.journal?.push({ kind: "evict", agent: i, app, demand });
    this.cpus[i] = (this.cpus[i] as number) + demand.cpus;
    this.mem[i] = (this.mem[i] as number) + demand.mem;
    this.disk[i] = (this.disk[i] as number) + demand.disk;
    this.gpus[i] = (this.gpus[i] as number) + demand.gpus;
    this.tasks[i] = (this.tasks[i] as number) - 1;
  }

  disable(i: number): void {
    this.disabled[i] = 1;
    this.disabledVersion++;
    this.journal?.push({ kind: "disable", agent: i });
  }

  enable(i: number): void {
    this.disabled[i] = 0;
    this.disabledVersion++;
    this.journal?.push({ kind: "enable", agent: i });
  }

  /** Resources held on agent i by tasks that have left it (`leave`) are free again. */
  giveBack(i: number, demand: Units): void {
    this.journal?.push({ kind: "giveBack", agent: i, demand });
    this.cpus[i] = (this.cpus[i] as number) + demand.cpus;
    this.mem[i] = (this.mem[i] as number) + demand.mem;
    this.disk[i] = (this.disk[i] as number) + demand.disk;
    this.gpus[i] = (this.gpus[i] as number) + demand.gpus;
  }

  /** Starts recording changes; `rollback` undoes everything since, `commit` keeps it. */
  begin(): void {
    this.journal = [];
  }

  /** A point inside the recorded changes that `rollbackTo` returns to. */
  mark(): number {
    return this.journal?.length ?? 0;
  }

  /** Undoes the changes recorded since `mark`, and keeps recording. */
  rollbackTo(mark: number): void {
    const journal = this.journal ?? [];
    this.undo(journal.splice(mark));
  }

  commit(): void {
    this.journal = undefined;
  }

  rollback(): void {
    const journal = this.journal ?? [];
    this.journal = undefined;
    this.undo(journal);
  }

  private undo(entries: readonly JournalEntry[]): void {
    for (let k = entries.length - 1; k >= 0; k--) {
      const e = entries[k] as JournalEntry;
      const i = e.agent;
      if (e.kind === "disable") {
        this.disabled[i] = 0;
        this.disabledVersion++;
      } else if (e.kind === "enable") {
        this.disabled[i] = 1;
        this.disabledVersion++;
      } else if (e.kind === "giveBack") {
        this.cpus[i] = (this.cpus[i] as number) - e.demand.cpus;
        this.mem[i] = (this.mem[i] as number) - e.demand.mem;
        this.disk[i] = (this.disk[i] as number) - e.demand.disk;
        this.gpus[i] = (this.gpus[i] as number) - e.demand.gpus;
      } else if (e.kind === "leave") {
        this.agentsOf(e.app).push(i);
        this.bump(e.app, i, 1);
      } else if (e.kind === "evict") {
        this.cpus[i] = (this.cpus[i] as number) - e.demand.cpus;
        this.mem[i] = (this.mem[i] as number) - e.demand.mem;
        this.disk[i] = (this.disk[i] as number) - e.demand.disk;
        this.gpus[i] = (this.gpus[i] as number) - e.demand.gpus;
        this.tasks[i] = (this.tasks[i] as number) + 1;
        this.agentsOf(e.app).push(i);
        this.bump(e.app, i, 1);
      } else {
        this.cpus[i] = (this.cpus[i] as number) + e.demand.cpus;
        this.mem[i] = (this.mem[i] as number) + e.demand.mem;
        this.disk[i] = (this.disk[i] as number) + e.demand.disk;
        this.gpus[i] = (this.gpus[i] as number) + e.demand.gpus;
        this.ports[i] = (this.ports[i] as number) + e.ports;
        this.occupied[i] = e.occupied;
        this.tasks[i] = (this.tasks[i] as number) - 1;
        const cursor = this.cursor(i);
        cursor.head = e.head;
        cursor.next = e.next;
        const list = this.agentsOf(e.app);
        list.splice(list.lastIndexOf(i), 1);
        this.bump(e.app, i, -1);
      }
    }
  }

  private bump(app: string, agent: number, delta: number): void {
    const byAttribute = this.appCounts.get(app);
    if (!byAttribute) return;
    for (const [attribute, counts] of byAttribute) {
      const v = this.attribute(attribute).valueIds[agent] as number;
      if (v >= 0) counts[v] = (counts[v] as number) + delta;
    }
  }

  private agentsOf(app: string): number[] {
    let list = this.appAgents.get(app);
    if (!list) {
      list = [];
      this.appAgents.set(app, list);
    }
    return list;
  }

  private cursor(i: number): PortCursor {
    let cursor = this.cursors[i];
    if (!cursor) {
      const ranges = normaliseRanges((this.agents[i] as Agent).freePorts);
      cursor = { ranges, head: 0, next: ranges[0]?.begin ?? 0 };
      this.cursors[i] = cursor;
    }
    return cursor;
  }
}

function countPorts(ranges: readonly PortRange[]): number {
  return normaliseRanges(ranges).reduce((sum, r) => sum + (r.end - r.begin + 1), 0);
}

/** Sorted, merged, valid ranges: the input promises this, but a port handed out twice would be a real outage. */
function normaliseRanges(ranges: readonly PortRange[]): PortRange[] {
  const valid = ranges
    .filter((r) => Number.isInteger(r.begin) && Number.isInteger(r.end) && r.begin <= r.end)
    .map((r) => ({ begin: r.begin, end: r.end }))
    .sort((a, b) => a.begin - b.begin);
  const merged: PortRange[] = [];
  for (const r of valid) {
    const last = merged[merged.length - 1];
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push(r);
  }
  return merged;
}

/**
 * Two agent ids can hash to the same 32-bit rank. Each rank gets a fraction below one from the order of the agents'
 * ids, so ties go the same way whatever order the agents come in, and no two agents with distinct ids ever tie.
 */
function breakRankTies(rank: Float64Array, agents: readonly Agent[]): void {
  const byId = Array.from({ length: agents.length }, (_, i) => i);
  byId.sort((a, b) => {
    const x = (agents[a] as Agent).id;
    const y = (agents[b] as Agent).id;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  byId.forEach((i, position) => {
    rank[i] = (rank[i] as number) + position / agents.length;
  });
}
