import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { buildPlan } from "../../src/plan/build.js";
import { appsToDeploy } from "../../src/release/apply.js";
import type { Connection } from "../../src/release/connect.js";
import type { Release } from "../../src/state/types.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "../plan/builders.js";
import { testEnv } from "../support/env.js";

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
  const conn = { store: { releases: async () => [pending] } } as unknown as Connection;
  return { plan: { ...built, region }, conn };
}

/** A store whose newest release of api is release 4, stopping it, still pending. */
function pendingStop(stopped: AppSpec): Connection {
  const pending = {
    number: 4,
    outcome: "pending",
    manifestDigest: appDigest(stopped),
    spec: stopped,
  } as Release;
  return { store: { releases: async () => [pending] } } as unknown as Connection;
}

describe("resuming a release that did not finish", () => {
  it("says so, and names the region in a multi-region deploy's stream", async () => {
    const { plan, conn } = unfinished("us-east");
    const t = testEnv();
    const apps = await appsToDeploy(t.env, conn, plan, true);
    expect(apps.map((a) => a.spec.name)).toEqual(["api"]);
    expect(JSON.parse(t.out())).toEqual({ type: "resume", app: "api", release: 3, region: "us-east" });

    const text = testEnv();
    await appsToDeploy(text.env, conn, plan, false);
    expect(text.err()).toContain("release 3 of api in us-east did not finish (interrupted); resuming it");
  });

  it("supersedes one of another spec instead, and says so", async () => {
    const { plan, conn } = unfinished("us-east");
    const other = {
      number: 3,
      outcome: "pending",
      manifestDigest: "sha256:other",
      spec: plan.apps[0]?.spec,
    } as Release;
    const superseding = { ...conn, store: { releases: async () => [other] } } as unknown as Connection;
    const t = testEnv();
    expect((await appsToDeploy(t.env, superseding, plan, true)).map((a) => a.spec.name)).toEqual(["api"]);
    expect(JSON.parse(t.out())).toEqual({ type: "supersede", app: "api", release: 3, region: "us-east" });

    const text = testEnv();
    await appsToDeploy(text.env, superseding, plan, false);
    expect(text.err()).toContain(
      "release 3 of api in us-east did not finish (interrupted) and carries another spec; this deploy supersedes it",
    );
    expect(text.err()).not.toContain("resuming");
  });

  it("leaves the region out where the deploy has none", async () => {
    const { plan, conn } = unfinished(null);
    const t = testEnv();
    await appsToDeploy(t.env, conn, plan, true);
    expect(JSON.parse(t.out())).toEqual({ type: "resume", app: "api", release: 3 });
  });
});

describe("resuming a release that still has changes to make", () => {
  it("says so too: a stop interrupted before every kill went out resumes under its number", async () => {
    const stopped = appSpec({ instances: 0 });
    const running = [titanTask("api", 0, appDigest(stopped), 0, stopped.resources)];
    const plan = buildPlan({
      apps: [stopped],
      snapshot: snapshotOf([agent(0, scalars(8, 16384))], running),
      source: "t",
      resuming: new Set(["api"]),
    });
    expect(plan.apps[0]?.diff.stop.length).toBe(1);
    const conn = pendingStop(stopped);
    const t = testEnv();
    expect((await appsToDeploy(t.env, conn, plan, true)).map((a) => a.spec.name)).toEqual(["api"]);
    expect(JSON.parse(t.out())).toEqual({ type: "resume", app: "api", release: 4 });

    const text = testEnv();
    await appsToDeploy(text.env, conn, plan, false);
    expect(text.err()).toContain(
      "release 4 of api did not finish (interrupted); resuming it to finish its changes, wait for its instances to end",
    );
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

  it("says it waits for the instances to end", async () => {
    const plan = buildPlan({ ...input, resuming: new Set(["api"]) });
    const conn = pendingStop(stopped);
    const t = testEnv();
    await appsToDeploy(t.env, conn, plan, false);
    expect(t.err()).toContain("resuming it to wait for its instances to end and record the outcome");
  });
});
