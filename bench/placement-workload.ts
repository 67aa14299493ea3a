import { place } from "../src/placement/index.js";
import type { Agent, Constraint, PlacementInput, RunningTask, TaskRequest } from "../src/placement/types.js";

/** A small seeded PRNG (mulberry32): the same seed gives the same cluster and workload. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ShapeSpec {
  type: string;
  cpus: number;
  mem: number;
  gpus: number;
  weight: number;
}

const SHAPES: readonly ShapeSpec[] = [
  { type: "m5.2xlarge", cpus: 8, mem: 32 * 1024, gpus: 0, weight: 0.4 },
  { type: "m5.4xlarge", cpus: 16, mem: 64 * 1024, gpus: 0, weight: 0.33 },
  { type: "r4.8xlarge", cpus: 32, mem: 244 * 1024, gpus: 0, weight: 0.22 },
  { type: "p3.8xlarge", cpus: 32, mem: 244 * 1024, gpus: 4, weight: 0.05 },
];
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

/**
 * `constrained`: the realistic mix below. `small`: the same cluster and the same stream of small apps, without
 * large apps, GPU apps or constraints: the mix on which agents used is compared with the lower bound.
 */
export type WorkloadMix = "constrained" | "small";

/**
 * A realistic cluster: agents of four shapes (one with GPUs) over three zones and racks, about a third already
 * partly used by other frameworks' tasks; and a workload of `tasks` instances over many small apps and a few large
 * ones, some pinned to an instance type, some unique per host, zone-balanced (soft or hard) or limited per rack,
 * with host ports. Demand is sized to about 70% of the free capacity so that a good packer can place everything.
 */
export function workload(
  agentCount: number,
  tasks: number,
  seed = 42,
  mix: WorkloadMix = "constrained",
): PlacementInput {
  const small = mix === "small";
  const r = rng(seed);
  const agents: Agent[] = [];
  const running: RunningTask[] = [];
  for (let i = 0; i < agentCount; i++) {
    let x = r();
    let shape = SHAPES[0] as ShapeSpec;
    for (const s of SHAPES) {
      if (x < s.weight) {
        shape = s;
        break;
      }
      x -= s.weight;
    }
    const zone = ZONES[i % 3] as string;
    const total = { cpus: shape.cpus, mem: shape.mem, disk: 200 * 1024, gpus: shape.gpus };
    const free = { ...total };
    const id = `agent-${String(i).padStart(5, "0")}`;
    let ports = [{ begin: 31000, end: 32000 }];
    if (r() < 0.3) {
      const share = 0.1 + r() * 0.4;
      const demand = {
        cpus: Math.round(shape.cpus * share * 10) / 10,
        mem: Math.round(shape.mem * share),
        disk: 0,
        gpus: 0,
      };
      free.cpus = Math.round((free.cpus - demand.cpus) * 1000) / 1000;
      free.mem -= demand.mem;
      ports = [{ begin: 31010, end: 32000 }];
      running.push({ app: `other-${i % 50}`, agentId: id, demand, portCount: 10 });
    }
    agents.push({
      id,
      hostname: `ip-10-${(i >> 8) & 255}-${i & 255}.ec2.internal`,
      attributes: { zone, rack: `${zone}-r${Math.floor(i / 3) % 20}`, instance_type: shape.type },
      total,
      free,
      freePorts: ports,
    });
  }
  const freeCpus = agents.filter((a) => a.total.gpus === 0).reduce((s, a) => s + a.free.cpus, 0);
  const budget = freeCpus * 0.7;
  const requests: TaskRequest[] = [];
  let app = 0;
  let usedCpus = 0;
  while (requests.length < tasks) {
    const name = `app-${String(app++).padStart(5, "0")}`;
    const large = r() < 0.03 && !small;
    const gpu = !large && r() < 0.01 && !small;
    let instances = large ? 100 + Math.floor(r() * 400) : 2 + Math.floor(r() * 30);
    instances = Math.min(instances, tasks - requests.length);
    const cpus = gpu ? 4 : large ? pick(r, [1, 2, 4]) : pick(r, [0.1, 0.25, 0.5, 1, 2]);
    const mem = gpu ? 16384 : Math.round(cpus * pick(r, [1024, 2048, 4096]) * (0.5 + r()));
    const constraints: Constraint[] = [];
    const c = r();
    if (gpu)
      constraints.push({ kind: "attribute", attribute: "instance_type", op: "like", value: "p3\\..*" });
    else if (c < 0.1)
      constraints.push({ kind: "attribute", attribute: "instance_type", op: "equals", value: "m5.2xlarge" });
    else if (c < 0.15)
      constraints.push({ kind: "attribute", attribute: "instance_type", op: "like", value: "m5\\..*" });
    else if (c < 0.25 && instances <= agentCount / 4)
      constraints.push({ kind: "unique", attribute: "hostname" });
    else if (c < 0.3)
      constraints.push({ kind: "max_per", attribute: "rack", count: Math.max(2, Math.ceil(instances / 40)) });
    if (r() < 0.25) constraints.push({ kind: "balance", attribute: "zone", hard: r() < 0.4 });
    if (small) constraints.length = 0;
    const ports = Array.from({ length: Math.floor(r() * 3) }, (_, p) => `port${p}`);
    const strategy = "binpack";
    for (let k = 0; k < instances; k++) {
      requests.push({
        app: name,
        instance: k,
        demand: { cpus, mem, disk: 512, gpus: gpu ? 1 : 0 },
        ports,
        constraints,
        strategy,
      });
    }
    usedCpus += instances * cpus;
  }
  // Scale demand to the budget so the input stays feasible at every size.
  const factor = Math.min(1, budget / Math.max(1, usedCpus));
  for (const q of requests) {
    if (q.demand.gpus > 0) continue;
    q.demand.cpus = Math.max(0.05, Math.round(q.demand.cpus * factor * 100) / 100);
    q.demand.mem = Math.max(64, Math.round(q.demand.mem * factor));
  }
  return { agents, running, requests, seed };
}

