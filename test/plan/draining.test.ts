import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { buildPlan } from "../../src/plan/build.js";
import { planToJson } from "../../src/plan/json.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const source = "snapshot test.json";

describe("plans that empty agents", () => {
  it("moves what runs on a draining agent elsewhere, with the same release, and places nothing new there", () => {
    const agents = [0, 1, 2].map((n) => agent(n, scalars(4, 8192)));
    const app = appSpec({ instances: 3, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const digest = appDigest(app);
    const running = [0, 1].map((i) => titanTask("api", i, digest, i, app.resources));
    const draining = new Set([agents[0]?.id ?? ""]);
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(agents, running), source, seed: 3, draining });
    const [api] = plan.apps;
    expect(api?.diff.keep.map((t) => t.instance)).toEqual([1]);
    expect(api?.diff.replace.map((t) => t.instance)).toEqual([0]);
    expect(api?.placements.map((p) => [p.instance, p.action])).toEqual([[0, "move"]]);
    expect(api?.unplaced.map((u) => u.instance)).toEqual([2]);
    expect(api?.placements.every((p) => !draining.has(p.agentId))).toBe(true);
    // unique: hostname with one of three agents draining leaves room for two instances only.
    expect(plan.fits).toBe(false);
    expect(JSON.stringify(planToJson(plan))).toContain('"action":"move"');
  });

  it("names the --shape text of each advised agent shape, which reads back as the same shape", () => {
    const agents = [agent(0, scalars(2, 4096), { zone: "a", instance_type: "m.large" })];
    const app = appSpec({ instances: 3, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(agents), source, seed: 1 });
    const add = (planToJson(plan).scale_out as { add: Array<{ count: number; shape: { spec: string } }> })
      .add;
    expect(add).toEqual([
      { count: 2, shape: expect.objectContaining({ spec: expect.stringMatching(/^2cpu,4Gi/) }) },
    ]);
    expect(add[0]?.shape.spec).toContain("zone=a");
    expect(add[0]?.shape.spec).toContain("instance_type=m.large");
  });
});
