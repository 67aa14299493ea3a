import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../src/deploy/events.js";
import { decideOffers, type PlannedAgent } from "../../src/deploy/offer-plan.js";
import { type AppTarget, Tracking } from "../../src/deploy/tracking.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { Offer, TaskStatus } from "../../src/mesos/types/mesos.js";
import type { Release } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";

function spec(overrides: Partial<AppSpec> = {}): AppSpec {
  return appSpec({
    name: "web",
    image: undefined,
    instances: 2,
    resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
    restart: { backoffMs: 1000, factor: 2, maxDelayMs: 8000 },
    ...overrides,
  });
}

const release: Release = {
  app: "web",
  number: 1,
  manifestDigest: "sha256:one",
  spec: spec(),
  createdAt: 0,
  user: "tester",
  outcome: "pending",
};
const target: AppTarget = { spec: release.spec, release, environment: {} };

/** Tracking driven by hand: a clock the test moves, and what it reports. */
function tracking() {
  let now = 1000;
  const events: DeployEvent[] = [];
  const ended: number[] = [];
  const t = new Tracking(
    {
      app: "web",
      desired: 2,
      releases: [release],
      now: () => now,
      emit: (e) => events.push(e),
      warn: () => undefined,
      instanceEnded: (instance) => ended.push(instance),
    },
    target,
  );
  return { t, events, ended, advance: (ms: number) => (now += ms), now: () => now };
}

function status(taskId: string, state: TaskStatus["state"], extra: Partial<TaskStatus> = {}): TaskStatus {
  return {
    task_id: { value: taskId },
    state,
    agent_id: { value: "a1" },
    source: "SOURCE_EXECUTOR",
    ...extra,
  };
}

function launch(t: Tracking, instance: number, since: number): void {
  t.launched({
    taskId: `web.1.${instance}.1`,
    instance,
    release: 1,
    incarnation: 1,
    digest: "sha256:one",
    state: "LAUNCHING",
    agentId: "a1",
    host: "agent-1",
    ports: [],
    since,
    killSent: false,
    launchedHere: true,
  });
}

describe("tracking, driven by a recorded sequence of status updates", () => {
  it("a failover's reconciliation RUNNING does not hide the agent's older TASK_FAILED: relaunch after backoff", () => {
    const { t, events, ended, advance, now } = tracking();
    launch(t, 0, now());
    launch(t, 1, now());
    t.onStatus(status("web.1.0.1", "TASK_RUNNING", { timestamp: 10, uuid: "u1" }));
    t.onStatus(status("web.1.1.1", "TASK_RUNNING", { timestamp: 10, uuid: "u2" }));
    advance(100);
    t.noteProgress();
    t.onStatus(
      status("web.1.0.1", "TASK_RUNNING", {
        source: "SOURCE_MASTER",
        reason: "REASON_RECONCILIATION",
        timestamp: 99,
      }),
    );
    t.onStatus(status("web.1.0.1", "TASK_FAILED", { timestamp: 50, uuid: "u3", message: "exit 1" }));
    expect(events.map((e) => e.type)).toEqual(["running", "running", "failed"]);
    expect(ended).toEqual([0]);
    expect(t.tasks.has("web.1.0.1")).toBe(false);
    // Backoff first, then the instance is launched again; the survivor keeps counting.
    expect(t.decide().actions).toEqual([]);
    advance(1000);
    expect(t.decide().actions).toEqual([{ kind: "launch", instance: 0 }]);
    expect(t.nextIncarnation(1, 0)).toBe(2);
  });

  it("an unanswered task holds its instance and counts against healthy_deadline", () => {
    const { t, advance } = tracking();
    t.adoptKnown([], ["web.1.0.1"]);
    t.unanswered.add("web.1.0.1");
    expect(t.decide().actions).toEqual([{ kind: "launch", instance: 1 }]);
    advance(t.target.spec.update.healthyDeadlineMs + 1);
    expect(t.deadlineFailure()).toMatch(
      /instance 0 \(web\.1\.0\.1\) was not healthy within healthy_deadline/,
    );
  });
});

function offer(id: string, agent: string, cpus: number): Offer {
  return {
    id: { value: id },
    framework_id: { value: "f" },
    agent_id: { value: agent },
    hostname: `${agent}.local`,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: cpus } },
      { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
      { name: "disk", type: "SCALAR", scalar: { value: 1024 } },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31010 }] } },
    ],
  };
}

describe("an offer round", () => {
  const planned = new Map<number, PlannedAgent>([
    [0, { agentId: "a2", hostname: "a2.local" }],
    [1, { agentId: "a3", hostname: "a3.local" }],
  ]);

  it("puts planned instances on their agent's offer, lets the others wait, and says which offers the plan needs", () => {
    const decision = decideOffers({
      spec: spec(),
      seed: 1,
      offers: [offer("o1", "a1", 4), offer("o2", "a2", 4)],
      launches: [0, 1],
      planned,
      running: [],
    });
    expect(decision.placements.map((p) => [p.placement.instance, p.offer.id.value])).toEqual([[0, "o2"]]);
    expect(decision.waiting).toEqual([1]);
    expect(decision.unused.map((u) => [u.offer.id.value, u.neededByPlan])).toEqual([["o1", false]]);
  });

  it("waits when the planned agent offers too little, and places re-planned instances among the offers", () => {
    const decision = decideOffers({
      spec: spec(),
      seed: 1,
      offers: [offer("o2", "a2", 0.1), offer("o1", "a1", 4)],
      launches: [0, 2],
      planned,
      running: [],
    });
    expect(decision.waiting).toEqual([0]);
    expect(decision.placements.map((p) => [p.placement.instance, p.placement.agentId])).toEqual([[2, "a1"]]);
    expect(decision.unused.map((u) => [u.offer.id.value, u.neededByPlan])).toEqual([["o2", true]]);
  });
});
