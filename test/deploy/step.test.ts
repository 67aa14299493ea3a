import { describe, expect, it } from "vitest";
import type { CallSink, SchedulerCall } from "../../src/deploy/calls.js";
import { type EngineEvent, type LoopEvent, react } from "../../src/deploy/engine.js";
import { type EngineSettings, type EngineState, initialState } from "../../src/deploy/engine-state.js";
import type { DeployEvent } from "../../src/deploy/events.js";
import { AppDeployment } from "../../src/deploy/executor.js";
import type { PlannedAgent } from "../../src/deploy/offer-plan.js";
import { deployPlan, PLANNED_OFFER_WAIT_MS, rollbackPlan } from "../../src/deploy/replan.js";
import { type StepResult, step } from "../../src/deploy/step.js";
import { type AppTarget, startTracking } from "../../src/deploy/tracking.js";
import { describeWait, offerShortage, waitingFor } from "../../src/deploy/waiting.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import type { Offer, TaskStatus } from "../../src/mesos/types/mesos.js";
import type { Agent } from "../../src/placement/types.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { appSpec } from "../plan/builders.js";
import { releaseOne } from "../support/engine-fixtures.js";
import { tempDir } from "../support/tmp.js";

/** Three instances balanced over zones a, b and c; agents a1, a2, b1, c1 and c2 each hold two. */
function spec(overrides: Partial<AppSpec> = {}): AppSpec {
  return appSpec({
    name: "web",
    image: undefined,
    instances: 3,
    ports: [],
    resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
    constraints: [{ kind: "balance", attribute: "zone", hard: false }],
    update: {
      maxSurge: { kind: "count", value: 3 },
      maxUnavailable: { kind: "count", value: 0 },
      minHealthyTimeMs: 0,
      healthyDeadlineMs: 60_000,
      progressDeadlineMs: 60_000,
      autoRollback: true,
    },
    ...overrides,
  });
}

const AGENTS = ["a1", "a2", "b1", "c1", "c2"];
const zoneOf = (agentId: string): string => agentId.slice(0, 1);

function agent(id: string): Agent {
  const free = { cpus: 2, mem: 1024, disk: 0, gpus: 0 };
  return { id, hostname: `${id}.local`, attributes: { zone: zoneOf(id) }, total: free, free, freePorts: [] };
}

function offer(id: string, agentId: string, cpus = 2): Offer {
  return {
    id: { value: id },
    framework_id: { value: "f" },
    agent_id: { value: agentId },
    hostname: `${agentId}.local`,
    attributes: [{ name: "zone", type: "TEXT", text: { value: zoneOf(agentId) } }],
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: cpus } },
      { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
    ],
  };
}

function target(s: AppSpec = spec()): AppTarget {
  return releaseOne(s, "pending");
}

const settings: EngineSettings = { seed: 1, region: null, autoRollback: true, reconnectDeadlineMs: 60_000 };

function plannedOn(...agentIds: string[]): Map<number, PlannedAgent> {
  return new Map(
    agentIds.map((id, instance) => [instance, { agentId: id, hostname: `${id}.local` }] as const),
  );
}

/** A subscribed engine whose plan put instance i on `planned[i]`; reconciliation of no tasks is answered at once. */
function subscribed(planned: Map<number, PlannedAgent>, now = 0, s: AppSpec = spec()): EngineState {
  const t = target(s);
  const tracked = startTracking({
    app: "web",
    desired: 3,
    releases: [t.release],
    target: t,
    known: [],
    launchedBefore: [],
    now,
  });
  const state = initialState(tracked, deployPlan(planned, { agents: AGENTS.map(agent), known: [] }));
  return react(state, subscribedEvent(), { now, settings, stopping: false }).state;
}

function subscribedEvent(): EngineEvent {
  return { type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } };
}

function withOffers(state: EngineState, offers: Offer[], now = 0): EngineState {
  return react(state, { type: "OFFERS", offers: { offers } }, { now, settings, stopping: false }).state;
}

