import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { buildPlan } from "../../src/plan/build.js";
import { planToJson } from "../../src/plan/json.js";
import { renderPlan } from "../../src/plan/render.js";
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

  it("says what a resumed drain does with an instance whose replacement already runs: stops the original only", () => {
    // An interrupted drain of agent-0: slow[0] moved (release 2), slow[1] runs on agent-0 (release 1) and its
    // replacement on agent-2 (release 2), slow[2] not moved yet. All of one spec.
    const agents = [0, 1, 2].map((n) => agent(n, scalars(4, 8192)));
    const app = appSpec({ name: "slow", instances: 3 });
    const digest = appDigest(app);
    const task = (instance: number, on: number, release: number) => ({
      ...titanTask("slow", instance, digest, on, app.resources),
      taskId: `slow.${release}.${instance}.1`,
      release,
    });
    const original = task(1, 0, 1);
    const replacement = task(1, 2, 2);
    for (const running of [
      [task(0, 1, 2), original, replacement, task(2, 0, 1)],
      [task(0, 1, 2), replacement, original, task(2, 0, 1)],
    ]) {
      const plan = buildPlan({
        apps: [app],
        snapshot: snapshotOf(agents, running),
        source,
        seed: 3,
        draining: new Set(["agent-0"]),
      });
      const [slow] = plan.apps;
      expect(slow?.diff.keep.map((t) => [t.instance, t.agentId])).toEqual([
        [0, "agent-1"],
        [1, "agent-2"],
      ]);
      expect(slow?.diff.stop).toEqual([original]);
      expect(slow?.diff.replace.map((t) => [t.instance, t.agentId])).toEqual([[2, "agent-0"]]);
      expect(slow?.placements.map((p) => [p.instance, p.action])).toEqual([[2, "move"]]);
      const text = renderPlan(plan, new Chalk({ level: 0 })).join("\n");
      expect(text).toContain("stop slow[1] on host-0.example.com");
      expect(text).not.toContain("move slow[1]");
      expect(text).toContain("Scheduler dry-run: the new instance fits");
    }
  });

  it("fingerprints an agent scheduled for maintenance: a plan made before it was is not the plan after", () => {
    // The agent kept out holds nothing and would have taken nothing: the placements are the same, the plan is not.
    const agents = [0, 1, 2].map((n) => agent(n, scalars(4, 8192)));
    const app = appSpec({ instances: 1 });
    const input = { apps: [app], snapshot: snapshotOf(agents, []), source, seed: 3 };
    const before = buildPlan(input);
    const used = new Set(before.apps.flatMap((a) => a.placements.map((p) => p.agentId)));
    const idle = agents.find((a) => !used.has(a.id))?.id ?? "";
    const after = buildPlan({ ...input, draining: new Set([idle]) });
    expect(planToJson(after).placements).toEqual(planToJson(before).placements);
    expect(after.fingerprint).not.toBe(before.fingerprint);
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
