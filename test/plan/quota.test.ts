import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import type { RoleQuota } from "../../src/cluster/types.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { buildPlan } from "../../src/plan/build.js";
import { planToJson } from "../../src/plan/json.js";
import { renderPlan } from "../../src/plan/render.js";
import { agent, appSpec, scalars, snapshotOf, titanTask } from "./builders.js";

const source = "master http://m:5050";
const one = [agent(0, scalars(16, 65536))];
const web = (overrides: Partial<AppSpec> = {}) =>
  appSpec({ name: "web", instances: 3, resources: { cpus: 1, mem: 128, disk: 0, gpus: 0 }, ...overrides });
const quota = (limits: RoleQuota["limits"], consumed: number, more: Partial<RoleQuota> = {}): RoleQuota => ({
  role: "web",
  limits,
  consumed: scalars(consumed, 0),
  reservedFree: {},
  reservedUse: {},
  ...more,
});

function plan(apps: AppSpec[], q: RoleQuota, tasks = snapshotOf(one).titanTasks.web ?? []) {
  return buildPlan({ apps, snapshot: { ...snapshotOf(one, [...tasks]), quota: q }, source, seed: 1 });
}

describe("the quota limit of titan's role", () => {
  it("fits a deploy that stays within the limit, and names the first step that would pass it", () => {
    expect(plan([web()], quota({ cpus: 3 }, 0)).fits).toBe(true);
    const over = plan([web()], quota({ cpus: 3 }, 1));
    expect(over.fits).toBe(false);
    expect(over.quota?.shortfall).toEqual({
      resource: "cpus",
      bound: "limit",
      app: "web",
      step: 1,
      more: 3,
      allowed: 2,
    });
    expect(over.scaleOut).toBeNull();
    expect(planToJson(over).quota).toEqual({
      role: "web",
      limits: { cpus: 3 },
      consumed: scalars(1, 0),
      headroom: null,
      shortfall: { resource: "cpus", bound: "limit", app: "web", step: 1, more: 3, allowed: 2 },
    });
    const text = renderPlan(over, new Chalk({ level: 0 })).join("\n");
    expect(text).toContain(
      "rollout: 1 step (max_surge 1, max_unavailable 0) — step 1 passes the role's quota limit",
    );
    expect(text).toContain(
      "role web's quota limit of 3 cpus: app web's rollout step 1 would bring the role to 4 cpus (1 cpu in use now), and the master offers the role no more",
    );
    expect(text).toContain("Quota: role web uses 1 cpu of its 3 cpus limit\n");
    // A first launch stops nothing: replacing in place cannot help, so it is not offered.
    expect(over.quota?.inPlace).toBeNull();
    expect(renderPlan(over, new Chalk({ level: 0 }))).toContain(
      "      fix: raise the role's limit (UPDATE_QUOTA) or lower the requests",
    );
  });

  it("ignores resources without a limit, and those a step does not ask for", () => {
    expect(plan([web()], quota({ mem: 1_000_000 }, 50)).fits).toBe(true);
    expect(plan([web()], quota({ gpus: 0 }, 0)).fits).toBe(true);
  });

  it("counts a surge, and not a replacement that stops the old task first", () => {
    const old = [0, 1].map((i) => titanTask("web", i, "sha256:old", 0, scalars(1, 128)));
    const twoOf = (update: Partial<AppSpec["update"]>) =>
      web({ instances: 2, update: { ...web().update, ...update } });
    const surge = plan([twoOf({})], quota({ cpus: 2 }, 2), old);
    expect(surge.quota?.shortfall).toMatchObject({ step: 1, more: 1, allowed: 0 });
    // Here replacing in place fits, and max_surge 0 beside max_unavailable 0 is not a valid manifest.
    expect(renderPlan(surge, new Chalk({ level: 0 }))).toContain(
      "      fix: raise the role's limit (UPDATE_QUOTA), lower the requests, or replace in place (update.max_surge: 0, max_unavailable: 1)",
    );
    const inPlace = twoOf({
      maxSurge: { kind: "count", value: 0 },
      maxUnavailable: { kind: "count", value: 1 },
    });
    expect(plan([inPlace], quota({ cpus: 2 }, 2), old).fits).toBe(true);
  });

  it("offers replacing in place only where that brings the rollout within the limit", () => {
    const old = [0, 1, 2, 3].map((i) => titanTask("web", i, "sha256:old", 0, scalars(1, 128)));
    const fourOf = (cpus: number) =>
      web({
        instances: 4,
        resources: { cpus, mem: 128, disk: 0, gpus: 0 },
        update: { ...web().update, maxUnavailable: { kind: "count", value: 1 } },
      });
    // Batches of two: one old task stops first, one after its replacement starts: one cpu over the limit.
    const surge = plan([fourOf(1)], quota({ cpus: 4 }, 4), old);
    expect(surge.quota?.shortfall).toMatchObject({ step: 1, more: 1, allowed: 0 });
    expect(surge.quota?.inPlace).toEqual({});
    expect(renderPlan(surge, new Chalk({ level: 0 }))).toContain(
      "      fix: raise the role's limit (UPDATE_QUOTA), lower the requests, or replace in place (update.max_surge: 0)",
    );
    // New tasks twice the size pass the limit however they replace the old ones.
    const bigger = plan([fourOf(2)], quota({ cpus: 4 }, 4), old);
    expect(bigger.quota?.shortfall).toMatchObject({ step: 1 });
    expect(bigger.quota?.inPlace).toBeNull();
    expect(renderPlan(bigger, new Chalk({ level: 0 })).join("\n")).not.toContain("replace in place");
  });

  it("does not offer replacing in place for a move off the role's own reservation: stopping it frees no quota", () => {
    const spec = web({ instances: 1 });
    const agents = [agent(0, scalars(16, 65536)), agent(1, scalars(16, 65536))];
    const moving = titanTask("web", 0, appDigest(spec), 0, scalars(1, 128));
    // web's 1-cpu reservation on agent-0 is all the old task's, and another cpu of web's is unreserved: 2 of 2.
    const onReservation = quota({ cpus: 2 }, 2, { reservedUse: { [moving.taskId]: scalars(1, 128) } });
    const drained = buildPlan({
      apps: [spec],
      snapshot: { ...snapshotOf(agents, [moving]), quota: onReservation },
      source,
      seed: 1,
      draining: new Set(["agent-0"]),
    });
    expect(drained.quota?.shortfall).toMatchObject({ app: "web", step: 1, more: 1, allowed: 0 });
    expect(drained.quota?.inPlace).toBeNull();
    expect(renderPlan(drained, new Chalk({ level: 0 }))).toContain(
      "      fix: raise the role's limit (UPDATE_QUOTA) or lower the requests",
    );
  });

  it("lets an app that shrinks first make room for the next one", () => {
    const spec = web({ name: "batch", instances: 1 });
    const batch = [0, 1, 2].map((i) => titanTask("batch", i, appDigest(spec), 0, scalars(1, 128)));
    const apps = [spec, web({ instances: 2 })];
    expect(plan(apps, quota({ cpus: 3 }, 3), batch).fits).toBe(true);
    expect(plan([...apps].reverse(), quota({ cpus: 3 }, 3), batch).quota?.shortfall).toMatchObject({
      app: "web",
    });
  });

  it("takes the role's own reservations first: they are consumed quota already", () => {
    const reserved = { reservedFree: { "agent-0": scalars(2, 256) } };
    expect(plan([web()], quota({ cpus: 2 }, 2, reserved)).quota?.shortfall).toMatchObject({
      more: 1,
      allowed: 0,
    });
    expect(plan([web({ instances: 2 })], quota({ cpus: 2 }, 2, reserved)).fits).toBe(true);
    // A task that ran on the reservation gives it back when it stops, and the quota nothing.
    const old = titanTask("web", 0, "sha256:old", 0, scalars(1, 128));
    const inPlace = web({
      instances: 1,
      update: {
        ...web().update,
        maxSurge: { kind: "count", value: 0 },
        maxUnavailable: { kind: "count", value: 1 },
      },
    });
    const onReservation = { reservedUse: { [old.taskId]: scalars(1, 128) } };
    expect(plan([inPlace], quota({ cpus: 2 }, 2, onReservation), [old]).fits).toBe(true);
  });

  it("leaves room for the guarantees other roles lack, but lets the role take its own", () => {
    // 5 cpus unallocated; db is guaranteed 4 it does not use yet, so the master offers web at most 1 more.
    const headroom = (ownUnmet: number) => ({
      headroom: { available: scalars(5, 0), heldBack: scalars(4, 0), ownUnmet: scalars(ownUnmet, 0) },
    });
    const held = plan([web({ instances: 2 })], quota({}, 0, headroom(0)));
    expect(held.fits).toBe(false);
    expect(held.quota?.shortfall).toEqual({
      resource: "cpus",
      bound: "guarantees",
      app: "web",
      step: 1,
      more: 2,
      allowed: 1,
    });
    expect(renderPlan(held, new Chalk({ level: 0 })).join("\n")).toContain(
      "other roles' quota guarantees hold back 4 cpus of the 5 cpus unallocated: app web's rollout step 1 would take 2 cpus more, and the master offers role web no more than 1 cpu",
    );
    expect(renderPlan(held, new Chalk({ level: 0 }))).toContain(
      "Quota: other roles' guarantees hold back 4 cpus of the 5 cpus unallocated",
    );
    // A first launch: replacing in place is no way out.
    expect(renderPlan(held, new Chalk({ level: 0 }))).toContain(
      "      fix: lower the requests, add agents, or have those guarantees lowered (UPDATE_QUOTA)",
    );
    // More agents add to the unallocated headroom: one of the cluster's 16-cpu shape covers the missing cpu.
    expect(held.scaleOut?.add.map((a) => [a.shape.total.cpus, a.count])).toEqual([[16, 1]]);
    expect(renderPlan(held, new Chalk({ level: 0 })).join("\n")).toMatch(/To place everything: add 1 × /);
    // Not when the role's own limit is passed too: agents do not lift that.
    expect(plan([web({ instances: 2 })], quota({ cpus: 1.5 }, 0, headroom(0))).scaleOut).toBeNull();
    expect(plan([web({ instances: 1 })], quota({}, 0, headroom(0))).fits).toBe(true);
    // web's own unmet guarantee is its to take even where the guarantees overcommit what is unallocated (stage 1).
    expect(plan([web({ instances: 2 })], quota({}, 0, headroom(2))).fits).toBe(true);
    // Its own limit can be the tighter bound.
    expect(plan([web({ instances: 1 })], quota({ cpus: 0.5 }, 0, headroom(0))).quota?.shortfall?.bound).toBe(
      "limit",
    );
  });
});