/** The master's answers to every ACCEPT of the step: it took those launches. */
function taken(result: StepResult, now: number): EngineState {
  let state = result.state;
  for (const call of result.calls)
    if (call.kind === "accept")
      state = react(state, { type: "ACCEPTED", call }, { now, settings, stopping: false }).state;
  return state;
}

function accepted(calls: readonly SchedulerCall[]): Array<[string, number[]]> {
  return calls.flatMap((c) =>
    c.kind === "accept"
      ? [[c.offer.agent_id.value, c.launches.map((l) => l.tracked.instance)] as [string, number[]]]
      : [],
  );
}

describe("the step function, driven by recorded events", () => {
  it("subscribing asks about every known task, then lifts an earlier run's refusals with a REVIVE at once", () => {
    const t = target();
    const tracked = startTracking({
      app: "web",
      desired: 3,
      releases: [t.release],
      target: t,
      known: [],
      launchedBefore: ["web.1.0.1"],
      now: 0,
    });
    const result = react(initialState(tracked, deployPlan(new Map())), subscribedEvent(), {
      now: 0,
      settings,
      stopping: false,
    });
    expect(result.calls.map((c) => c.kind)).toEqual(["reconcile", "reconcile", "revive"]);
    expect(result.calls[0]).toMatchObject({ tasks: [{ taskId: "web.1.0.1" }] });
    expect(result.frameworkId).toBe("f");
    // While the master has not answered, the engine holds still: offers are declined briefly as they come.
    const offers = { type: "OFFERS" as const, offers: { offers: [offer("o1", "a1")] } };
    const held = react(result.state, offers, { now: 100, settings, stopping: false });
    expect(held.calls).toEqual([{ kind: "decline", offerIds: ["o1"], refuseSeconds: 2 }]);
    expect(held.state.offers).toEqual([]);
  });

  it("launches each instance on the agent the plan showed and declines the other offers", () => {
    const state = withOffers(
      subscribed(plannedOn("a1", "b1", "c1")),
      ["a2", "c1", "a1", "b1"].map((a, i) => offer(`o${i}`, a)),
    );
    const result = step(state, 10, settings);
    expect(accepted(result.calls)).toEqual([
      ["a1", [0]],
      ["b1", [1]],
      ["c1", [2]],
    ]);
    expect(result.calls.filter((c) => c.kind === "decline")).toEqual([
      { kind: "decline", offerIds: ["o0"], refuseSeconds: 2 },
    ]);
    expect(
      result.events.filter((e) => e.type === "launch").map((e) => e.type === "launch" && e.host),
    ).toEqual(["a1.local", "b1.local", "c1.local"]);
    // The launches are tracked and leave the plan; the offers are all answered.
    expect([...result.state.tracked.tasks.keys()].sort()).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1"]);
    expect(result.state.plan.planned.size).toBe(0);
    expect(result.state.offers).toEqual([]);
  });

  it("waits for a planned agent, declining agents the plan does not need for longer", () => {
    const result = step(
      withOffers(subscribed(plannedOn("a1", "b1", "c1")), [offer("o1", "a2")]),
      10,
      settings,
    );
    expect(accepted(result.calls)).toEqual([]);
    expect(result.calls).toContainEqual({ kind: "decline", offerIds: ["o1"], refuseSeconds: 30 });
    // No REVIVE for it: every agent would offer again, be declined again, and so on in a loop.
    expect(result.calls).not.toContainEqual({ kind: "revive" });
    expect([...result.state.link.refusedAgents.keys()]).toEqual(["a2"]);
    // Once an instance is planned on the refused agent, a REVIVE lifts the filter.
    const replanned = { ...subscribed(plannedOn("a2", "b1", "c1")), link: result.state.link };
    const revived = step(replanned, 11, settings);
    expect(revived.calls).toContainEqual({ kind: "revive" });
    expect(revived.state.link.refusedAgents.size).toBe(0);
  });

  it("revives for a planned agent declined while nothing was to launch, only while that filter holds", () => {
    const state = subscribed(plannedOn("a1", "b1", "c1"));
    const declined = { ...state, link: { ...state.link, refusedAgents: new Map([["a1", 2000]]) } };
    expect(step(declined, 1000, settings).calls).toContainEqual({ kind: "revive" });
    expect(step(declined, 2500, settings).calls).not.toContainEqual({ kind: "revive" });
  });

  it("a rollback is planned as a deploy is: its instances placed on the plan's cluster, zones balanced", () => {
    const state = subscribed(plannedOn("a1", "a2", "c1"));
    const plan = rollbackPlan(state.plan, state.tracked, settings.seed, 0);
    expect([...plan.planned.keys()].sort()).toEqual([0, 1, 2]);
    expect([...plan.planned.values()].map((a) => zoneOf(a.agentId)).sort()).toEqual(["a", "b", "c"]);
  });

  it("an agent lost re-plans the whole rest of the rollout and keeps the zones balanced", () => {
    const state = subscribed(plannedOn("a1", "b1", "c1"));
    const lost = react(
      state,
      { type: "FAILURE", failure: { agent_id: { value: "c1" } } },
      { now: 5, settings, stopping: false },
    );
    expect(lost.events).toEqual([
      {
        type: "replan",
        app: "web",
        reason: "c1.local was lost",
        changes: [{ instance: 2, from: "c1.local", to: "c2.local" }],
      },
    ]);
    const zones = [...lost.state.plan.planned.values()].map((a) => zoneOf(a.agentId)).sort();
    expect(zones).toEqual(["a", "b", "c"]);
    expect(lost.state.plan.avoid.has("c1")).toBe(true);
    // An executor's failure is not an agent's.
    const executor = { agent_id: { value: "a1" }, executor_id: { value: "e" } };
    expect(
      react(state, { type: "FAILURE", failure: executor }, { now: 5, settings, stopping: false }).events,
    ).toEqual([]);
  });

  it("a planned agent that offers no room in time: the rest is placed anew without it, and launched there", () => {
    let state = withOffers(subscribed(plannedOn("a1", "b1", "c1")), [offer("o1", "a1"), offer("o2", "b1")]);
    state = step(state, 0, settings).state;
    expect(step(state, PLANNED_OFFER_WAIT_MS - 1, settings).events).toEqual([]);
    const late = step(state, PLANNED_OFFER_WAIT_MS + 1, settings);
    expect(late.events).toEqual([
      {
        type: "replan",
        app: "web",
        reason: "c1.local offered no room for instance(s) 2 within 5s",
        changes: [{ instance: 2, from: "c1.local", to: "c2.local" }],
      },
    ]);
    const launched = step(withOffers(late.state, [offer("o3", "c2")]), PLANNED_OFFER_WAIT_MS + 2, settings);
    expect(accepted(launched.calls)).toEqual([["c2", [2]]]);
  });

  it("a task that ends on its own re-plans its instance among the agents, not onto the first offer", () => {
    let state = withOffers(
      subscribed(plannedOn("a1", "b1", "c1")),
      ["a1", "b1", "c1"].map((a) => offer(a, a)),
    );
    state = step(state, 0, settings).state;
    const failed: TaskStatus = {
      task_id: { value: "web.1.2.1" },
      state: "TASK_LOST",
      agent_id: { value: "c1" },
      uuid: "u1",
    };
    const ended = react(
      state,
      { type: "UPDATE", update: { status: failed } },
      { now: 10, settings, stopping: false },
    );
    expect(ended.calls).toEqual([{ kind: "acknowledge", status: failed }]);
    expect(zoneOf(ended.state.plan.planned.get(2)?.agentId ?? "")).toBe("c");
    // Backoff over, an offer of zone a comes first: instance 2 waits for its zone-c agent instead.
    const after = ended.state.tracked.backoffUntil.get(2) ?? 0;
    const offered = step(withOffers(ended.state, [offer("x", "a2")]), after + 1, settings);
    expect(accepted(offered.calls)).toEqual([]);
  });

  it("an ACCEPT that did not go through is reconciled before its instance is launched again", () => {
    let state = withOffers(
      subscribed(plannedOn("a1", "b1", "c1")),
      ["a1", "b1", "c1"].map((a) => offer(a, a)),
    );
    const launchedStep = step(state, 0, settings);
    state = launchedStep.state;
    const accept = launchedStep.calls.find((c) => c.kind === "accept");
    if (accept === undefined) throw new Error("no ACCEPT");
    const unsure = react(
      state,
      { type: "CALL_FAILED", call: accept },
      { now: 1, settings, stopping: false },
    ).state;
    expect([...unsure.tracked.unanswered]).toEqual(["web.1.0.1"]);
    const asked = step(unsure, 2, settings).calls.filter((c) => c.kind === "reconcile");
    expect(asked).toEqual([
      { kind: "reconcile", tasks: [{ taskId: "web.1.0.1", agentId: "a1" }], resendOnFailure: false },
    ]);
  });
});

