import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/build.js";
import { notFittingSummary } from "../../src/plan/not-fitting.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

describe("notFittingSummary", () => {
  it("counts the instances no agent can take, per app", () => {
    const web = appSpec({ name: "web", instances: 5, resources: scalars(1, 256) });
    const api = appSpec({ name: "api", instances: 1, resources: scalars(0.5, 64) });
    const plan = buildPlan({
      apps: [web, api],
      snapshot: snapshotOf([agent(0, scalars(2, 4096))]),
      source: "s",
      seed: 1,
    });
    expect(notFittingSummary([plan])).toBe(
      "the plan does not fit: 3 instances of web cannot be placed; 1 instance of api cannot be placed",
    );
  });

  it("names the rollout step that does not fit beside the old tasks", () => {
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const old = [0, 1].map((i) => titanTask("api", i, "sha256:old", 0, app.resources));
    const plan = buildPlan({
      apps: [app],
      snapshot: snapshotOf([agent(0, scalars(2, 4096))], old),
      source: "s",
      seed: 1,
    });
    expect(notFittingSummary([plan])).toBe(
      "the plan does not fit: rollout step 1 of api does not fit while the old tasks hold their resources",
    );
  });
});
