import { describe, expect, it } from "vitest";
import { decideOffers } from "../../src/deploy/offer-plan.js";
import { stayingTasks } from "../../src/deploy/tracked-view.js";
import { startTracking } from "../../src/deploy/tracking.js";
import type { Release } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer, releaseOne, runningTask } from "../support/engine-fixtures.js";

/** web, 3 instances, one per host: release 2 (another spec) replaces release 1's tasks. */
const spec = appSpec({
  name: "web",
  image: undefined,
  instances: 3,
  ports: [],
  resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
  constraints: [{ kind: "unique", attribute: "hostname" }],
});
const previous = releaseOne(spec, "deployed").release;
const release: Release = { ...previous, number: 2, manifestDigest: "sha256:two", outcome: "pending" };
const old = ["a0", "a1", "a2"].map((agent, i) => runningTask(i, agent));

function tracked(leaving: string[] = []) {
  return startTracking({
    app: "web",
    desired: 3,
    releases: [previous, release],
    target: { spec, release, environment: {} },
    known: old,
    launchedBefore: [],
    leaving,
    now: 0,
  });
}

describe("the tasks that count for an app's constraints where its new instances are placed", () => {
  it("leave out, in a rollout, the old release's tasks it replaces: unique hostname fits an exactly full cluster", () => {
    const rollout = tracked();
    expect(stayingTasks(rollout, false)).toEqual([]);
    // Each host offers room for one more task: the replacement of instance 0 goes beside its old task.
    const decision = decideOffers({
      spec,
      seed: 1,
      offers: [agentOffer("o0", "a0", 1)],
      launches: [0],
      planned: new Map([[0, { agentId: "a0", hostname: "a0.example" }]]),
      running: stayingTasks(rollout, false),
    });
    expect(decision.placements.map((p) => p.placement.agentId)).toEqual(["a0"]);
  });

  it("keep, under a supervisor, every task but those on an agent being emptied", () => {
    expect(stayingTasks(tracked(), true).map((t) => t.agentId)).toEqual(["a0", "a1", "a2"]);
    expect(stayingTasks(tracked(["a1"]), true).map((t) => t.agentId)).toEqual(["a0", "a2"]);
  });
});