/**
 * A loosely packed cluster for the scale-in question: the workload placed with the spread strategy, then turned
 * into running tasks (their resources and host ports taken from the agents). `base` is the workload it came from.
 */
export function spreadCluster(
  agentCount: number,
  tasks: number,
  seed: number,
): { base: PlacementInput; agents: Agent[]; running: RunningTask[] } {
  const base = workload(agentCount, tasks, seed);
  const spread = { ...base, requests: base.requests.map((r) => ({ ...r, strategy: "spread" as const })) };
  const result = place(spread);
  const byKey = new Map(base.requests.map((r) => [`${r.app}\u0000${r.instance}`, r]));
  const running: RunningTask[] = [...base.running];
  const freeById = new Map(base.agents.map((a) => [a.id, { ...a.free }]));
  const ports = new Map<string, number>();
  for (const p of result.placements) {
    const r = byKey.get(`${p.app}\u0000${p.instance}`) as TaskRequest;
    running.push({
      app: p.app,
      agentId: p.agentId,
      instance: p.instance,
      demand: r.demand,
      portCount: r.ports.length,
    });
    const f = freeById.get(p.agentId);
    if (f) {
      f.cpus = Math.round((f.cpus - r.demand.cpus) * 1000) / 1000;
      f.mem -= r.demand.mem;
      f.disk -= r.demand.disk;
      f.gpus -= r.demand.gpus;
    }
    ports.set(p.agentId, (ports.get(p.agentId) ?? 0) + r.ports.length);
  }
  const agents: Agent[] = base.agents.map((a) => ({
    ...a,
    free: freeById.get(a.id) ?? a.free,
    freePorts: [{ begin: (a.freePorts[0]?.begin ?? 31000) + (ports.get(a.id) ?? 0), end: 32000 }],
  }));
  return { base, agents, running };
}

/**
 * A shared cluster with many apps: the cluster of `workload` and `tasks` instances spread over exactly `apps` apps of
 * varied shapes (sizes, host ports, placement constraints as in the constrained mix), as one titan.yaml of a big
 * organisation would hold them. Instance counts vary from 1 to about twice the mean.
 */
export function manyApps(agentCount: number, tasks: number, apps: number, seed = 42): PlacementInput {
  const cluster = workload(agentCount, 0, seed);
  const r = rng(seed + 1);
  const freeCpus = cluster.agents.filter((a) => a.total.gpus === 0).reduce((s, a) => s + a.free.cpus, 0);
  const mean = tasks / apps;
  const counts = Array.from({ length: apps }, () => 1 + Math.floor(r() * (2 * mean - 1)));
  // Adjust to exactly `tasks` instances, keeping every app at one or more.
  let total = counts.reduce((s, c) => s + c, 0);
  for (let k = 0; total !== tasks; k = (k + 1) % apps) {
    if (total < tasks) {
      counts[k] = (counts[k] as number) + 1;
      total++;
    } else if ((counts[k] as number) > 1) {
      counts[k] = (counts[k] as number) - 1;
      total--;
    }
  }
  const requests: TaskRequest[] = [];
  let usedCpus = 0;
  counts.forEach((instances, a) => {
    const name = `app-${String(a).padStart(5, "0")}`;
    const cpus = pick(r, [0.1, 0.25, 0.5, 1, 2]);
    const mem = Math.round(cpus * pick(r, [1024, 2048, 4096]) * (0.5 + r()));
    const constraints: Constraint[] = [];
    const c = r();
    if (c < 0.1)
      constraints.push({ kind: "attribute", attribute: "instance_type", op: "equals", value: "m5.2xlarge" });
    else if (c < 0.15)
      constraints.push({ kind: "attribute", attribute: "instance_type", op: "like", value: "m5\\..*" });
    else if (c < 0.25) constraints.push({ kind: "unique", attribute: "hostname" });
    else if (c < 0.3)
      constraints.push({ kind: "max_per", attribute: "rack", count: Math.max(2, Math.ceil(instances / 40)) });
    if (r() < 0.25) constraints.push({ kind: "balance", attribute: "zone", hard: r() < 0.4 });
    const ports = Array.from({ length: Math.floor(r() * 3) }, (_, p) => `port${p}`);
    for (let k = 0; k < instances; k++)
      requests.push({
        app: name,
        instance: k,
        demand: { cpus, mem, disk: 512, gpus: 0 },
        ports,
        constraints,
        strategy: "binpack",
      });
    usedCpus += instances * cpus;
  });
  // Demand at about 70% of the free cpu, as in `workload`, so the input stays feasible.
  const factor = Math.min(1, (freeCpus * 0.7) / Math.max(1, usedCpus));
  for (const q of requests) {
    q.demand.cpus = Math.max(0.05, Math.round(q.demand.cpus * factor * 100) / 100);
    q.demand.mem = Math.max(64, Math.round(q.demand.mem * factor));
  }
  return { ...cluster, requests };
}