describe("a launch the master took and lost", () => {
  const running = (id: string): EngineEvent => ({
    type: "UPDATE",
    update: {
      status: { task_id: { value: id }, state: "TASK_RUNNING", agent_id: { value: "a1" }, uuid: id },
    },
  });
  const reconciled = (calls: readonly SchedulerCall[]) =>
    calls.flatMap((c) => (c.kind === "reconcile" ? c.tasks : []));

  it("is asked about once nothing was heard of it for a while, and launched again in its restart backoff when gone", () => {
    const launched = step(withOffers(subscribed(new Map()), [offer("o1", "a1", 4)], 0), 0, settings);
    expect(accepted(launched.calls)).toEqual([["a1", [0, 1, 2]]]);
    let state = taken(launched, 0);
    for (const id of ["web.1.1.1", "web.1.2.1"])
      state = react(state, running(id), { now: 10, settings, stopping: false }).state;
    // A master answers an ACCEPT before carrying it out: silence for a moment says nothing yet.
    const early = step(state, 4_999, settings);
    expect(reconciled(early.calls)).toEqual([]);
    // Then the master is asked about the launch it took, with the agent it went to.
    const asked = step(early.state, 5_000, settings);
    expect(reconciled(asked.calls)).toEqual([{ taskId: "web.1.0.1", agentId: "a1" }]);
    // Asked again only with the other unanswered tasks, not at every step.
    expect(reconciled(step(asked.state, 5_100, settings).calls)).toEqual([]);
    const gone: TaskStatus = {
      task_id: { value: "web.1.0.1" },
      state: "TASK_GONE",
      agent_id: { value: "a1" },
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: Task is unknown to the agent",
    };
    const ended = react(
      asked.state,
      { type: "UPDATE", update: { status: gone } },
      { now: 5_010, settings, stopping: false },
    );
    // A lost launch counts in the restart backoff, and its relaunch gets a healthy_deadline of its own.
    expect(ended.state.tracked.backoffUntil.get(0)).toBe(5_010 + 1000);
    expect(ended.state.tracked.firstLaunchAt.has(0)).toBe(false);
    // Re-placed with the rest of the rollout (wherever the zone balance now wants it), it waits out its backoff.
    const everywhere = (round: string) => AGENTS.map((a) => offer(`${round}-${a}`, a, 4));
    const held = step(withOffers(ended.state, everywhere("o2"), 5_500), 5_500, settings);
    expect(accepted(held.calls)).toEqual([]);
    const relaunched = step(withOffers(held.state, everywhere("o3"), 6_100), 6_100, settings);
    expect(
      relaunched.calls.flatMap((c) => (c.kind === "accept" ? c.launches.map((l) => l.tracked.taskId) : [])),
    ).toEqual(["web.1.0.2"]);
    // Past the first launch's healthy_deadline, the relaunch is not out of time.
    const later = taken(relaunched, 6_100);
    expect(step(later, 61_000, settings).finish).toBeUndefined();
  });

  it("runs no healthy_deadline while its ACCEPT is unanswered", () => {
    const patient = spec({ update: { ...spec().update, progressDeadlineMs: 600_000 } });
    const start = withOffers(subscribed(new Map(), 0, patient), [offer("o1", "a1", 4)], 0);
    const launched = step(start, 0, settings);
    expect(describeWait(launched.state, 1000)).toContain(
      "the master to answer the launch of web.1.0.1, web.1.1.1, web.1.2.1 (its ACCEPT is unanswered)",
    );
    expect(step(launched.state, 61_000, settings).finish?.kind).not.toBe("failed");
    // Taken, it runs from then.
    const answered = taken(launched, 61_000);
    expect(step(answered, 121_001, settings).finish).toMatchObject({ kind: "failed", cause: "not_started" });
  });
});

