import { describe, expect, it } from "vitest";
import { appDigest } from "../../src/cluster/digest.js";
import { pendingNotes } from "../../src/commands/plan/pending.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Release } from "../../src/state/types.js";
import { agent, appSpec, scalars, snapshotOf } from "./builders.js";

describe("what titan plan says of a release that did not finish", () => {
  const app = appSpec({ instances: 1 });
  const plan = buildPlan({
    apps: [app],
    snapshot: snapshotOf([agent(0, scalars(8, 16384))], []),
    source: "t",
  });
  const pending = (digest: string, command?: string, spec = app) =>
    new Map([["api", { number: 4, outcome: "pending", manifestDigest: digest, spec, command } as Release]]);

  it("a deploy resumes one of the manifest's spec", () => {
    const digest = plan.apps[0]?.diff.digest ?? "";
    expect(digest).toBe(appDigest(app));
    expect(pendingNotes(plan, pending(digest, "titan deploy -f api.yaml"))).toEqual([
      "release 4 of api did not finish (`titan deploy -f api.yaml`): titan deploy resumes it, waits for its gates and records the outcome",
    ]);
  });

  it("and supersedes one of another spec; apps with none are not named", () => {
    expect(pendingNotes(plan, pending("sha256:other"))).toEqual([
      "release 4 of api did not finish: titan deploy supersedes it with this manifest's spec",
    ]);
    expect(pendingNotes(plan, new Map())).toEqual([]);
  });

  it("supersedes one of the same digest but another count, as the deploy's release does", () => {
    const digest = plan.apps[0]?.diff.digest ?? "";
    expect(pendingNotes(plan, pending(digest, undefined, { ...app, instances: 5 }))).toEqual([
      "release 4 of api did not finish: titan deploy supersedes it with this manifest's spec",
    ]);
  });
});
