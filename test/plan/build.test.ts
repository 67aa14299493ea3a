import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/errors.js";
import { appDigest } from "../../src/cluster/digest.js";
import { buildPlan, SCALE_IN_AUTO_AGENTS } from "../../src/plan/build.js";
import { planToJson } from "../../src/plan/json.js";
import { renderPlan } from "../../src/plan/render.js";
import { rolloutSteps } from "../../src/plan/rollout.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const roomy = () => [0, 1, 2, 3].map((n) => agent(n, scalars(8, 16384)));
const source = "snapshot test.json";

describe("buildPlan", () => {
  it("places every instance of a new app, on distinct hosts when the app asks for it", () => {
    const app = appSpec({ instances: 3, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(roomy()), source, seed: 7 });
    expect(plan.fits).toBe(true);
    expect(plan.changes).toBe(true);
    const [api] = plan.apps;
    expect(api?.diff.launch).toEqual([0, 1, 2]);
    expect(api?.placements.map((p) => p.instance)).toEqual([0, 1, 2]);
    expect(new Set(api?.placements.map((p) => p.agentId)).size).toBe(3);
    for (const p of api?.placements ?? []) {
      expect(p.action).toBe("launch");
      expect(p.dynamicPorts).toEqual(["http"]);
      expect(p.attributes.zone).toMatch(/^zone-/);
    }
    expect(plan.utilisation.after.cpus.used).toBe(plan.utilisation.before.cpus.used + 3);
    expect(plan.seed).toBe(7);
  });

  it("has no changes when the cluster already runs the manifest", () => {
    const app = appSpec({ instances: 2 });
    const digest = appDigest(app);
    const running = [
      titanTask("api", 0, digest, 0, app.resources),
      titanTask("api", 1, digest, 1, app.resources),
    ];
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(roomy(), running), source });
    expect(plan.changes).toBe(false);
    expect(plan.fits).toBe(true);
    expect(plan.apps[0]?.placements).toEqual([]);
    expect(plan.apps[0]?.rollout.steps).toEqual([]);
    expect(plan.apps[0]?.diff.keep.map((t) => t.instance)).toEqual([0, 1]);
  });

  it("replaces every instance after an image change and checks the rollout", () => {
    const app = appSpec({ instances: 2 });
    const old = [
      titanTask("api", 0, "sha256:old", 0, app.resources),
      titanTask("api", 1, "sha256:old", 1, app.resources),
    ];
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(roomy(), old), source });
    const [api] = plan.apps;
    expect(api?.diff.replace.map((t) => t.instance)).toEqual([0, 1]);
    expect(api?.placements.map((p) => p.action)).toEqual(["replace", "replace"]);
    expect(api?.rollout).toMatchObject({ maxSurge: 1, maxUnavailable: 0, fits: true, firstFailure: null });
    expect(api?.rollout.steps.map((s) => [s.kind, s.launch, s.stop, s.fits])).toEqual([
      ["replace", [0], [0], true],
      ["replace", [1], [1], true],
    ]);
    // Each step carries where its new task lands: the placement the deploy carries out.
    const landing = new Map(api?.placements.map((p) => [p.instance, p.hostname]));
    expect(api?.rollout.steps.map((s) => s.placements.map((p) => [p.instance, p.hostname]))).toEqual([
      [[0, landing.get(0)]],
      [[1, landing.get(1)]],
    ]);
    expect(plan.fits).toBe(true);
  });

  it("places each step on room free at that step, not on room the rollout frees later", () => {
    // agent-0 is full of old instances: packed, the end state would put new ones there, but while the first
    // step runs they still hold it, so its new instance must land on agent-1.
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const full = agent(0, scalars(2, 4096));
    const spare = agent(1, scalars(1, 4096));
    const old = [
      titanTask("api", 0, "sha256:old", 0, app.resources),
      titanTask("api", 1, "sha256:old", 0, app.resources),
    ];
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf([full, spare], old), source, seed: 1 });
    const [api] = plan.apps;
    expect(plan.fits).toBe(true);
    const steps = api?.rollout.steps.map((s) => s.placements) ?? [];
    expect(steps[0]?.map((p) => [p.instance, p.agentId])).toEqual([[0, "agent-1"]]);
    // The plan's placements are the steps' placements: what it shows is what the deploy does.
    const byInstance = new Map(api?.placements.map((p) => [p.instance, p.agentId]));
    for (const p of steps.flat()) expect(byInstance.get(p.instance)).toBe(p.agentId);
  });

  it("fails the rollout when the end state fits but a surge step does not", () => {
    // One agent of 2 cpus, full with two old 1-cpu instances: the new image fits once the old ones are gone,
    // but with max_surge 1 and max_unavailable 0 the first new instance must start while both old ones still run.
    const app = appSpec({ instances: 2, resources: scalars(1, 256) });
    const host = agent(0, scalars(2, 4096));
    const old = [
      titanTask("api", 0, "sha256:old", 0, app.resources),
      titanTask("api", 1, "sha256:old", 0, app.resources),
    ];
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf([host], old), source, seed: 1 });
    const [api] = plan.apps;
    expect(api?.unplaced).toEqual([]);
    expect(api?.placements).toHaveLength(2);
    expect(api?.rollout.fits).toBe(false);
    expect(api?.rollout.firstFailure?.step).toBe(1);
    expect(api?.rollout.firstFailure?.unplaced.map((u) => u.instance)).toEqual([0]);
    expect(api?.rollout.firstFailure?.unplaced[0]?.reasons.length).toBeGreaterThan(0);
    expect(api?.rollout.steps.map((s) => s.fits)).toEqual([false, null]);
    expect(plan.fits).toBe(false);
    expect(plan.scaleIn).toBeNull();
    expect(plan.scaleOut).not.toBeNull();

    const unavailable = appSpec({
      instances: 2,
      resources: scalars(1, 256),
      update: {
        ...app.update,
        maxSurge: { kind: "count", value: 0 },
        maxUnavailable: { kind: "count", value: 1 },
      },
    });
    const relaxed = buildPlan({ apps: [unavailable], snapshot: snapshotOf([host], old), source, seed: 1 });
    expect(relaxed.fits).toBe(true);
    expect(relaxed.apps[0]?.rollout.steps.every((s) => s.fits === true)).toBe(true);
  });

  it("reports what does not fit with reasons, and advice that adds capacity", () => {
    const app = appSpec({ instances: 3, constraints: [{ kind: "unique", attribute: "hostname" }] });
    const two = [agent(0, scalars(8, 16384)), agent(1, scalars(8, 16384))];
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(two), source, seed: 3 });
    expect(plan.fits).toBe(false);
    const [api] = plan.apps;
    expect(api?.placements).toHaveLength(2);
    expect(api?.unplaced).toHaveLength(1);
    expect(api?.unplaced[0]?.reasons.length).toBeGreaterThan(0);
    expect(plan.scaleOut?.add.reduce((n, a) => n + a.count, 0)).toBeGreaterThanOrEqual(1);
  });

  it("stops instances beyond the wanted count first, freeing their resources", () => {
    const app = appSpec({ instances: 1 });
    const digest = appDigest(app);
    const running = [0, 1, 2].map((i) => titanTask("api", i, digest, i, app.resources));
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(roomy(), running), source });
    expect(plan.apps[0]?.diff.stop.map((t) => t.instance)).toEqual([1, 2]);
    expect(plan.apps[0]?.rollout.steps.map((s) => [s.kind, s.stop])).toEqual([["stop", [1, 2]]]);
    expect(plan.utilisation.after.cpus.used).toBe(plan.utilisation.before.cpus.used - 2);
  });

  it("plans the region's share of an app that names regions", () => {
    const app = appSpec({ instances: 6, regions: { "us-east": 4, "eu-west": 2 } });
    expect(() => buildPlan({ apps: [app], snapshot: snapshotOf(roomy()), source })).toThrow(UsageError);
    expect(() => buildPlan({ apps: [app], snapshot: snapshotOf(roomy()), source })).toThrow(
      /api spans several regions \(eu-west, us-east\)/,
    );
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(roomy()), source, region: "eu-west" });
    expect(plan.region).toBe("eu-west");
    expect(plan.apps[0]?.diff.desired).toBe(2);
    expect(plan.apps[0]?.placements.every((p) => p.region === "eu-west")).toBe(true);
  });

  it("simulates apps one after another and leaves those after a failing rollout unchecked", () => {
    const first = appSpec({ name: "api", instances: 2, resources: scalars(1, 256) });
    const second = appSpec({ name: "web", instances: 1, resources: scalars(0.5, 128) });
    const host = agent(0, scalars(3, 4096));
    const old = [
      titanTask("api", 0, "sha256:old", 0, first.resources),
      titanTask("api", 1, "sha256:old", 0, first.resources),
    ];
    // api's first surge step needs 1 more cpu while its old tasks hold 2 of 3; the new web task takes the third.
    const plan = buildPlan({ apps: [second, first], snapshot: snapshotOf([host], old), source, seed: 5 });
    expect(plan.apps.map((a) => [a.diff.app, a.rollout.fits])).toEqual([
      ["web", true],
      ["api", false],
    ]);
    const reversed = buildPlan({ apps: [first, second], snapshot: snapshotOf([host], old), source, seed: 5 });
    expect(reversed.apps.map((a) => [a.diff.app, a.rollout.fits])).toEqual([
      ["api", true],
      ["web", true],
    ]);
  });

  it("reports the rollouts after the first failing one as not checked", () => {
    const first = appSpec({ name: "api", instances: 2, resources: scalars(1, 256) });
    const second = appSpec({ name: "web", instances: 1, resources: scalars(0.5, 128) });
    const host = agent(0, scalars(2, 4096));
    const old = [
      titanTask("api", 0, "sha256:old", 0, first.resources),
      titanTask("api", 1, "sha256:old", 0, first.resources),
    ];
    const plan = buildPlan({ apps: [first, second], snapshot: snapshotOf([host], old), source, seed: 5 });
    expect(plan.apps.map((a) => [a.diff.app, a.rollout.fits, a.rollout.steps.map((s) => s.fits)])).toEqual([
      ["api", false, [false, null]],
      ["web", null, [null]],
    ]);
    expect(plan.fits).toBe(false);
  });

  it("leaves out apps that do not run in the region, and names titan apps the manifests do not mention", () => {
    const euOnly = appSpec({ name: "reports", instances: 1, regions: { "eu-west": 1 } });
    const api = appSpec({ instances: 1, regions: { "us-east": 1 } });
    const stray = titanTask("legacy-batch", 0, "sha256:x", 1, scalars(1, 128));
    const plan = buildPlan({
      apps: [euOnly, api],
      snapshot: snapshotOf(roomy(), [stray]),
      source,
      region: "us-east",
    });
    expect(plan.apps.map((a) => a.diff.app)).toEqual(["api"]);
    expect(plan.otherApps).toEqual(["legacy-batch"]);
  });

  it("is deterministic, and its fingerprint follows manifests, cluster and seed", () => {
    const app = appSpec({ instances: 3 });
    const snapshot = snapshotOf(roomy());
    const a = buildPlan({ apps: [app], snapshot, source });
    const b = buildPlan({ apps: [app], snapshot: structuredClone(snapshot), source });
    expect(b).toEqual(a);
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(buildPlan({ apps: [app], snapshot, source, seed: a.seed + 1 }).fingerprint).not.toBe(
      a.fingerprint,
    );
    expect(buildPlan({ apps: [appSpec({ instances: 4 })], snapshot, source }).fingerprint).not.toBe(
      a.fingerprint,
    );
    const busier = snapshotOf([agent(0, scalars(4, 16384)), ...roomy().slice(1)]);
    expect(buildPlan({ apps: [app], snapshot: busier, source }).fingerprint).not.toBe(a.fingerprint);
  });

  it("has a fingerprint that follows everything else the plan shows: app order, task user, quota", () => {
    const api = appSpec({ name: "api", instances: 2 });
    const web = appSpec({ name: "web", instances: 2 });
    const snapshot = snapshotOf(roomy());
    const base = buildPlan({ apps: [api, web], snapshot, source });
    // The deploy carries the apps out in manifest order: another order is another rollout.
    const swapped = buildPlan({ apps: [web, api], snapshot, source });
    expect(swapped.fingerprint).not.toBe(base.fingerprint);
    // The seed (and so every placement) stays what the same manifests and cluster give.
    expect(swapped.seed).toBe(base.seed);
    expect(buildPlan({ apps: [api, web], snapshot, source, taskUser: "daemon" }).fingerprint).not.toBe(
      base.fingerprint,
    );
    const limited = {
      ...snapshot,
      quota: { role: "*", limits: { cpus: 1 }, consumed: scalars(0, 0), reservedFree: {}, reservedUse: {} },
    };
    expect(buildPlan({ apps: [api, web], snapshot: limited, source }).fingerprint).not.toBe(base.fingerprint);
    // An app kept in the plan only to finish an unfinished stop: test/deploy/resume.test.ts.
  });

  it("names the agents' MOUNT and PATH disks when disk is what an app lacks, and only then", () => {
    const agents = [0, 1].map((n) => agent(n, scalars(8, 16384, 100)));
    const snapshot = { ...snapshotOf(agents), setAsideDisk: { agents: 2, mb: 200_000 } };
    const diskHungry = appSpec({ instances: 1, resources: { cpus: 1, mem: 512, disk: 1024, gpus: 0 } });
    const noted = buildPlan({ apps: [diskHungry], snapshot, source });
    expect(noted.fits).toBe(false);
    expect(noted.warnings).toEqual([
      "2 agents have 195.31 GiB in all on MOUNT or PATH disks and volumes, which the plan does not count: only a task that names such a disk may use it, and titan's tasks take plain disk",
    ]);
    const memHungry = appSpec({ instances: 1, resources: { cpus: 1, mem: 65536, disk: 10, gpus: 0 } });
    expect(buildPlan({ apps: [memHungry], snapshot, source }).warnings).toEqual([]);
    expect(buildPlan({ apps: [diskHungry], snapshot: snapshotOf(agents), source }).warnings).toEqual([]);
  });

  it("launches the instance of a task cut off with its agent and names the task, as the deploy does", () => {
    const app = appSpec({ instances: 3 });
    const digest = appDigest(app);
    // The agent the master marked unreachable is no longer among its agents: the task shows on its raw id.
    const cutOff = {
      ...titanTask("api", 2, digest, 9, app.resources),
      agentId: "S-gone",
      hostname: "S-gone",
      state: "TASK_UNREACHABLE" as const,
      since: Date.UTC(2026, 11, 6, 7, 10, 30),
    };
    const running = [0, 1].map((i) => titanTask("api", i, digest, i, app.resources));
    const plan = buildPlan({
      apps: [app],
      snapshot: snapshotOf(roomy(), [...running, cutOff]),
      source,
      seed: 3,
    });
    const [api] = plan.apps;
    expect(api?.diff.launch).toEqual([2]);
    expect(api?.kept.map((k) => k.instance)).toEqual([0, 1]);
    expect(api?.placements.map((p) => [p.instance, p.action])).toEqual([[2, "launch"]]);
    expect(api?.rollout.steps.map((s) => [s.kind, s.launch, s.stop])).toEqual([["launch", [2], []]]);
    const text = renderPlan(plan, new Chalk({ level: 0 })).join("\n");
    expect(text).toContain("+1 launch  ~0 replace  -0 stop  =2 keep");
    expect(text).toContain(
      "unreachable api[2] on S-gone since 2026-12-06 07:10 UTC: its agent is out of contact; it may still run but stands for no instance, and is stopped as a duplicate if it comes back",
    );
    expect(text).not.toMatch(/api\[2\]\s+= keep/);
    expect(planToJson(plan).apps).toEqual([
      expect.objectContaining({ launch: [2], keep: [0, 1], unreachable: [2] }),
    ]);

    // Once its replacement runs, the same manifest changes nothing.
    const replaced = titanTask("api", 2, digest, 2, app.resources);
    const again = buildPlan({
      apps: [app],
      snapshot: snapshotOf(roomy(), [...running, cutOff, replaced]),
      source,
    });
    expect(again.changes).toBe(false);
    expect(again.apps[0]?.kept.map((k) => [k.instance, k.hostname])).toEqual([
      [0, "host-0.example.com"],
      [1, "host-1.example.com"],
      [2, "host-2.example.com"],
    ]);
  });
});