describe("a release that runs out of time waiting for offers", () => {
  it("fails saying why the offers could not hold the instances it still had to launch", () => {
    let state = withOffers(subscribed(new Map()), [offer("o1", "a1", 0.5), offer("o2", "b1", 0.25)], 10);
    const weighed = step(state, 10, settings);
    expect(accepted(weighed.calls)).toEqual([]);
    expect(weighed.state.offerRounds).toEqual({
      lastAt: 10,
      short: {
        at: 10,
        instances: [0, 1, 2],
        reasons: [{ reason: "cpus exhausted", agents: 2 }],
        nearest: [
          { agentId: "a1", hostname: "a1.local", missing: { cpus: 0.5 } },
          { agentId: "b1", hostname: "b1.local", missing: { cpus: 0.75 } },
        ],
      },
    });
    state = weighed.state;
    expect(step(state, 59_000, settings).finish).toBeUndefined();
    expect(step(state, 61_000, settings).finish).toEqual({
      kind: "failed",
      release: 1,
      cause: "no_room",
      reason:
        "no instance became healthy within progress_deadline 1m; instance(s) 0, 1, 2 found no room: the offers of 00:00:00 UTC could not hold them: cpus exhausted on 2 agents; nearest a1.local (needs 0.5 cpus more), b1.local (needs 0.75 cpus more); there is no earlier healthy release to roll back to",
    });
  });

  it("says no offer came when none did, and since when once one had", () => {
    const waited = step(subscribed(new Map()), 0, settings).state;
    const none = step(waited, 61_000, settings).finish;
    expect(none).toMatchObject({ kind: "failed", cause: "no_room" });
    expect(none?.kind === "failed" && none.reason).toContain(
      "instance(s) 0, 1, 2 found no room: no offer has come yet (a master offers nothing while no agent has resources free",
    );
    // Offers that held everything asked leave nothing to explain.
    const launched = step(withOffers(subscribed(new Map()), [offer("o1", "a1", 4)], 5_000), 5_000, settings);
    expect(accepted(launched.calls)).toEqual([["a1", [0, 1, 2]]]);
    expect(launched.state.offerRounds).toEqual({ lastAt: 5_000, short: undefined });
  });

  it("words the wait: the last short offers, no offer since when, or the planned agents' silence", () => {
    const short = {
      at: 3_000,
      instances: [1],
      reasons: [
        { reason: "mem exhausted", agents: 2 },
        { reason: "zone excluded", agents: 1 },
      ],
      nearest: [{ agentId: "a1", hostname: "a1.local", missing: { mem: 512 } }],
    };
    const planned = (i: number) => i === 0;
    expect(offerShortage({ lastAt: 3_000, short }, [1], planned, 10_000)).toBe(
      "the offers of 00:00:03 UTC could not hold them: mem exhausted on 2 agents, zone excluded on 1 agent; nearest a1.local (needs 512 MiB mem more)",
    );
    // What was said of other instances is not said of these.
    expect(offerShortage({ lastAt: 4_000, short }, [2], planned, 10_000)).toBe(
      "no offer has come since 00:00:04 UTC (a master offers nothing while no agent has resources free for the role, its quota included)",
    );
    expect(offerShortage({ lastAt: 4_000, short: undefined }, [0], planned, 10_000)).toBe(
      "the agents planned for them made no offer",
    );
    expect(offerShortage({ lastAt: undefined, short: undefined }, [0], planned, 10_000)).toMatch(
      /^no offer has come yet/,
    );
    expect(offerShortage({ lastAt: 4_000, short }, [], planned, 10_000)).toBeUndefined();
    // A silence shorter than the ordinary gap between offers says nothing yet.
    expect(offerShortage({ lastAt: 8_000, short: undefined }, [2], planned, 10_000)).toBeUndefined();
    expect(
      offerShortage({ lastAt: undefined, subscribedAt: 7_000, short: undefined }, [2], planned, 10_000),
    ).toBeUndefined();
    const waiting = {
      subscribed: true,
      unanswered: [],
      backoff: [],
      starting: [],
      unhealthy: [],
      holding: [],
      minHealthyMs: 0,
      stopping: [],
    };
    expect(
      waitingFor({
        ...waiting,
        awaitingOffers: ["1"],
        shortage: "the agents planned for them made no offer",
      }),
    ).toBe("offers to place instance(s) 1 (offers revived): the agents planned for them made no offer");
  });

  it("an instance whose launch the master took and never reported fails naming that, not its health", () => {
    const launched = step(withOffers(subscribed(new Map()), [offer("o1", "a1", 4)], 0), 0, settings);
    expect(accepted(launched.calls)).toEqual([["a1", [0, 1, 2]]]);
    const running: TaskStatus = {
      task_id: { value: "web.1.1.1" },
      state: "TASK_RUNNING",
      agent_id: { value: "a1" },
      uuid: "u1",
    };
    // Instance 1 runs; instance 0 never had a status (no TASK_STAGING: the launch the master took went nowhere).
    const answered = react(
      taken(launched, 0),
      { type: "UPDATE", update: { status: running } },
      { now: 10, settings, stopping: false },
    );
    const finish = step(answered.state, 61_000, settings).finish;
    expect(finish?.kind === "failed" && finish.reason).toMatch(
      /^instance 0 \(web\.1\.0\.1\) never started: the master reported nothing of its launch \(no TASK_STAGING\) within healthy_deadline /,
    );
  });

  it("an instance that crashed and waits for an offer to run again is the app's failure, not a lack of room", () => {
    const launched = step(withOffers(subscribed(new Map()), [offer("o1", "a1", 4)], 0), 0, settings);
    expect(accepted(launched.calls)).toEqual([["a1", [0, 1, 2]]]);
    const failed: TaskStatus = {
      task_id: { value: "web.1.0.1" },
      state: "TASK_FAILED",
      agent_id: { value: "a1" },
      uuid: "u1",
    };
    const ended = react(
      taken(launched, 0),
      { type: "UPDATE", update: { status: failed } },
      { now: 10, settings, stopping: false },
    );
    const finish = step(ended.state, 61_000, settings).finish;
    // The instances launched beside it never had a status: their launches failed the release, not room.
    expect(finish).toMatchObject({ kind: "failed", cause: "not_started" });
    expect(finish?.kind === "failed" && finish.reason).toMatch(/never started: .* within healthy_deadline/);
    expect(finish?.kind === "failed" && finish.reason).not.toContain("found no room");
  });

  it("a release that launched everything and whose tasks never started is not said to lack room", () => {
    const state = withOffers(
      subscribed(new Map()),
      ["a1", "b1", "c1"].map((a) => offer(a, a)),
      0,
    );
    const launched = step(state, 0, settings);
    expect(accepted(launched.calls)).toHaveLength(3);
    const finish = step(launched.state, 61_000, settings).finish;
    expect(finish).toMatchObject({ kind: "failed", cause: "not_started" });
    expect(finish?.kind === "failed" && finish.reason).not.toContain("found no room");
  });
});

