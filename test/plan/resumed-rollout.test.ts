import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { buildPlan } from "../../src/plan/build.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const source = "master http://m:5050";

describe("a rollout resumed after its deploy was killed mid-surge", () => {
  it("counts the instance replaced beside its old task for the app's balance", () => {
    const v1 = appSpec({
      name: "hello",
      instances: 3,
      ports: [],
      resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 },
      constraints: [{ kind: "balance", attribute: "zone", hard: true }],
    });
    const v2 = { ...v1, env: { GREETING: { kind: "plain" as const, value: "hi" } } };
    // Three zones, one agent each, with room for two instances: instance 1's new task already runs beside its
    // old one in zone-1 (the killed deploy launched it there).
    const agents = [0, 1, 2].map((n) => agent(n, scalars(2, 1024)));
    const tasks = [
      ...[0, 1, 2].map((k) => titanTask("hello", k, appDigest(v1), k, v1.resources)),
      titanTask("hello", 1, appDigest(v2), 1, v2.resources),
    ];
    const plan = buildPlan({ apps: [v2], snapshot: snapshotOf(agents, tasks), source, seed: 7 });
    expect(plan.fits).toBe(true);
    const zoneOf = new Map(agents.map((a) => [a.id, a.attributes.zone]));
    const zones = [
      ...plan.apps[0]!.kept.map((k) => zoneOf.get(k.agentId)),
      ...plan.apps[0]!.placements.map((p) => zoneOf.get(p.agentId)),
    ].sort();
    expect(zones).toEqual(["zone-0", "zone-1", "zone-2"]);
  });
});