describe("rolloutSteps", () => {
  it("batches replacements by max_surge + max_unavailable, stopping the unavailable ones first", () => {
    const old = [0, 1, 2, 3, 4].map((i) => titanTask("api", i, "sha256:old", i, scalars(1, 1)));
    const diff = {
      app: "api",
      region: null,
      desired: 5,
      digest: "sha256:new",
      launch: [],
      keep: [],
      replace: old,
      stop: [],
      unreachable: [],
    };
    const steps = rolloutSteps(diff, { maxSurge: 2, maxUnavailable: 1 });
    expect(
      steps.map((s) => [s.launch, s.stopBefore.map((t) => t.instance), s.stopAfter.map((t) => t.instance)]),
    ).toEqual([
      [[0, 1, 2], [0], [1, 2]],
      [[3, 4], [3], [4]],
    ]);
  });
});

describe("scale-in advice", () => {
  // Half-empty agents: every plan that fits could drain some of them.
  const cluster = (n: number) => Array.from({ length: n }, (_, k) => agent(k, scalars(4, 8192)));
  const app = appSpec({ instances: 2 });

  it("comes with every plan that fits on a cluster of up to the threshold", () => {
    const plan = buildPlan({ apps: [app], snapshot: snapshotOf(cluster(SCALE_IN_AUTO_AGENTS)), source });
    expect(plan.scaleIn?.drain.length).toBeGreaterThan(0);
    expect(plan.scaleInSkipped).toBeNull();
    expect(planToJson(plan).scale_in_skipped).toBeNull();
  });

  it("leaves the instances of another app where they are unless its running spec is given", () => {
    const spread = appSpec({
      name: "spread",
      instances: 3,
      constraints: [{ kind: "balance", attribute: "zone", hard: false }],
    });
    const tasks = [0, 1, 2].map((k) => titanTask("spread", k, appDigest(spread), k, spread.resources));
    const snapshot = snapshotOf(cluster(4), tasks);
    const drained = (plan: ReturnType<typeof buildPlan>) => plan.scaleIn?.drain.map((d) => d.agentId);

    const blind = buildPlan({ apps: [app], snapshot, source });
    expect(drained(blind)).toEqual(["agent-3"]);
    expect(blind.scaleIn?.unknownConstraints).toEqual(["spread"]);
    expect(planToJson(blind).scale_in).toMatchObject({ unknown_constraints: ["spread"] });
    expect(renderPlan(blind, new Chalk({ level: 0 })).join("\n")).toContain(
      "The instances of spread stay where they are: no spec of theirs is known here.",
    );
    // Told its spec, the advice may move spread's instances, as long as they keep their three zones.
    const told = buildPlan({ apps: [app], snapshot, source, running: [spread] });
    expect(told.scaleIn?.unknownConstraints).toEqual([]);
    expect(drained(told)).toContain("agent-3");
    const unconstrained = { ...spread, constraints: [] };
    expect(
      drained(buildPlan({ apps: [app], snapshot, source, running: [unconstrained] }))?.length,
    ).toBeGreaterThan(1);
  });

  it("is skipped above it, and says so and how to ask for it", () => {
    const snapshot = snapshotOf(cluster(SCALE_IN_AUTO_AGENTS + 1));
    const plan = buildPlan({ apps: [app], snapshot, source });
    expect(plan.fits).toBe(true);
    expect(plan.scaleIn).toBeNull();
    expect(plan.scaleInSkipped).toEqual({
      agents: SCALE_IN_AUTO_AGENTS + 1,
      threshold: SCALE_IN_AUTO_AGENTS,
    });
    expect(planToJson(plan).scale_in_skipped).toEqual({
      reason: `scale-in advice skipped: the cluster has ${SCALE_IN_AUTO_AGENTS + 1} agents (computed by default up to ${SCALE_IN_AUTO_AGENTS})`,
      hint: "run titan plan with --scale-in to compute it",
    });
    const text = renderPlan(plan, new Chalk({ level: 0 })).join("\n");
    expect(text).toContain("Scale-in advice skipped");
    expect(text).toContain("--scale-in");

    const asked = buildPlan({ apps: [app], snapshot, source, scaleIn: true });
    expect(asked.scaleIn?.drain.length).toBeGreaterThan(0);
    expect(asked.scaleInSkipped).toBeNull();
  });
});
