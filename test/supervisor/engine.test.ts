import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { BRAKE_RELEASED } from "../../src/deploy/brake.js";
import type { SchedulerCall } from "../../src/deploy/calls.js";
import { type EngineEvent, react } from "../../src/deploy/engine.js";
import { type EngineSettings, type EngineState, initialState } from "../../src/deploy/engine-state.js";
import type { DeployEvent } from "../../src/deploy/events.js";
import { DEFAULT_RECONCILE_TIMINGS, NO_ROUNDS } from "../../src/deploy/reconcile-rounds.js";
import { deployPlan } from "../../src/deploy/replan.js";
import { step } from "../../src/deploy/step.js";
import { startSupervision } from "../../src/deploy/supervision.js";
import { startTracking } from "../../src/deploy/tracking.js";
import type { TaskState, TaskStatus } from "../../src/mesos/types/mesos.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer, inverseOffer, releaseOne, runningTask } from "../support/engine-fixtures.js";

/** Three instances, restarted after 1 s, 2 s, 4 s … (builders' restart policy), no health check. */
const spec = appSpec({
  name: "web",
  image: undefined,
  instances: 3,
  ports: [],
  resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
});
const target = releaseOne(spec, "deployed");
const settings: EngineSettings = {
  seed: 1,
  region: null,
  autoRollback: false,
  reconnectDeadlineMs: 60_000,
  supervise: {
    unreachableGraceMs: 5000,
    reconcile: { ...DEFAULT_RECONCILE_TIMINGS, intervalMs: 60_000 },
    brake: { count: 2, fraction: 0.5, windowMs: 60_000 },
  },
};

/**
 * The deploy engine's reducer and step function run as a supervisor, driven by hand as its effect loop drives
 * them: each event through `react`, then one `step`; every call and event is kept.
 */
function supervisor(known: readonly TitanTask[], app = target, start = 1_000) {
  let now = start;
  let offers = 0;
  let updates = 0;
  const tracked = startTracking({
    app: "web",
    desired: 3,
    releases: [app.release],
    target: app,
    known,
    launchedBefore: [],
    now,
  });
  let state: EngineState = {
    ...initialState(tracked, deployPlan(new Map())),
    supervision: startSupervision(NO_ROUNDS, BRAKE_RELEASED),
  };
  const calls: SchedulerCall[] = [];
  const events: DeployEvent[] = [];
  const warnings: string[] = [];
  const take = (r: {
    state: EngineState;
    calls: SchedulerCall[];
    events: DeployEvent[];
    warnings: string[];
  }) => {
    state = r.state;
    calls.push(...r.calls);
    events.push(...r.events);
    warnings.push(...r.warnings);
  };
  const on = (event: EngineEvent): void => {
    take(react(state, event, { now, settings, stopping: false }));
    take(step(state, now, settings));
  };
  const status = (taskId: string, s: TaskState, agentId: string, extra: Partial<TaskStatus> = {}) =>
    on({
      type: "UPDATE",
      update: {
        status: {
          task_id: { value: taskId },
          state: s,
          agent_id: { value: agentId },
          uuid: `u${++updates}`,
          ...extra,
        },
      },
    });
  const tick = (ms: number): void => {
    now += ms;
    on({ type: "TICK" });
  };
  /** One offer of each agent: what the step launches on them, as [agent, task id] pairs. */
  const offer_ = (...agents: string[]): Array<[string, string]> => {
    const before = calls.length;
    on({ type: "OFFERS", offers: { offers: agents.map((a) => agentOffer(`o${++offers}`, a, 4)) } });
    return calls
      .slice(before)
      .flatMap((c) =>
        c.kind === "accept"
          ? c.launches.map((l) => [c.offer.agent_id.value, l.tracked.taskId] as [string, string])
          : [],
      );
  };
  const since = (n: number) => calls.slice(n);
  return {
    on,
    status,
    tick,
    offer: offer_,
    since,
    get calls() {
      return calls;
    },
    get events() {
      return events;
    },
    get warnings() {
      return warnings;
    },
    get state() {
      return state;
    },
    get now() {
      return now;
    },
  };
}

