import { describe, expect, it } from "vitest";
import type { DeployEvent } from "../../src/deploy/events.js";
import { lastLaunches, raiseFloor } from "../../src/deploy/incarnations.js";
import { decideOffers, type PlannedAgent } from "../../src/deploy/offer-plan.js";
import { deadlineFailure, decide } from "../../src/deploy/tracked-view.js";
import {
  nextIncarnation,
  startTracking,
  type Tracked,
  type TrackedInstances,
  type TrackingEvent,
  type TrackingStart,
  track,
} from "../../src/deploy/tracking.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { Offer, TaskStatus } from "../../src/mesos/types/mesos.js";
import { appSpec } from "../plan/builders.js";
import { releaseOne } from "../support/engine-fixtures.js";

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

const target = releaseOne(spec(), "pending");
const { release } = target;

/** Tracking of release 1 of `web` (2 instances) with nothing known yet, unless told otherwise. */
function starting(overrides: Partial<TrackingStart> & { now: number }): TrackedInstances {
  return startTracking({
    app: "web",
    desired: 2,
    releases: [release],
    target,
    known: [],
    launchedBefore: [],
    ...overrides,
  });
}

/** The reducer driven by hand: a clock the test moves, and everything it reported. */
function tracking() {
  let now = 1000;
  let tracked: TrackedInstances = starting({ now });
  const events: DeployEvent[] = [];
  const ended: number[] = [];
  const apply = (event: TrackingEvent): TrackedInstances => {
    const result = track(tracked, event, now);
    events.push(...result.events);
    ended.push(...result.ended.map((e) => e.instance));
    tracked = result.tracked;
    return tracked;
  };
  return {
    apply,
    state: () => tracked,
    events,
    ended,
    advance: (ms: number) => (now += ms),
    now: () => now,
  };
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

function launched(instance: number, since: number): Tracked {
  return {
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
  };
}

describe("the tracking reducer, driven by a recorded sequence of status updates", () => {
  it("a failover's reconciliation RUNNING does not hide the agent's older TASK_FAILED: relaunch after backoff", () => {
    const { apply, state, events, ended, advance, now } = tracking();
    apply({ type: "launched", tasks: [launched(0, now()), launched(1, now())] });
    apply({ type: "status", status: status("web.1.0.1", "TASK_RUNNING", { timestamp: 10, uuid: "u1" }) });
    apply({ type: "status", status: status("web.1.1.1", "TASK_RUNNING", { timestamp: 10, uuid: "u2" }) });
    advance(100);
    apply({ type: "progress" });
    const reconciled = status("web.1.0.1", "TASK_RUNNING", {
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      timestamp: 99,
    });
    apply({ type: "status", status: reconciled });
    apply({
      type: "status",
      status: status("web.1.0.1", "TASK_FAILED", { timestamp: 50, uuid: "u3", message: "exit 1" }),
    });
    expect(events.map((e) => e.type)).toEqual(["running", "running", "failed"]);
    expect(ended).toEqual([0]);
    expect(state().tasks.has("web.1.0.1")).toBe(false);
    // Backoff first, then the instance is launched again; the survivor keeps counting.
    expect(decide(state(), now()).actions).toEqual([]);
    advance(1000);
    expect(decide(state(), now()).actions).toEqual([{ kind: "launch", instance: 0 }]);
    expect(nextIncarnation(state(), 1, 0)).toBe(2);
  });

  it("charges a replaced task's KILL to the disruption budget once, however its KILLs fare", () => {
    const { apply, state, advance } = tracking();
    apply({ type: "launched", tasks: [launched(0, 1000)] });
    apply({ type: "status", status: status("web.1.0.1", "TASK_RUNNING", { uuid: "r1" }) });
    apply({ type: "kill_sent", taskId: "web.1.0.1", disruption: true });
    expect(state().disrupted).toEqual([1000]);
    // The KILL reached it: the executor is stopping it. The KILL sent again later does not go through (503).
    apply({ type: "status", status: status("web.1.0.1", "TASK_KILLING", { uuid: "k1" }) });
    advance(20_000);
    apply({ type: "kill_sent", taskId: "web.1.0.1" });
    apply({ type: "kill_failed", taskId: "web.1.0.1" });
    // It goes down on purpose all the same: its share stays, and its KILL is still to be sent again.
    expect(state().disrupted).toEqual([1000]);
    expect(state().tasks.get("web.1.0.1")).toMatchObject({
      killSent: true,
      killSentAt: 21_000,
      disruptedAt: 1000,
    });
    // A KILL that never reached the task stopped nothing: its share goes back for the KILL decided again.
    apply({ type: "launched", tasks: [launched(1, 21_000)] });
    apply({ type: "status", status: status("web.1.1.1", "TASK_RUNNING", { uuid: "r2" }) });
    apply({ type: "kill_sent", taskId: "web.1.1.1", disruption: true });
    apply({ type: "kill_failed", taskId: "web.1.1.1" });
    expect(state().disrupted).toEqual([1000]);
    expect(state().tasks.get("web.1.1.1")).toMatchObject({ killSent: false, disruptedAt: undefined });
  });

  it("takes a charge a stopped run recorded for a task as made: its KILL sent again takes no second share", () => {
    const old = { ...launched(0, 0), taskId: "web.0.0.1", release: 0, digest: "sha256:zero" };
    const tracked = starting({
      now: 5000,
      desired: 1,
      releases: [{ ...release, number: 0, manifestDigest: "sha256:zero" }, release],
      known: [
        {
          taskId: old.taskId,
          frameworkId: "f",
          framework: "titan:web",
          health: "none",
          app: "web",
          instance: 0,
          release: 0,
          digest: "sha256:zero",
          state: "TASK_RUNNING",
          agentId: "a1",
          hostname: "agent-1",
          demand: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
          ports: [],
        },
      ],
      disruptedBefore: [4000],
      disruptedTasksBefore: { "web.0.0.1": 4000, "web.0.9.1": 3000 },
    });
    expect(tracked.tasks.get("web.0.0.1")?.disruptedAt).toBe(4000);
    expect(tracked.disrupted).toEqual([4000]);
  });

  it("the restart backoff grows over a crash loop and starts over once the instance ran 2 x max_delay", () => {
    const { apply, state, advance, now } = tracking();
    let incarnation = 0;
    /** Instance 0 launched again, running for `runMs`, then crashing: the backoff it is given. */
    const crashAfter = (runMs: number): number => {
      incarnation += 1;
      const taskId = `web.1.0.${incarnation}`;
      apply({ type: "launched", tasks: [{ ...launched(0, now()), taskId, incarnation }] });
      apply({ type: "status", status: status(taskId, "TASK_RUNNING", { uuid: `r${incarnation}` }) });
      advance(runMs);
      apply({ type: "status", status: status(taskId, "TASK_FAILED", { uuid: `f${incarnation}` }) });
      const delay = (state().backoffUntil.get(0) ?? 0) - now();
      advance(delay);
      return delay;
    };
    // backoff 1s, factor 2, max_delay 8s: the loop reaches the cap ...
    expect([crashAfter(100), crashAfter(100), crashAfter(100), crashAfter(100), crashAfter(100)]).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ]);
    // ... a run shorter than 2 x max_delay since the last failure is still part of it ...
    expect(crashAfter(7000)).toBe(8000);
    // ... a longer one is not: the next crash is the first of a new streak (as the kubelet's backoff expires).
    expect(crashAfter(16_001)).toBe(1000);
    expect(crashAfter(100)).toBe(2000);
  });

  it("never changes the state it was given: every event returns a new value and shares what did not change", () => {
    const { apply, now } = tracking();
    const before = apply({ type: "launched", tasks: [launched(0, now())] });
    const snapshot = JSON.stringify([...before.tasks]);
    const after = apply({ type: "status", status: status("web.1.0.1", "TASK_RUNNING", { uuid: "u1" }) });
    expect(JSON.stringify([...before.tasks])).toBe(snapshot);
    expect(before.tasks.get("web.1.0.1")?.state).toBe("LAUNCHING");
    expect(after.tasks.get("web.1.0.1")?.state).toBe("TASK_RUNNING");
    expect(after.backoffUntil).toBe(before.backoffUntil);
    // A redelivered update (same uuid) is a duplicate: nothing changes.
    const again = apply({ type: "status", status: status("web.1.0.1", "TASK_FAILED", { uuid: "u1" }) });
    expect(again.tasks).toBe(after.tasks);
    expect(again.tasks.get("web.1.0.1")?.state).toBe("TASK_RUNNING");
  });

  it("an unanswered task holds its instance and counts against healthy_deadline", () => {
    let now = 1000;
    const start = starting({ launchedBefore: ["web.1.0.1"], now });
    const tracked = track(start, { type: "asked", taskIds: ["web.1.0.1"] }, now).tracked;
    expect(decide(tracked, now).actions).toEqual([{ kind: "launch", instance: 1 }]);
    now += target.spec.update.healthyDeadlineMs + 1;
    expect(deadlineFailure(tracked, now)).toEqual({
      reason: expect.stringMatching(
        /instance 0 \(web\.1\.0\.1\) never started: .* \(no TASK_STAGING\) within healthy_deadline/,
      ),
      cause: "not_started",
    });
  });

  it("gives the replacement of a task lost with its agent a healthy_deadline of its own", () => {
    const deadline = target.spec.update.healthyDeadlineMs;
    let now = 1000;
    let tracked = track(
      starting({ desired: 1, now }),
      { type: "launched", tasks: [launched(0, now)] },
      now,
    ).tracked;
    tracked = track(tracked, { type: "taken", taskIds: ["web.1.0.1"] }, now).tracked;
    now += deadline - 10;
    const lost = status("web.1.0.1", "TASK_UNREACHABLE", {
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REMOVED",
    });
    tracked = track(tracked, { type: "status", status: lost }, now).tracked;
    expect(decide(tracked, now).actions).toEqual([{ kind: "launch", instance: 0 }]);
    const replacement = { ...launched(0, now), taskId: "web.1.0.2", incarnation: 2 };
    tracked = track(tracked, { type: "launched", tasks: [replacement] }, now).tracked;
    tracked = track(tracked, { type: "taken", taskIds: ["web.1.0.2"] }, now).tracked;
    now += 20;
    expect(deadlineFailure(tracked, now)).toBeUndefined();
    now += deadline;
    expect(deadlineFailure(tracked, now)?.reason).toMatch(/instance 0 \(web\.1\.0\.2\) never started/);
  });

  it("takes a burst of updates in one call as it takes them one by one, and changes nothing it was given", () => {
    const start = starting({ now: 1000 });
    const base = track(
      start,
      { type: "launched", tasks: [launched(0, 1000), launched(1, 1000)] },
      1000,
    ).tracked;
    const snapshot = JSON.stringify([...base.tasks, ...base.statuses]);
    const updates = [
      status("web.1.0.1", "TASK_RUNNING", { uuid: "a" }),
      status("web.1.1.1", "TASK_RUNNING", { uuid: "b" }),
      status("web.1.1.1", "TASK_FAILED", { uuid: "c" }),
    ];
    const oneByOne = updates.reduce((t, u) => track(t, { type: "status", status: u }, 2000).tracked, base);
    const burst = track(base, { type: "statuses", statuses: updates }, 2000);
    expect([...burst.tracked.tasks]).toEqual([...oneByOne.tasks]);
    expect([...burst.tracked.statuses]).toEqual([...oneByOne.statuses]);
    expect(burst.events.map((e) => e.type)).toEqual(["running", "running", "failed"]);
    expect(JSON.stringify([...base.tasks, ...base.statuses])).toBe(snapshot);
  });

  it("never reuses a task id: launches go above the persisted incarnation floor and every id written ahead", () => {
    const floor = raiseFloor({ "1.0": 4 }, ["web.1.1.2", "web.1.0.3", "not-a-titan-id"]);
    expect(floor).toEqual({ "1.0": 4, "1.1": 2 });
    const start = starting({ launchedBefore: ["web.1.1.7"], incarnationFloor: floor, now: 1000 });
    expect(nextIncarnation(start, 1, 0)).toBe(5);
    expect(nextIncarnation(start, 1, 1)).toBe(8);
    expect(nextIncarnation(start, 2, 0)).toBe(1);
  });

  it("three launches failing the same way before running end the release with the agent's message", () => {
    const { apply, state, now, advance } = tracking();
    for (let incarnation = 1; incarnation <= 3; incarnation++) {
      apply({
        type: "launched",
        tasks: [{ ...launched(0, now()), taskId: `web.1.0.${incarnation}`, incarnation }],
      });
      const failure = status(`web.1.0.${incarnation}`, "TASK_FAILED", {
        uuid: `f${incarnation}`,
        message: "exec: no such file",
      });
      apply({ type: "status", status: failure });
      advance(10_000);
    }
    expect(state().fatal).toMatch(
      /3 launches of web failed the same way before running \(failed\): exec: no such file/,
    );
    expect(track(state(), { type: "failure_taken" }, now()).tracked.fatal).toBeUndefined();
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
    // Why instance 0 waits, as placement explains the planned agent's offer.
    expect(decision.short).toEqual({
      instances: [0],
      reasons: [{ reason: "cpus exhausted", agents: 1 }],
      nearest: [{ agentId: "a2", hostname: "a2.local", missing: { cpus: expect.closeTo(0.4, 6) } }],
    });
  });

  it("says why the offers could not hold instances placed on whatever is offered, summed over both kinds", () => {
    const decision = decideOffers({
      spec: spec(),
      seed: 1,
      offers: [offer("o2", "a2", 0.1), offer("o1", "a1", 0.3), offer("o4", "a4", 0.2)],
      launches: [0, 2, 3],
      planned,
      running: [],
    });
    expect(decision.placements).toEqual([]);
    expect(decision.short?.instances).toEqual([0, 2, 3]);
    expect(decision.short?.reasons).toEqual([{ reason: "cpus exhausted", agents: 3 }]);
    expect(decision.short?.nearest.map((n) => n.hostname)).toEqual(["a2.local", "a1.local", "a4.local"]);
  });

  it("has nothing to explain when every launch found room, or when no offer was weighed for the rest", () => {
    const placed = decideOffers({
      spec: spec(),
      seed: 1,
      offers: [offer("o1", "a1", 4)],
      launches: [2],
      planned,
      running: [],
    });
    expect(placed.placements).toHaveLength(1);
    expect(placed.short).toBeUndefined();
    const otherAgents = decideOffers({
      spec: spec(),
      seed: 1,
      offers: [offer("o1", "a1", 4)],
      launches: [0, 1],
      planned,
      running: [],
    });
    expect(otherAgents.waiting).toEqual([0, 1]);
    expect(otherAgents.short).toBeUndefined();
  });
});

describe("the last launch of each instance, from the incarnation floor", () => {
  it("names the newest release's highest incarnation of each instance no task accounts for", () => {
    const floor = { "1.0": 3, "1.1": 1, "2.0": 1, "1.2": 2, "2.3": 1 };
    // Instance 1 runs web.1.1.1 (accounted); instance 3 is beyond the count.
    expect(lastLaunches(floor, "web", 3, ["web.1.1.1", "other.1.2.1"]).sort()).toEqual([
      "web.1.2.2",
      "web.2.0.1",
    ]);
    expect(lastLaunches({}, "web", 3, [])).toEqual([]);
  });
});
