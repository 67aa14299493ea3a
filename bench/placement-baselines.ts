import type { Agent, Constraint, PlacementInput, TaskRequest } from "../src/placement/types.js";
import { rng } from "./placement-workload.js";

/** What a baseline did: which agent each placed request got (by index into the input's agents). */
export interface BaselineResult {
  agentOf: Int32Array;
  placed: number;
  scans: number;
}

/** Mutable free resources and per-app counts, shared by both baselines; constraints checked the plain way. */
class SimpleCluster {
  readonly cpus: Float64Array;
  readonly mem: Float64Array;
  readonly disk: Float64Array;
  readonly gpus: Float64Array;
  readonly ports: Float64Array;
  private readonly counts = new Map<string, number>();
  private readonly regexes = new Map<string, RegExp>();

  constructor(
    readonly agents: readonly Agent[],
    input: PlacementInput,
  ) {
    const n = agents.length;
    this.cpus = Float64Array.from(agents, (a) => a.free.cpus);
    this.mem = Float64Array.from(agents, (a) => a.free.mem);
    this.disk = Float64Array.from(agents, (a) => a.free.disk);
    this.gpus = Float64Array.from(agents, (a) => a.free.gpus);
    this.ports = new Float64Array(n);
    agents.forEach((a, i) => {
      this.ports[i] = a.freePorts.reduce((s, r) => s + r.end - r.begin + 1, 0);
    });
    const index = new Map(agents.map((a, i) => [a.id, i]));
    for (const t of input.running) {
      const i = index.get(t.agentId);
      if (i !== undefined) this.count(t.app, i, 1);
    }
  }

  private value(i: number, attribute: string): string | undefined {
    const a = this.agents[i] as Agent;
    return attribute === "hostname" ? a.hostname : a.attributes[attribute];
  }

  private key(app: string, attribute: string, value: string): string {
    return `${app}\u0000${attribute}\u0000${value}`;
  }

  private count(app: string, i: number, delta: number): void {
    for (const attribute of ["hostname", "zone", "rack"]) {
      const v = this.value(i, attribute);
      if (v === undefined) continue;
      const k = this.key(app, attribute, v);
      this.counts.set(k, (this.counts.get(k) ?? 0) + delta);
    }
  }

  fits(i: number, t: TaskRequest): boolean {
    const d = t.demand;
    return (
      (this.cpus[i] as number) >= d.cpus - 1e-9 &&
      (this.mem[i] as number) >= d.mem &&
      (this.disk[i] as number) >= d.disk &&
      (this.gpus[i] as number) >= d.gpus &&
      (this.ports[i] as number) >= t.ports.length
    );
  }

  /** Hard constraints as Fenzo checks them: attribute filters, unique, max_per, and its balanced-attribute rule. */
  allowed(i: number, t: TaskRequest, zoneCounts: (app: string) => number[]): boolean {
    for (const c of t.constraints) if (!this.allows(i, t.app, c, zoneCounts)) return false;
    return true;
  }

  private allows(i: number, app: string, c: Constraint, zoneCounts: (app: string) => number[]): boolean {
    const v = this.value(i, c.attribute);
    switch (c.kind) {
      case "attribute": {
        if (c.op === "equals") return v === c.value;
        let re = this.regexes.get(c.value);
        if (!re) {
          re = new RegExp(`^(?:${c.value})$`);
          this.regexes.set(c.value, re);
        }
        return c.op === "like" ? v !== undefined && re.test(v) : v === undefined || !re.test(v);
      }
      case "unique":
        return v !== undefined && (this.counts.get(this.key(app, c.attribute, v)) ?? 0) < 1;
      case "max_per":
        return v !== undefined && (this.counts.get(this.key(app, c.attribute, v)) ?? 0) < c.count;
      case "balance": {
        if (!c.hard || v === undefined) return v !== undefined;
        // Fenzo's BalancedHostAttrConstraint: fewer than the busiest value, or all values level.
        const all = zoneCounts(app);
        const mine = this.counts.get(this.key(app, c.attribute, v)) ?? 0;
        const max = Math.max(...all);
        return mine < max || all.every((x) => x === max);
      }
    }
    return true;
  }

