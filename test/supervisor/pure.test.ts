import { describe, expect, it } from "vitest";
import { DisasterBrake } from "../../src/supervisor/brake.js";
import { missingInstances, type SupervisedTask, superviseDecision } from "../../src/supervisor/decide.js";
import { supervisorLog } from "../../src/supervisor/log.js";
import { type AppStats, renderMetrics } from "../../src/supervisor/metrics.js";
import { DEFAULT_RECONCILE_TIMINGS, ReconcileSchedule } from "../../src/supervisor/reconcile-schedule.js";

const task = (
  over: Partial<SupervisedTask> & Pick<SupervisedTask, "taskId" | "instance">,
): SupervisedTask => ({
  incarnation: Number(over.taskId.split(".")[3] ?? 1),
  state: "TASK_RUNNING",
  killSent: false,
  unanswered: false,
  healthySince: 0,
  ...over,
});

describe("the disaster brake", () => {
  it("trips on distinct instances lost within the window, at both the count and the fraction", () => {
    const brake = new DisasterBrake({ count: 3, fraction: 0.5, windowMs: 60_000 });
    expect(brake.threshold(4)).toBe(3);
    expect(brake.threshold(10)).toBe(5);
    expect(brake.lost(0, 0, 4)).toBe(false);
    // The same instance crashing again is one loss, not two.
    expect(brake.lost(0, 1000, 4)).toBe(false);
    expect(brake.lost(1, 2000, 4)).toBe(false);
    expect(brake.lost(2, 3000, 4)).toBe(true);
    expect(brake.current).toMatchObject({
      tripped: true,
      since: 3000,
      reason: "3 of 4 instances lost within 60s",
    });
    expect(brake.lost(3, 4000, 4)).toBe(false);
  });

  it("forgets losses older than the window", () => {
    const brake = new DisasterBrake({ count: 2, fraction: 0, windowMs: 10_000 });
    expect(brake.lost(0, 0, 3)).toBe(false);
    expect(brake.lost(1, 10_001, 3)).toBe(false);
    expect(brake.current.tripped).toBe(false);
    expect(brake.lost(2, 10_002, 3)).toBe(true);
  });

  it("never trips for an app too small to reach the count", () => {
    const brake = new DisasterBrake({ count: 3, fraction: 0.5, windowMs: 60_000 });
    expect(brake.lost(0, 0, 2)).toBe(false);
    expect(brake.lost(1, 0, 2)).toBe(false);
    expect(brake.current.tripped).toBe(false);
  });

  it("releases when enough instances are back, or when an operator acts", () => {
    const brake = new DisasterBrake({ count: 2, fraction: 0.5, windowMs: 60_000 });
    brake.lost(0, 0, 3);
    brake.lost(1, 0, 3);
    expect(brake.recovered(2, 3, 100)).toBe(false);
    expect(brake.recovered(1, 3, 100)).toBe(true);
    expect(brake.current.tripped).toBe(false);
    brake.lost(0, 200, 3);
    brake.lost(2, 200, 3);
    expect(brake.current.tripped).toBe(true);
    brake.release();
    expect(brake.current).toEqual({ tripped: false });
    // Released: the old losses no longer count.
    expect(brake.lost(1, 300, 3)).toBe(false);
  });
});

describe("the reconciliation schedule", () => {
  const timings = { ...DEFAULT_RECONCILE_TIMINGS, intervalMs: 60_000, holdMs: 10_000 };
  const known = () => ["a", "b"];

  it("asks explicitly, re-asks the unanswered with a truncated exponential backoff, then implicitly", () => {
    const s = new ReconcileSchedule({ ...timings, retryMaxMs: 4000 });
    s.begin(0, ["a", "b"]);
    expect(s.due(0, known)).toEqual([{ kind: "explicit", taskIds: ["a", "b"] }]);
    s.answered("a");
    expect(s.due(999, known)).toEqual([]);
    expect(s.due(1000, known)).toEqual([{ kind: "explicit", taskIds: ["b"] }]);
    expect(s.due(2999, known)).toEqual([]);
    expect(s.due(3000, known)).toEqual([{ kind: "explicit", taskIds: ["b"] }]);
    expect(s.due(7000, known)).toEqual([{ kind: "explicit", taskIds: ["b"] }]);
    // Capped at 4 s.
    expect(s.due(11_000, known)).toEqual([{ kind: "explicit", taskIds: ["b"] }, { kind: "implicit" }]);
    expect(s.settled()).toBe(false);
    expect(s.due(12_000, known)).toEqual([]);
    expect(s.settled()).toBe(true);
    expect(s.lastReconciledAt).toBe(12_000);
    expect(s.unanswered()).toEqual(new Set(["b"]));
  });

  it("goes implicit at once when every task answered, and starts a new round after the interval", () => {
    const s = new ReconcileSchedule(timings);
    s.begin(0, ["a"]);
    expect(s.due(0, known)).toEqual([{ kind: "explicit", taskIds: ["a"] }]);
    s.answered("a");
    expect(s.due(10, known)).toEqual([{ kind: "implicit" }]);
    expect(s.due(1010, known)).toEqual([]);
    expect(s.lastReconciledAt).toBe(1010);
    expect(s.due(61_009, known)).toEqual([]);
    expect(s.due(61_010, known)).toEqual([{ kind: "explicit", taskIds: ["a", "b"] }]);
    expect(s.calls).toBe(3);
  });

  it("sends a call that failed again on the next look", () => {
    const s = new ReconcileSchedule(timings);
    s.begin(0, []);
    const [implicit] = s.due(0, known);
    expect(implicit).toEqual({ kind: "implicit" });
    if (implicit) s.failed(implicit);
    expect(s.due(1, known)).toEqual([{ kind: "implicit" }]);
  });
});