describe("what a deploy says it waits for", () => {
  const holdingSpec = (health: boolean) =>
    spec({
      instances: 1,
      constraints: [],
      update: { ...spec().update, minHealthyTimeMs: 10_000 },
      ...(health
        ? {
            health: {
              probe: { kind: "command", shell: "true" },
              intervalMs: 1000,
              timeoutMs: 1000,
              graceMs: 0,
              delayMs: 0,
              failures: 3,
            },
          }
        : {}),
    });

  function running(s: AppSpec, healthyAt: number | undefined): { state: EngineState; task: string } {
    const launched = step(withOffers(subscribed(new Map(), 0, s), [offer("o1", "a1")], 0), 0, settings);
    const task =
      launched.calls.flatMap((c) => (c.kind === "accept" ? c.launches : []))[0]?.tracked.taskId ?? "";
    const status: TaskStatus = {
      task_id: { value: task },
      state: "TASK_RUNNING",
      agent_id: { value: "a1" },
      uuid: "u1",
    };
    let state = react(
      launched.state,
      { type: "UPDATE", update: { status } },
      { now: 1000, settings, stopping: false },
    ).state;
    if (healthyAt !== undefined) {
      const healthy: TaskStatus = { ...status, healthy: true, uuid: "u2" };
      state = react(
        state,
        { type: "UPDATE", update: { status: healthy } },
        { now: healthyAt, settings, stopping: false },
      ).state;
    }
    return { state, task };
  }

  it("an instance healthy for less than min_healthy_time: how long it has left, not the health check", () => {
    const { state, task } = running(holdingSpec(true), 1000);
    const wait = describeWait(state, 6000);
    expect(wait).toContain(`; ${task} to stay healthy for min_healthy_time 10s (5s left)`);
    expect(wait).not.toContain("pass the health check");
  });

  it("an instance whose health check has not passed yet waits for it, then for min_healthy_time", () => {
    const { state, task } = running(holdingSpec(true), undefined);
    expect(describeWait(state, 6000)).toContain(
      `; ${task} to pass the health check and stay healthy for min_healthy_time 10s`,
    );
  });
});

