import type { AppTarget } from "../../src/deploy/tracking.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { InverseOffer } from "../../src/mesos/types/mesos.js";
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