  take(i: number, t: TaskRequest): void {
    const d = t.demand;
    this.cpus[i] = (this.cpus[i] as number) - d.cpus;
    this.mem[i] = (this.mem[i] as number) - d.mem;
    this.disk[i] = (this.disk[i] as number) - d.disk;
    this.gpus[i] = (this.gpus[i] as number) - d.gpus;
    this.ports[i] = (this.ports[i] as number) - t.ports.length;
    this.count(t.app, i, 1);
  }

  zoneCounts(app: string, zones: readonly string[]): number[] {
    return zones.map((z) => this.counts.get(this.key(app, "zone", z)) ?? 0);
  }
}

function zonesOf(agents: readonly Agent[]): string[] {
  return [
    ...new Set(agents.map((a) => a.attributes.zone).filter((z): z is string => z !== undefined)),
  ].sort();
}

/** Baseline (a): first-fit-decreasing by cpu+mem (normalised by the largest agent), agents in input order. */
export function firstFitDecreasing(input: PlacementInput): BaselineResult {
  const c = new SimpleCluster(input.agents, input);
  const zones = zonesOf(input.agents);
  const normC = Math.max(...input.agents.map((a) => a.total.cpus));
  const normM = Math.max(...input.agents.map((a) => a.total.mem));
  const order = [...input.requests.keys()].sort((a, b) => {
    const x = input.requests[a] as TaskRequest;
    const y = input.requests[b] as TaskRequest;
    return y.demand.cpus / normC + y.demand.mem / normM - (x.demand.cpus / normC + x.demand.mem / normM);
  });
  const agentOf = new Int32Array(input.requests.length).fill(-1);
  let placed = 0;
  let scans = 0;
  for (const k of order) {
    const t = input.requests[k] as TaskRequest;
    for (let i = 0; i < input.agents.length; i++) {
      scans++;
      if (c.fits(i, t) && c.allowed(i, t, (app) => c.zoneCounts(app, zones))) {
        c.take(i, t);
        agentOf[k] = i;
        placed++;
        break;
      }
    }
  }
  return { agentOf, placed, scans };
}

/**
 * Baseline (b): Fenzo's default shape. Tasks in input order; per task, every agent, in a fixed hash-like order, is
 * scored with the cpu+mem bin packer (mean of cpu and mem utilisation after placing, relative to that agent) and the
 * best score wins. Fenzo's default "good enough" test never passes, so every agent is scored; a finite `goodEnough`
 * stops the scan at the first score that reaches it.
 */
export function fenzoGreedy(input: PlacementInput, goodEnough = Number.POSITIVE_INFINITY): BaselineResult {
  const c = new SimpleCluster(input.agents, input);
  const zones = zonesOf(input.agents);
  const r = rng(input.seed);
  const agentOrder = [...input.agents.keys()];
  for (let i = agentOrder.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [agentOrder[i], agentOrder[j]] = [agentOrder[j] as number, agentOrder[i] as number];
  }
  const totalC = Float64Array.from(input.agents, (a) => a.total.cpus);
  const totalM = Float64Array.from(input.agents, (a) => a.total.mem);
  const agentOf = new Int32Array(input.requests.length).fill(-1);
  let placed = 0;
  let scans = 0;
  input.requests.forEach((t, k) => {
    let best = -1;
    let bestScore = -1;
    for (const i of agentOrder) {
      scans++;
      if (!c.fits(i, t) || !c.allowed(i, t, (app) => c.zoneCounts(app, zones))) continue;
      const cpu = ((totalC[i] as number) - (c.cpus[i] as number) + t.demand.cpus) / (totalC[i] as number);
      const mem = ((totalM[i] as number) - (c.mem[i] as number) + t.demand.mem) / (totalM[i] as number);
      const score = (cpu + mem) / 2;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
      if (score >= goodEnough) break;
    }
    if (best >= 0) {
      c.take(best, t);
      agentOf[k] = best;
      placed++;
    }
  });
  return { agentOf, placed, scans };
}