/** The effect loop over a scripted event source and a recording sink: a whole deploy with no HTTP. */
describe("the effect loop", () => {
  it("event → reducer → step → calls, until the release is deployed", async () => {
    let now = 0;
    const sent: SchedulerCall[] = [];
    const sink: CallSink = {
      send: async (call) => {
        sent.push(call);
        return true;
      },
    };
    async function* events(): AsyncGenerator<LoopEvent> {
      yield subscribedEvent() as LoopEvent;
      yield { type: "OFFERS", offers: { offers: ["a1", "b1", "c1", "c2"].map((a) => offer(a, a)) } };
      for (const call of sent.filter((c) => c.kind === "accept"))
        for (const { tracked } of call.kind === "accept" ? call.launches : []) {
          const status: TaskStatus = {
            task_id: { value: tracked.taskId },
            state: "TASK_RUNNING",
            agent_id: { value: tracked.agentId ?? "" },
            uuid: tracked.taskId,
          };
          yield { type: "UPDATE", update: { status } };
        }
      for (;;) {
        now += 100;
        yield { type: "TICK" };
      }
    }
    const t = target();
    const reported: DeployEvent[] = [];
    const deployment = new AppDeployment(
      {
        target: t,
        known: [],
        releases: [t.release],
        autoRollback: true,
        planned: plannedOn("a1", "b1", "c2"),
        cluster: { agents: AGENTS.map(agent), known: [] },
      },
      {
        cluster: MasterCluster.fromConfig({ masters: ["http://127.0.0.1:9"] }),
        store: new FileStateStore(`file://${tempDir("titan-step-")}`, {
          clock: { now: () => now },
          hostname: "test-host",
        }),
        now: () => now,
        signal: new AbortController().signal,
        emit: (e) => reported.push(e),
        warn: () => undefined,
        framework: { user: "root", role: "*", failoverTimeoutSeconds: 60 },
        region: null,
        desired: 3,
        seed: 1,
        resolveEnvironment: async () => ({}),
      },
      undefined,
    );
    const result = await deployment.drive(events(), sink);
    expect(result.outcome).toBe("deployed");
    expect(sent.map((c) => c.kind)).toEqual([
      "reconcile",
      "reconcile",
      "revive",
      "accept",
      "accept",
      "accept",
      "decline",
      "acknowledge",
      // Every instance has its task: nothing is pending, offers are not wanted any more.
      "suppress",
      "acknowledge",
      "acknowledge",
    ]);
    expect(reported.flatMap((e) => (e.type === "launch" ? [e.host] : []))).toEqual([
      "a1.local",
      "b1.local",
      "c2.local",
    ]);
    expect(reported.at(-1)).toMatchObject({ type: "running" });
    expect(deployment.engineState.tracked.counting.size).toBe(3);
  });
});