describe("what the supervisor decides", () => {
  const base = { desired: 3, now: 10_000, backoffUntil: new Map<number, number>(), unreachableGraceMs: 5000 };

  it("launches missing instances after their backoff and kills duplicates and surplus", () => {
    const decision = superviseDecision({
      ...base,
      backoffUntil: new Map([[2, 20_000]]),
      tasks: [
        task({ taskId: "web.1.0.1", instance: 0 }),
        task({ taskId: "web.1.0.2", instance: 0, healthySince: undefined, state: "TASK_STAGING" }),
        task({ taskId: "web.1.3.1", instance: 3 }),
      ],
    });
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "web.1.0.2", instance: 0, reason: "duplicate" },
      { kind: "kill", taskId: "web.1.3.1", instance: 3, reason: "surplus" },
      { kind: "launch", instance: 1 },
    ]);
    expect(decision.pending).toEqual([1, 2]);
  });

  it("keeps a task of any release: a supervisor never rolls", () => {
    const decision = superviseDecision({
      ...base,
      desired: 1,
      tasks: [task({ taskId: "web.7.0.1", instance: 0 })],
    });
    expect(decision.actions).toEqual([]);
  });

  it("holds an unreachable instance through its grace, then replaces it, never killing the original", () => {
    const unreachable = task({
      taskId: "web.1.0.1",
      instance: 0,
      state: "TASK_UNREACHABLE",
      unreachableSince: 6000,
    });
    const within = superviseDecision({ ...base, desired: 1, tasks: [unreachable] });
    expect(within.actions).toEqual([]);
    const after = superviseDecision({ ...base, desired: 1, now: 11_000, tasks: [unreachable] });
    expect(after.actions).toEqual([{ kind: "launch", instance: 0 }]);
  });

  it("never launches in place of a task reconciliation has not answered", () => {
    const decision = superviseDecision({
      ...base,
      desired: 1,
      tasks: [task({ taskId: "web.1.0.1", instance: 0, unanswered: true, state: "TASK_STAGING" })],
    });
    expect(decision.actions).toEqual([]);
  });

  it("counts the instances without a task that runs or may run", () => {
    expect(
      missingInstances(3, [
        task({ taskId: "web.1.0.1", instance: 0 }),
        task({ taskId: "web.1.1.1", instance: 1, state: "TASK_UNREACHABLE" }),
        task({ taskId: "web.1.2.1", instance: 2, state: "TASK_STAGING", unanswered: true }),
      ]),
    ).toBe(1);
  });
});

describe("the supervisor's output", () => {
  const stats: AppStats = {
    app: "web",
    mode: "supervising",
    leader: true,
    desired: 3,
    tasksByState: { TASK_RUNNING: 2, TASK_STAGING: 1 },
    relaunches: 4,
    offersDeclined: 10,
    reconcileCalls: 3,
    unanswered: 0,
    lastReconciledAt: 1000,
    brake: false,
  };

  it("renders Prometheus text with one sample per app and state", () => {
    const text = renderMetrics([stats], 3500);
    expect(text).toContain("# TYPE titan_supervisor_relaunches_total counter\n");
    expect(text).toContain('titan_supervisor_tasks{app="web",state="TASK_RUNNING"} 2\n');
    expect(text).toContain('titan_supervisor_tasks{app="web",state="TASK_STAGING"} 1\n');
    expect(text).toContain('titan_supervisor_relaunches_total{app="web"} 4\n');
    expect(text).toContain('titan_supervisor_offers_declined_total{app="web"} 10\n');
    expect(text).toContain('titan_supervisor_reconciliation_age_seconds{app="web"} 2.500\n');
    expect(text).toContain('titan_supervisor_leader{app="web"} 1\n');
    expect(text).toContain('titan_supervisor_brake{app="web"} 0\n');
    expect(text).toContain('titan_supervisor_mode{app="web",mode="supervising"} 1\n');
    expect(text).toContain('titan_supervisor_mode{app="web",mode="standby"} 0\n');
    expect(text.endsWith("\n")).toBe(true);
  });

  it("logs text with quoted values, or JSON lines", () => {
    const lines: string[] = [];
    const text = supervisorLog({ json: false, debug: false, now: () => 0, write: (l) => lines.push(l) });
    text.info("web", "launch", { task: "web.1.0.2", host: "a b" });
    text.debug("web", "hidden");
    const json = supervisorLog({ json: true, debug: true, now: () => 0, write: (l) => lines.push(l) });
    json.error("web", "DISASTER BRAKE", { instance: 2 });
    expect(lines).toEqual([
      '1970-01-01T00:00:00.000Z info  web launch task=web.1.0.2 host="a b"',
      '{"time":"1970-01-01T00:00:00.000Z","level":"error","app":"web","msg":"DISASTER BRAKE","instance":2}',
    ]);
  });
});
