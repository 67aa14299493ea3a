import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { SimulatedCluster } from "../../src/plan/cluster-state.js";
import { diffApp } from "../../src/plan/diff.js";
import { simulateRollouts } from "../../src/plan/rollout.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

describe("simulateRollouts", () => {
  it("hands scale-out advice the cluster as the rollouts before the failing step left it", () => {
    // web grows from 1 to 3 cpus on agent-0; then big asks for more than any agent has, and its step fails.
    const web = appSpec({ name: "web", instances: 1, resources: { cpus: 3, mem: 512, disk: 0, gpus: 0 } });
    const big = appSpec({ name: "big", instances: 1, resources: { cpus: 5, mem: 512, disk: 0, gpus: 0 } });
    const old = titanTask("web", 0, "sha256:old", 0, scalars(1, 512));
    const snapshot = snapshotOf([agent(0, scalars(4, 4096)), agent(1, scalars(4, 4096))], [old]);
    const diffOf = (spec: typeof web) =>
      diffApp(spec.name, null, appDigest(spec), spec.instances, snapshot.titanTasks[spec.name] ?? []);
    const simulation = simulateRollouts(
      [
        { spec: web, diff: diffOf(web) },
        { spec: big, diff: diffOf(big) },
      ],
      new SimulatedCluster(snapshot),
      7,
    );
    expect(simulation.reports.get("web")?.fits).toBe(true);
    expect(simulation.reports.get("big")?.fits).toBe(false);
    const input = simulation.failedInput;
    expect(input?.requests.map((r) => [r.app, r.instance])).toEqual([["big", 0]]);
    // The new web task holds 3 of agent-0's 4 cpus; the old one, stopped by the rollout, holds nothing.
    const free = new Map(input?.agents.map((a) => [a.id, a.free.cpus]));
    expect(free).toEqual(
      new Map([
        ["agent-0", 1],
        ["agent-1", 4],
      ]),
    );
    expect(input?.running.filter((t) => t.app === "web").map((t) => [t.agentId, t.demand.cpus])).toEqual([
      ["agent-0", 3],
    ]);
  });
});
