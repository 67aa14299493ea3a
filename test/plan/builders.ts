import type { ClusterSnapshot, TitanTask } from "../../src/cluster/types.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { Agent, RunningTask, Scalars } from "../../src/placement/types.js";

/** An app spec as the manifest module produces it, with small defaults a test overrides. */
export function appSpec(overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name: "api",
    image: "registry.example.com/payments/api:1.4.2",
    command: ["node", "server.js"],
    env: { LOG_LEVEL: { kind: "plain", value: "info" } },
    fetch: [],
    resources: { cpus: 1, mem: 512, disk: 0, gpus: 0 },
    ports: [{ name: "http", protocol: "tcp" }],
    instances: 2,
    constraints: [],
    placement: "binpack",
    update: {
      maxSurge: { kind: "count", value: 1 },
      maxUnavailable: { kind: "count", value: 0 },
      minHealthyTimeMs: 10_000,
      healthyDeadlineMs: 300_000,
      progressDeadlineMs: 600_000,
      autoRollback: true,
    },
    restart: { backoffMs: 1000, factor: 2, maxDelayMs: 300_000 },
    killGraceMs: 30_000,
    labels: {},
    source: { file: "titan.yaml", line: 1, col: 1, path: "" },
    ...overrides,
  };
}

export function scalars(cpus: number, mem: number, disk = 0, gpus = 0): Scalars {
  return { cpus, mem, disk, gpus };
}

export function agent(n: number, free: Scalars, attributes: Record<string, string> = {}): Agent {
  return {
    id: `agent-${n}`,
    hostname: `host-${n}.example.com`,
    attributes: { zone: `zone-${n % 3}`, ...attributes },
    total: free,
    free,
    freePorts: [{ begin: 31000, end: 31099 }],
  };
}

export function titanTask(
  app: string,
  instance: number,
  digest: string,
  agentN: number,
  demand: Scalars,
): TitanTask {
  return {
    taskId: `${app}.${instance}.${digest.slice(-6)}`,
    frameworkId: `framework-${app}`,
    framework: `titan:${app}`,
    health: "none",
    app,
    instance,
    digest,
    state: "TASK_RUNNING",
    agentId: `agent-${agentN}`,
    hostname: `host-${agentN}.example.com`,
    demand,
    ports: [31050 + instance],
  };
}

/** A snapshot whose agents already have the given titan tasks subtracted from `free`. */
export function snapshotOf(
  agents: Agent[],
  tasks: TitanTask[] = [],
  foreign: RunningTask[] = [],
): ClusterSnapshot {
  const running: RunningTask[] = [
    ...foreign,
    ...tasks.map((t) => ({
      app: t.app,
      agentId: t.agentId,
      instance: t.instance,
      demand: t.demand,
      portCount: 1,
    })),
  ];
  const titanTasks: Record<string, TitanTask[]> = {};
  for (const t of tasks) titanTasks[t.app] = [...(titanTasks[t.app] ?? []), t];
  const withTasks = agents.map((a) => {
    const mine = tasks.filter((t) => t.agentId === a.id);
    const used = mine.reduce((s, t) => ({ cpus: s.cpus + t.demand.cpus, mem: s.mem + t.demand.mem }), {
      cpus: 0,
      mem: 0,
    });
    return {
      ...a,
      total: a.total,
      free: { ...a.free, cpus: a.free.cpus - used.cpus, mem: a.free.mem - used.mem },
      freePorts: a.freePorts.flatMap((r) => {
        const taken = mine.flatMap((t) => t.ports).filter((p) => p >= r.begin && p <= r.end);
        if (taken.length === 0) return [r];
        const out = [];
        let begin = r.begin;
        for (const p of taken.sort((x, y) => x - y)) {
          if (p > begin) out.push({ begin, end: p - 1 });
          begin = p + 1;
        }
        if (begin <= r.end) out.push({ begin, end: r.end });
        return out;
      }),
    };
  });
  return { format: "master-state", role: "*", agents: withTasks, running, titanTasks, warnings: [] };
}
