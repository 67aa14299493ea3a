import type { TitanTask } from "../../src/cluster/types.js";
import type { AppTarget } from "../../src/deploy/tracking.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { InverseOffer, Offer } from "../../src/mesos/types/mesos.js";
import type { Release } from "../../src/state/types.js";

/** Release 1 of `web` (digest `sha256:one`) with this spec, as the engine's target. */
export function releaseOne(spec: AppSpec, outcome: Release["outcome"]): AppTarget {
  const release: Release = {
    app: "web",
    number: 1,
    manifestDigest: "sha256:one",
    spec,
    createdAt: 0,
    user: "tester",
    outcome,
  };
  return { spec, release, environment: {} };
}

/** The master's inverse offer for an agent scheduled for maintenance from `startMs`. */
export function inverseOffer(id: string, agentId: string, startMs: number): InverseOffer {
  return {
    id: { value: id },
    framework_id: { value: "f" },
    agent_id: { value: agentId },
    url: { scheme: "http", address: { hostname: `${agentId}.example`, ip: "10.0.0.1", port: 5051 } },
    unavailability: { start: { nanoseconds: startMs * 1_000_000 } },
  };
}

/** A running task of instance `instance` of release 1 of `web` (1 cpu, 64 MB), as the master's state lists it. */
export function runningTask(instance: number, agentId: string): TitanTask {
  return {
    taskId: `web.1.${instance}.1`,
    frameworkId: "f",
    framework: "titan:web",
    app: "web",
    instance,
    release: 1,
    digest: "sha256:one",
    state: "TASK_RUNNING",
    agentId,
    hostname: `${agentId}.example`,
    demand: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
    ports: [],
    health: "none",
  };
}

/** An offer of `cpus` cpus and 1024 MB from `agentId`. */
export function agentOffer(id: string, agentId: string, cpus: number): Offer {
  return {
    id: { value: id },
    framework_id: { value: "f" },
    agent_id: { value: agentId },
    hostname: `${agentId}.example`,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: cpus } },
      { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
    ],
  };
}