/**
 * A clock of today's size: a task found running has been healthy for an unknown time (since 0), so it counts at once
 * whatever min_healthy_time asks, as it does against a real clock.
 */
const MONDAY = Date.parse("2026-12-07T12:00:00Z");

/** Subscribed, and the first round of reconciliation answered and completed. */
function reconciled(known: readonly TitanTask[], app = target, start = 1_000) {
  const s = supervisor(known, app, start);
  s.on({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } });
  for (const task of known)
    s.status(task.taskId, "TASK_RUNNING", task.agentId, { reason: "REASON_RECONCILIATION" });
  s.tick(100);
  s.tick(DEFAULT_RECONCILE_TIMINGS.implicitSettleMs);
  return s;
}

const kinds = (calls: readonly SchedulerCall[]) => calls.map((c) => c.kind);

describe("titan supervise on the deploy engine's reducer and step function", () => {
  it("reconciles explicitly, then implicitly, and acts only once the round completed", () => {
    const s = supervisor([runningTask(0, "a1"), runningTask(1, "a2")]);
    s.on({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } });
    expect(kinds(s.calls)).toEqual(["revive", "reconcile"]);
    expect(s.calls[1]).toMatchObject({ tasks: [{ taskId: "web.1.0.1" }, { taskId: "web.1.1.1" }] });
    // Until the round completes nothing is launched: offers are declined.
    expect(s.offer("a3")).toEqual([]);
    s.status("web.1.0.1", "TASK_RUNNING", "a1", { reason: "REASON_RECONCILIATION" });
    s.status("web.1.1.1", "TASK_RUNNING", "a2", { reason: "REASON_RECONCILIATION" });
    // Every task answered: the implicit call goes at once.
    const implicit = s.calls.filter((c) => c.kind === "reconcile").at(-1);
    expect(implicit).toMatchObject({ tasks: [] });
    expect(s.offer("a3")).toEqual([]);
    s.tick(DEFAULT_RECONCILE_TIMINGS.implicitSettleMs);
    expect(s.state.supervision?.rounds.lastCompletedAt).toBe(s.now);
    // The missing instance is launched, with a task id never used before.
    expect(s.offer("a3")).toEqual([["a3", "web.1.2.1"]]);
    expect(s.events.filter((e) => e.type === "launch")).toHaveLength(1);
  });

  it("relaunches a crashed instance after its restart backoff, and never twice", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    expect(kinds(s.since(s.calls.length - 1))).toEqual(["suppress"]);
    s.status("web.1.1.1", "TASK_FAILED", "a2", { message: "exit 1" });
    expect(s.events.at(-1)).toMatchObject({ type: "failed", task: "web.1.1.1" });
    // The step revives for the relaunch; an offer within the 1 s backoff launches nothing.
    expect(s.calls.some((c) => c.kind === "revive")).toBe(true);
    expect(s.offer("a2")).toEqual([]);
    s.tick(1000);
    expect(s.offer("a2", "a4")).toHaveLength(1);
    expect(s.offer("a4")).toEqual([]);
  });

  it("holds an unreachable instance through its grace, replaces it after, and kills the duplicate when it returns", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    s.status("web.1.2.1", "TASK_UNREACHABLE", "a3");
    s.tick(4000);
    expect(s.offer("a4")).toEqual([]);
    s.tick(1000);
    expect(s.offer("a4")).toEqual([["a4", "web.1.2.2"]]);
    s.status("web.1.2.2", "TASK_RUNNING", "a4");
    const before = s.calls.length;
    s.status("web.1.2.1", "TASK_RUNNING", "a3");
    const kill = s.since(before).find((c) => c.kind === "kill");
    // The newer one goes: the original ran longer (tasks rank by incarnation).
    expect(kill).toMatchObject({ taskId: "web.1.2.2" });
  });

  it("keeps the task of the supervised release when an instance has two, one of another spec", () => {
    // An interrupted deploy left its new task beside the old one of instance 1. Task ids compare as text, so the
    // other release's id sorts first here, as release 18's does before release 6's.
    const other = { ...runningTask(1, "a4"), taskId: "web.0.1.1", release: 0, digest: "sha256:other" };
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3"), other]);
    const kills = s.calls.filter((c) => c.kind === "kill");
    expect(kills).toEqual([expect.objectContaining({ taskId: "web.0.1.1" })]);
  });

  it("asks about an unreachable task when its agent is seen again, and relaunches at once when it is gone", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    s.status("web.1.2.1", "TASK_UNREACHABLE", "a3", { source: "SOURCE_MASTER", uuid: undefined });
    s.tick(1000);
    // An offer of another agent, and the master's own updates, say nothing of a3.
    let before = s.calls.length;
    s.offer("a4");
    s.status("web.1.0.1", "TASK_RUNNING", "a1", { source: "SOURCE_MASTER", reason: "REASON_RECONCILIATION" });
    expect(s.since(before).filter((c) => c.kind === "reconcile")).toEqual([]);
    // a3 re-registered: a real master erases the tasks it did not report without a word (master.cpp
    // Master::__reregisterSlave), so only asking tells.
    before = s.calls.length;
    expect(s.offer("a3")).toEqual([]);
    expect(s.since(before).filter((c) => c.kind === "reconcile")).toEqual([
      { kind: "reconcile", tasks: [{ taskId: "web.1.2.1", agentId: "a3" }], resendOnFailure: false },
    ]);
    s.status("web.1.2.1", "TASK_GONE", "a3", {
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      uuid: undefined,
    });
    // Well within the unreachable grace, the instance is launched again.
    expect(s.offer("a4")).toEqual([["a4", "web.1.2.2"]]);
  });

  it("asks about an unreachable task when its agent reports another task again", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a2")]);
    const master = { source: "SOURCE_MASTER", uuid: undefined } as const;
    s.status("web.1.1.1", "TASK_UNREACHABLE", "a2", master);
    s.status("web.1.2.1", "TASK_UNREACHABLE", "a2", master);
    const before = s.calls.length;
    s.status("web.1.1.1", "TASK_RUNNING", "a2", { ...master, reason: "REASON_AGENT_REREGISTERED" });
    expect(s.since(before).filter((c) => c.kind === "reconcile")).toEqual([
      { kind: "reconcile", tasks: [{ taskId: "web.1.2.1", agentId: "a2" }], resendOnFailure: false },
    ]);
  });

  it("asks about tasks held as unreachable every unreachableAskMs while nothing shows their agent", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    s.status("web.1.2.1", "TASK_UNREACHABLE", "a3", { source: "SOURCE_MASTER", uuid: undefined });
    const question: SchedulerCall = {
      kind: "reconcile",
      tasks: [{ taskId: "web.1.2.1", agentId: "a3" }],
      resendOnFailure: false,
    };
    const asked = (from: number) =>
      s.since(from).filter((c) => JSON.stringify(c) === JSON.stringify(question));
    const step = DEFAULT_RECONCILE_TIMINGS.unreachableAskMs / 2;
    let before = s.calls.length;
    s.tick(step);
    expect(asked(before)).toEqual([]);
    s.tick(step);
    expect(asked(before)).toEqual([question]);
    // Still unreachable (the agent has not come back): asked again a whole interval later, not before.
    s.status("web.1.2.1", "TASK_UNREACHABLE", "a3", {
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      uuid: undefined,
    });
    before = s.calls.length;
    s.tick(step);
    expect(asked(before)).toEqual([]);
    s.tick(step);
    expect(asked(before)).toEqual([question]);
    // Gone: nothing is held as unreachable, so nothing more is asked.
    s.status("web.1.2.1", "TASK_GONE", "a3", {
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      uuid: undefined,
    });
    before = s.calls.length;
    s.tick(2 * step);
    expect(asked(before)).toEqual([]);
  });

  it("trips the disaster brake on mass loss, launches nothing while it holds, and releases when they return", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    s.status("web.1.0.1", "TASK_LOST", "a1");
    s.status("web.1.1.1", "TASK_UNREACHABLE", "a2");
    expect(s.state.supervision?.brake).toMatchObject({
      tripped: true,
      reason: "2 of 3 instances lost within 60s",
    });
    s.tick(10_000);
    expect(s.offer("a4", "a5")).toEqual([]);
    s.status("web.1.1.1", "TASK_RUNNING", "a2");
    expect(s.state.supervision?.brake.tripped).toBe(false);
    s.tick(100);
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
  });

  it("moves instances off an agent scheduled for maintenance: replacement first, then the kill, then ACCEPT", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")], target, MONDAY);
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    expect(s.events.filter((e) => e.type === "evacuate")).toEqual([
      expect.objectContaining({ agent: "a1.example" }),
    ]);
    // Nothing goes to the leaving agent; the original keeps running until its replacement runs.
    expect(s.offer("a1")).toEqual([]);
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
    expect(s.calls.some((c) => c.kind === "kill")).toBe(false);
    // Running, it counts after min_healthy_time (10 s), as a drain's move does.
    s.status("web.1.0.2", "TASK_RUNNING", "a4");
    s.tick(spec.update.minHealthyTimeMs - 100);
    expect(s.calls.some((c) => c.kind === "kill")).toBe(false);
    s.tick(100);
    expect(s.calls.filter((c) => c.kind === "kill")).toEqual([
      expect.objectContaining({ taskId: "web.1.0.1" }),
    ]);
    expect(s.calls.some((c) => c.kind === "accept_inverse_offers")).toBe(false);
    s.status("web.1.0.1", "TASK_KILLED", "a1");
    expect(s.calls.filter((c) => c.kind === "accept_inverse_offers")).toEqual([
      expect.objectContaining({ offers: [expect.objectContaining({ id: "io1" })] }),
    ]);
  });

  it("moves instances off a maintenance agent within max_surge: one replacement at a time, each counting first", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a1"), runningTask(2, "a3")], target, MONDAY);
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    // max_surge 1, max_unavailable 0: one replacement, and the next only once the first original is gone.
    expect(s.offer("a4", "a5")).toEqual([["a4", "web.1.0.2"]]);
    expect(s.offer("a4", "a5")).toEqual([]);
    s.status("web.1.0.2", "TASK_RUNNING", "a4");
    s.tick(spec.update.minHealthyTimeMs);
    expect(s.calls.filter((c) => c.kind === "kill")).toEqual([
      expect.objectContaining({ taskId: "web.1.0.1" }),
    ]);
    // Still live while it stops: the surge is full until it has ended.
    expect(s.offer("a4", "a5")).toEqual([]);
    s.status("web.1.0.1", "TASK_KILLED", "a1");
    expect(s.offer("a5")).toEqual([["a5", "web.1.1.2"]]);
  });

  it("moves instances off a maintenance agent within max_unavailable when the app allows no surge: stop, then start", () => {
    const unsurged = releaseOne(
      {
        ...spec,
        update: {
          ...spec.update,
          maxSurge: { kind: "count", value: 0 },
          maxUnavailable: { kind: "count", value: 1 },
        },
      },
      "deployed",
    );
    const s = reconciled(
      [runningTask(0, "a1"), runningTask(1, "a1"), runningTask(2, "a3")],
      unsurged,
      MONDAY,
    );
    const before = s.calls.length;
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    expect(s.since(before).filter((c) => c.kind === "kill")).toEqual([
      expect.objectContaining({ taskId: "web.1.0.1" }),
    ]);
    expect(s.offer("a4")).toEqual([]);
    s.status("web.1.0.1", "TASK_KILLED", "a1");
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
    s.status("web.1.0.2", "TASK_RUNNING", "a4");
    s.tick(spec.update.minHealthyTimeMs);
    expect(s.calls.filter((c) => c.kind === "kill").map((c) => (c.kind === "kill" ? c.taskId : ""))).toEqual([
      "web.1.0.1",
      "web.1.1.1",
    ]);
  });

  it("relaunches a lost instance while moves fill the surge: restoring is no rollout", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")], target, MONDAY);
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
    s.status("web.1.2.1", "TASK_FAILED", "a3");
    s.tick(spec.restart.backoffMs);
    expect(s.offer("a5")).toEqual([["a5", "web.1.2.2"]]);
  });

  it("says nothing of an agent scheduled for maintenance where the app runs nothing, and accepts its inverse offer", () => {
    // The master sends one to a framework that merely holds an offer of the agent.
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    const before = s.calls.length;
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a9", 3_600_000)] },
    });
    expect(s.events.filter((e) => e.type === "evacuate" || e.type === "inverse_offer")).toEqual([]);
    expect(s.since(before).filter((c) => c.kind !== "accept_inverse_offers")).toEqual([]);
    expect(s.since(before).filter((c) => c.kind === "accept_inverse_offers")).toEqual([
      expect.objectContaining({ offers: [expect.objectContaining({ id: "io1" })] }),
    ]);
    expect(s.state.tracked.leaving).toEqual(new Set());
  });

  it("moves an instance reconciliation finds on an agent whose inverse offer came before it, and answers after", () => {
    const known = [runningTask(0, "a1"), runningTask(1, "a2")];
    const s = supervisor(known);
    s.on({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } });
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a3", 3_600_000)] },
    });
    for (const task of known)
      s.status(task.taskId, "TASK_RUNNING", task.agentId, { reason: "REASON_RECONCILIATION" });
    s.tick(100);
    // Implicit reconciliation tells of instance 2, on a3: the agent is emptied after all.
    s.status("web.1.2.1", "TASK_RUNNING", "a3", { reason: "REASON_RECONCILIATION" });
    s.tick(DEFAULT_RECONCILE_TIMINGS.implicitSettleMs);
    expect(s.events.filter((e) => e.type === "evacuate")).toEqual([
      expect.objectContaining({ agent: "a3.example" }),
    ]);
    expect(s.calls.some((c) => c.kind === "accept_inverse_offers")).toBe(false);
    expect(s.offer("a4")).toEqual([["a4", "web.1.2.2"]]);
    s.status("web.1.2.2", "TASK_RUNNING", "a4");
    s.status("web.1.2.1", "TASK_KILLED", "a3");
    expect(s.calls.filter((c) => c.kind === "accept_inverse_offers")).toEqual([
      expect.objectContaining({ offers: [expect.objectContaining({ id: "io1" })] }),
    ]);
  });

  it("declines an inverse offer it cannot meet, its windows closed until the maintenance, until the next opens", () => {
    const saturday = Date.parse("2026-12-05T12:00:00Z");
    const monday = Date.parse("2026-12-07T00:00:00Z");
    const weekdays = { days: ["mon", "tue", "wed", "thu", "fri"] as const, startMinute: 0, endMinute: 1440 };
    const windowed = releaseOne(
      { ...spec, disruption: { windows: [{ ...weekdays, timeZone: "UTC" }] } },
      "deployed",
    );
    const s = reconciled(
      [runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")],
      windowed,
      saturday,
    );
    const before = s.calls.length;
    const untilMonday = Math.ceil((monday - s.now) / 1000);
    // Maintenance from Sunday noon: no window opens before it.
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", saturday + 86_400_000)] },
    });
    expect(s.since(before).filter((c) => c.kind.endsWith("inverse_offers"))).toEqual([
      {
        kind: "decline_inverse_offers",
        offers: [expect.objectContaining({ id: "io1" })],
        refuseSeconds: untilMonday,
      },
    ]);
    expect(s.events.filter((e) => e.type === "inverse_offer")).toEqual([
      { type: "inverse_offer", app: "web", agent: "a1.example", answer: "DECLINE" },
    ]);
    // Answered once: nothing more is sent for it.
    s.tick(1_000);
    expect(s.calls.filter((c) => c.kind.endsWith("inverse_offers"))).toHaveLength(1);

    // Maintenance that starts after Monday's window opens is held, unanswered, until the app has left the agent.
    const later = reconciled(
      [runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")],
      windowed,
      saturday,
    );
    later.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io2", "a1", monday + 3_600_000)] },
    });
    expect(later.calls.filter((c) => c.kind.endsWith("inverse_offers"))).toEqual([]);

    // The master asks again once the filter has passed: the window is open, the instance moves.
    s.tick(monday - s.now);
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io3", "a1", saturday + 86_400_000)] },
    });
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
    s.status("web.1.0.2", "TASK_RUNNING", "a4");
    s.tick(spec.update.minHealthyTimeMs);
    s.status("web.1.0.1", "TASK_KILLED", "a1");
    expect(s.calls.filter((c) => c.kind === "accept_inverse_offers")).toEqual([
      expect.objectContaining({ offers: [expect.objectContaining({ id: "io3" })] }),
    ]);
  });

  it("moves instances off a maintenance agent only inside the app's disruption windows, and within max_per_hour", () => {
    // Saturday 2026-12-05 12:00 UTC; the window is weekdays only.
    const saturday = Date.parse("2026-12-05T12:00:00Z");
    const weekdays = { days: ["mon", "tue", "wed", "thu", "fri"] as const, startMinute: 0, endMinute: 1440 };
    const windowed = releaseOne(
      { ...spec, disruption: { windows: [{ ...weekdays, timeZone: "UTC" }] } },
      "deployed",
    );
    const tasks = [runningTask(0, "a1"), runningTask(1, "a1"), runningTask(2, "a3")];
    const closed = reconciled(tasks, windowed, saturday);
    closed.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    expect(closed.offer("a4")).toEqual([]);
    // A lost instance is relaunched whatever the window: that restores, it takes nothing down.
    closed.status("web.1.2.1", "TASK_FAILED", "a3");
    closed.tick(spec.restart.backoffMs);
    expect(closed.offer("a4")).toEqual([["a4", "web.1.2.2"]]);

    // Inside a window (any day), at most one instance an hour moves.
    const paced = releaseOne(
      { ...spec, disruption: { maxPerHour: { kind: "count", value: 1 } } },
      "deployed",
    );
    const s = reconciled(tasks, paced);
    s.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 3_600_000)] },
    });
    expect(s.offer("a4")).toEqual([["a4", "web.1.0.2"]]);
    s.status("web.1.0.2", "TASK_RUNNING", "a4");
    s.status("web.1.0.1", "TASK_KILLED", "a1");
    expect(s.offer("a4")).toEqual([]);
    s.tick(3_600_000);
    expect(s.offer("a4")).toEqual([["a4", "web.1.1.2"]]);
  });

  it("holds a launch the master refuses every time at the longest restart backoff instead of ending", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2")]);
    for (let i = 0; i < 3; i++) {
      s.tick(spec.restart.maxDelayMs);
      const [launch] = s.offer("a4");
      expect(launch).toBeDefined();
      s.status(launch?.[1] ?? "", "TASK_ERROR", "a4", { source: "SOURCE_MASTER", message: "bad user" });
    }
    expect(s.warnings.at(-1)).toMatch(
      /Mesos refused task web\.1\.2\.3.*retrying at the longest restart backoff/,
    );
    expect(s.state.tracked.fatal).toBeUndefined();
    s.tick(spec.restart.maxDelayMs - 1000);
    expect(s.offer("a4")).toEqual([]);
    s.tick(1000);
    expect(s.offer("a4")).toEqual([["a4", "web.1.2.4"]]);
  });

  it("reconciles again when the interval passed, asking every task it knows", () => {
    const s = reconciled([runningTask(0, "a1"), runningTask(1, "a2"), runningTask(2, "a3")]);
    const before = s.calls.length;
    s.tick(60_000);
    expect(s.since(before).filter((c) => c.kind === "reconcile")).toEqual([
      expect.objectContaining({
        tasks: expect.arrayContaining([expect.objectContaining({ taskId: "web.1.0.1" })]),
      }),
    ]);
    expect(s.state.tracked.unanswered.size).toBe(3);
  });
});
