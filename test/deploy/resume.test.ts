import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { describeEvent } from "../../src/deploy/progress.js";
import { differsInCountOnly } from "../../src/deploy/releases.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { buildPlan } from "../../src/plan/build.js";
import { appsToDeploy } from "../../src/release/apply.js";
import type { Release, StateStore } from "../../src/state/types.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "../plan/builders.js";

/** A plan with nothing to change, whose app's last release is still pending (a deploy stopped after its launches). */
function unfinished(region: string | null) {
  const app = appSpec({ instances: 1 });
  const running = [titanTask("api", 0, appDigest(app), 0, app.resources)];
  const built = buildPlan({
    apps: [app],
    snapshot: snapshotOf([agent(0, scalars(8, 16384))], running),
    source: "t",
  });
  const pending = { number: 3, outcome: "pending", manifestDigest: appDigest(app), spec: app } as Release;
  const store = { releases: async () => [pending] } as unknown as StateStore;
  return { plan: { ...built, region }, store };
}

/** A store whose newest release of api is release 4, stopping it, still pending. */
function pendingStop(stopped: AppSpec): StateStore {
  const pending = {
    number: 4,
    outcome: "pending",
    manifestDigest: appDigest(stopped),
    spec: stopped,
  } as Release;
  return { releases: async () => [pending] } as unknown as StateStore;
}

describe("an app whose release did not finish", () => {
  it("is deployed though its plan changes nothing, with nothing said before the deploy holds its lock", async () => {
    const { plan, store } = unfinished("us-east");
    expect((await appsToDeploy(store, plan)).map((a) => a.spec.name)).toEqual(["api"]);
    const nothingPending = { releases: async () => [] } as unknown as StateStore;
    expect(await appsToDeploy(nothingPending, plan)).toEqual([]);
  });

  it("is resumed, or superseded, as the deploy says once it holds the lock", () => {
    expect(describeEvent({ type: "resume", app: "api", release: 3 })).toBe(
      "release 3 of api did not finish; resuming it under its number to finish it and record the outcome",
    );
    expect(describeEvent({ type: "supersede", app: "api", release: 3, by: 4, because: "spec" })).toBe(
      "release 3 of api did not finish and carries another spec; release 4 supersedes it",
    );
    expect(
      describeEvent({ type: "supersede", app: "api", release: 5, by: 6, because: "count", instances: 6 }),
    ).toBe("release 5 of api did not finish and asks for 6 instance(s); release 6 supersedes it");
  });

  it("carries another spec only when more than its count differs", () => {
    const app = appSpec({ instances: 2 });
    const release = (spec: AppSpec) =>
      ({ number: 5, outcome: "pending", manifestDigest: appDigest(spec), spec }) as Release;
    const six = appSpec({ instances: 6 });
    expect(differsInCountOnly(release(six), app, appDigest(app))).toBe(true);
    expect(differsInCountOnly(release(app), app, appDigest(app))).toBe(false);
    const other = appSpec({ instances: 6, command: ["node", "other.js"] });
    expect(differsInCountOnly(release(other), app, appDigest(app))).toBe(false);
    const regional = (counts: Record<string, number>) => appSpec({ instances: 3, regions: counts });
    const before = regional({ "us-east": 1, "eu-west": 2 });
    const after = regional({ "us-east": 3, "eu-west": 2 });
    expect(differsInCountOnly(release(before), after, appDigest(after))).toBe(true);
  });
});

describe("resuming a release that still has changes to make", () => {
  it("deploys it: a stop interrupted before every kill went out resumes under its number", async () => {
    const stopped = appSpec({ instances: 0 });
    const running = [titanTask("api", 0, appDigest(stopped), 0, stopped.resources)];
    const plan = buildPlan({
      apps: [stopped],
      snapshot: snapshotOf([agent(0, scalars(8, 16384))], running),
      source: "t",
      resuming: new Set(["api"]),
    });
    expect(plan.apps[0]?.diff.stop.length).toBe(1);
    expect((await appsToDeploy(pendingStop(stopped), plan)).map((a) => a.spec.name)).toEqual(["api"]);
  });
});

describe("a stop that did not finish", () => {
  const stopped = appSpec({ instances: 0 });
  const killing = [
    { ...titanTask("api", 0, appDigest(stopped), 0, stopped.resources), state: "TASK_KILLING" as const },
  ];
  const input = {
    apps: [stopped],
    snapshot: snapshotOf([agent(0, scalars(8, 16384))], killing),
    source: "t",
  };

  it("is left out of the plan when nothing resumes it, and kept when its release is pending", () => {
    expect(buildPlan(input).apps).toEqual([]);
    const kept = buildPlan({ ...input, resuming: new Set(["api"]) });
    expect(kept.apps.map((a) => [a.spec.name, a.diff.desired, a.diff.stop.length])).toEqual([["api", 0, 0]]);
    // The same seed; the fingerprint says the plan resumes it, which a deploy of it then does.
    expect(kept.seed).toBe(buildPlan(input).seed);
    expect(kept.fingerprint).not.toBe(buildPlan(input).fingerprint);
  });

  it("has the same fingerprint whether or not an app that runs instances is named as resumed", () => {
    // `titan plan` names every app with a pending release; a deploy only those an unfinished stop keeps. Only an
    // app kept in the plan for it alone makes a difference to what the deploy does.
    const running = appSpec({ name: "web", instances: 1 });
    const apps = { ...input, apps: [stopped, running] };
    expect(buildPlan({ ...apps, resuming: new Set(["api", "web"]) }).fingerprint).toBe(
      buildPlan({ ...apps, resuming: new Set(["api"]) }).fingerprint,
    );
  });
});
