import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { spreadCluster, workload } from "../../bench/placement-workload.js";
import {
  adviseScaleIn,
  adviseScaleOut,
  PlacementSession,
  parseShape,
  place,
} from "../../src/placement/index.js";
import type { Constraint, PlacementInput } from "../../src/placement/types.js";

/**
 * Placements on the benchmark's generated workloads, pinned by digest: a change to the engine that is meant to keep
 * its decisions (a refactor, an optimisation) must leave every one of them identical. A change that means to place
 * differently updates the digests and says why.
 */
const digest = (value: unknown): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);

const withoutTiming = (r: ReturnType<typeof place>): unknown => ({
  placements: r.placements,
  unplaced: r.unplaced,
  seed: r.seed,
});

function constraintsOf(input: PlacementInput): Record<string, readonly Constraint[]> {
  const out: Record<string, readonly Constraint[]> = {};
  for (const r of input.requests) out[r.app] = r.constraints;
  return out;
}

const SHAPES = ["m5.2xlarge", "m5.4xlarge", "r4.8xlarge"].flatMap((type, t) =>
  ["us-east-1a", "us-east-1b", "us-east-1c"].map((zone) =>
    parseShape(`${[8, 16, 32][t]}cpu,${[32, 64, 244][t]}Gi,disk=200Gi,instance_type=${type},zone=${zone}`),
  ),
);

// Generated workloads of up to 50,000 tasks: seconds each, more on a loaded machine.
describe("placements on the benchmark workloads stay identical", { timeout: 120_000 }, () => {
  it.each([
    { mix: "constrained", agents: 1_000, tasks: 10_000, expected: "e5d5b85cf4dde103" },
    { mix: "small", agents: 1_000, tasks: 10_000, expected: "59eeb9ce6be710d2" },
    { mix: "constrained", agents: 5_000, tasks: 50_000, expected: "888078a95dbb973a" },
  ] as const)("place: $mix mix, $agents agents × $tasks tasks", ({ mix, agents, tasks, expected }) => {
    const result = place(workload(agents, tasks, 42, mix));
    expect(result.unplaced).toEqual([]);
    expect(digest(withoutTiming(result))).toBe(expected);
  });

  it("place with the spread strategy", () => {
    const input = workload(500, 5_000, 5);
    const spread = { ...input, requests: input.requests.map((r) => ({ ...r, strategy: "spread" as const })) };
    expect(digest(withoutTiming(place(spread)))).toBe("c79a8164bff3ce43");
  });

  it("place and explain on an overloaded cluster, and the scale-out advice", () => {
    const full = workload(1_000, 16_000, 11);
    const input = { ...full, agents: full.agents.slice(0, 330) };
    const result = place(input);
    expect(result.unplaced.length).toBeGreaterThan(0);
    expect(digest(withoutTiming(result))).toBe("a76d11a36e98b27f");
    const advice = adviseScaleOut(input, SHAPES);
    expect(digest(advice)).toBe("474be60e3150a66b");
  });

  it("scale-in advice (first fit along the drain order, making room)", () => {
    const { base, agents, running } = spreadCluster(1_000, 5_000, 13);
    const { unknownConstraints, ...decisions } = adviseScaleIn(
      { agents, running, seed: 1 },
      constraintsOf(base),
    );
    expect(unknownConstraints).toEqual([]);
    expect(decisions.drain.length).toBeGreaterThan(0);
    expect(digest(decisions)).toBe("969b12c26baf0fe5");
  });

  it("a session placing step by step and releasing", () => {
    const input = workload(500, 5_000, 9);
    const session = new PlacementSession(input.agents, input.running, input.seed);
    const steps: unknown[] = [];
    const chunk = 700;
    for (let k = 0; k < input.requests.length; k += chunk) {
      const result = session.place(input.requests.slice(k, k + chunk));
      steps.push(withoutTiming(result));
      // Every third placement of the step stops again, as the old instances of a rolling update do.
      result.placements.forEach((p, j) => {
        if (j % 3 !== 0) return;
        const request = input.requests.find((r) => r.app === p.app && r.instance === p.instance);
        if (request) session.release(p.agentId, p.app, request.demand, Object.values(p.ports));
      });
    }
    expect(digest(steps)).toBe("7316b49dc5fa6375");
  });
});
