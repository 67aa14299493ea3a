import { describe, expect, it } from "vitest";
import { pickRollbackTarget } from "../../src/commands/rollback/run.js";
import { autoRollbackTarget } from "../../src/deploy/releases.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { Release } from "../../src/state/types.js";

const spec = (version: string, instances = 3) =>
  ({ name: "web", instances, env: { V: version } }) as unknown as AppSpec;
const release = (number: number, outcome: Release["outcome"], version: string, instances = 3): Release => ({
  app: "web",
  number,
  manifestDigest: `sha256:${version}`,
  spec: spec(version, instances),
  createdAt: number,
  user: "me",
  outcome,
});

describe("the release titan rollback goes back to", () => {
  const v1 = release(1, "deployed", "v1");
  const v2 = release(2, "deployed", "v2");

  it("is the deployed release before the running one after a deploy that ended deployed or rolled back", () => {
    expect(pickRollbackTarget([v1, v2], v2, undefined)).toBe(v1);
    expect(pickRollbackTarget([v1, v2, release(3, "rolled_back", "v3")], v2, undefined)).toBe(v1);
    // A scale (same digest) is undone like any release.
    const scaled = release(3, "deployed", "v2", 5);
    expect(pickRollbackTarget([v1, v2, scaled], scaled, undefined)).toBe(v2);
  });

  it("is the running release when the newest failed or did not finish: that undoes it", () => {
    expect(pickRollbackTarget([v1, v2, release(3, "failed", "v3")], v2, undefined)).toBe(v2);
    expect(pickRollbackTarget([v1, v2, release(3, "pending", "v3")], v2, undefined)).toBe(v2);
    // With nothing deployed before it as well.
    expect(pickRollbackTarget([v1, release(2, "failed", "v2")], v1, undefined)).toBe(v1);
  });

  it("resumes an interrupted rollback: by the command its pending release recorded, else by its spec", () => {
    const rollingBack = release(3, "pending", "v1");
    expect(pickRollbackTarget([v1, v2, rollingBack], v2, undefined)).toBe(v1);
    const recorded = { ...rollingBack, command: "titan rollback web --context prod" };
    expect(pickRollbackTarget([v1, v2, recorded], v2, undefined)).toBe(v1);
    // A deploy of the older manifest, interrupted, is undone: back to the running release.
    const redeploy = { ...rollingBack, command: "titan deploy -f web.yaml" };
    expect(pickRollbackTarget([v1, v2, redeploy], v2, undefined)).toBe(v2);
  });

  it("is the release --to names, whatever the newest did", () => {
    expect(pickRollbackTarget([v1, v2, release(3, "failed", "v3")], v2, 1)).toBe(v1);
    expect(pickRollbackTarget([v1, v2], v2, 7)).toBeUndefined();
  });
});

describe("the release a failing release rolls back to on its own", () => {
  const v1 = release(1, "deployed", "v1");
  const v2 = release(2, "deployed", "v2");

  it("is the release that ran before it, a scale's older count included", () => {
    expect(autoRollbackTarget([v1, v2, release(3, "pending", "v3")], release(3, "pending", "v3"))).toBe(v2);
    const scaling = release(3, "pending", "v2", 6);
    expect(autoRollbackTarget([v1, v2, scaling], scaling)).toBe(v2);
    // A release that failed and rolled back runs no spec of its own: the one before it is still what ran.
    const failed = release(3, "rolled_back", "v3");
    const next = release(4, "pending", "v4");
    expect(autoRollbackTarget([v1, v2, failed, next], next)).toBe(v2);
  });

  it("is none when that release runs the same spec and count (a drain): never a spec further back", () => {
    const drain = release(3, "pending", "v2");
    expect(autoRollbackTarget([v1, v2, drain], drain)).toBeUndefined();
    expect(autoRollbackTarget([release(1, "pending", "v1")], release(1, "pending", "v1"))).toBeUndefined();
  });
});
