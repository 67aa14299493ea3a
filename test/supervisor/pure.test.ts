import { describe, expect, it } from "vitest";
import {
  BRAKE_RELEASED,
  type BrakeSettings,
  brakeRecovered,
  brakeThreshold,
  noteLoss,
} from "../../src/deploy/brake.js";
import {
  beginRound,
  DEFAULT_RECONCILE_TIMINGS,
  dueReconcileCalls,
  NO_ROUNDS,
  periodicRoundDue,
  type ReconcileRounds,
  reconcileCallFailed,
} from "../../src/deploy/reconcile-rounds.js";
import type { Release } from "../../src/state/types.js";
import { countedRelease, desiredRelease } from "../../src/supervisor/app-supervisor.js";
import { supervisorLog } from "../../src/supervisor/log.js";
import { type AppStats, renderMetrics } from "../../src/supervisor/metrics.js";

describe("the disaster brake", () => {
  const losses = (settings: BrakeSettings, desired: number, ...lost: Array<[number, number]>) => {
    let brake = BRAKE_RELEASED;
    const tripped: boolean[] = [];
    for (const [instance, now] of lost) {
      const noted = noteLoss(brake, settings, { instance, now, desired });
      brake = noted.brake;
      tripped.push(noted.tripped);
    }
    return { brake, tripped };
  };

  it("trips on distinct instances lost within the window, at both the count and the fraction", () => {
    const settings = { count: 3, fraction: 0.5, windowMs: 60_000 };
    expect(brakeThreshold(settings, 4)).toBe(3);
    expect(brakeThreshold(settings, 10)).toBe(5);
    // The same instance crashing again is one loss, not two; only the loss that trips it says so.
    const { brake, tripped } = losses(settings, 4, [0, 0], [0, 1000], [1, 2000], [2, 3000], [3, 4000]);
    expect(tripped).toEqual([false, false, false, true, false]);
    expect(brake).toMatchObject({ tripped: true, since: 3000, reason: "3 of 4 instances lost within 60s" });
  });

  it("forgets losses older than the window", () => {
    const settings = { count: 2, fraction: 0, windowMs: 10_000 };
    expect(losses(settings, 3, [0, 0], [1, 10_001]).brake.tripped).toBe(false);
    expect(losses(settings, 3, [0, 0], [1, 10_001], [2, 10_002]).tripped).toEqual([false, false, true]);
  });

  it("never trips for an app too small to reach the count", () => {
    const settings = { count: 3, fraction: 0.5, windowMs: 60_000 };
    expect(losses(settings, 2, [0, 0], [1, 0]).brake.tripped).toBe(false);
  });

  it("releases when enough instances are back, and starts over with no losses", () => {
    const settings = { count: 2, fraction: 0.5, windowMs: 60_000 };
    const { brake } = losses(settings, 3, [0, 0], [1, 0]);
    expect(brakeRecovered(brake, settings, { missing: 2, desired: 3, now: 100 }).released).toBe(false);
    const back = brakeRecovered(brake, settings, { missing: 1, desired: 3, now: 100 });
    expect(back.released).toBe(true);
    expect(back.brake).toEqual(BRAKE_RELEASED);
    // Released: the old losses no longer count.
    expect(noteLoss(back.brake, settings, { instance: 1, now: 300, desired: 3 }).tripped).toBe(false);
  });
});

describe("the reconciliation rounds", () => {
  const timings = { ...DEFAULT_RECONCILE_TIMINGS, intervalMs: 60_000, holdMs: 10_000 };

  /** Drives the rounds as the step does, with the tasks still unanswered at each time. */
  function due(rounds: ReconcileRounds, unanswered: string[], now: number, t = timings) {
    return dueReconcileCalls(rounds, new Set(unanswered), now, t);
  }

  it("asks explicitly, re-asks the unanswered with a truncated exponential backoff, then implicitly", () => {
    const t = { ...timings, retryMaxMs: 4000 };
    let r = beginRound(NO_ROUNDS, 0, t);
    const seen: Array<[number, unknown]> = [];
    const look = (unanswered: string[], now: number) => {
      const next = due(r, unanswered, now, t);
      r = next.rounds;
      seen.push([now, next.calls]);
    };
    look(["a", "b"], 0);
    look(["b"], 999);
    look(["b"], 1000);
    look(["b"], 2999);
    look(["b"], 3000);
    look(["b"], 7000);
    // Capped at 4 s; the implicit call waits no longer than the hold.
    look(["b"], 11_000);
    expect(r.lastCompletedAt).toBeUndefined();
    look(["b"], 12_000);
    expect(seen).toEqual([
      [0, [{ kind: "explicit", taskIds: ["a", "b"] }]],
      [999, []],
      [1000, [{ kind: "explicit", taskIds: ["b"] }]],
      [2999, []],
      [3000, [{ kind: "explicit", taskIds: ["b"] }]],
      [7000, [{ kind: "explicit", taskIds: ["b"] }]],
      [11_000, [{ kind: "explicit", taskIds: ["b"] }, { kind: "implicit" }]],
      [12_000, []],
    ]);
    expect(r.lastCompletedAt).toBe(12_000);
    expect(r.calls).toBe(6);
  });

  it("goes implicit at once when every task answered, and a new round is due after the interval", () => {
    let r = beginRound(NO_ROUNDS, 0, timings);
    r = due(r, ["a"], 0).rounds;
    const implicit = due(r, [], 10);
    expect(implicit.calls).toEqual([{ kind: "implicit" }]);
    r = due(implicit.rounds, [], 1010).rounds;
    expect(r.lastCompletedAt).toBe(1010);
    expect(periodicRoundDue(r, 61_009, timings)).toBe(false);
    expect(periodicRoundDue(r, 61_010, timings)).toBe(true);
  });

  it("sends a call that failed again on the next look", () => {
    const r = due(beginRound(NO_ROUNDS, 0, timings), [], 0);
    expect(r.calls).toEqual([{ kind: "implicit" }]);
    expect(due(reconcileCallFailed(r.rounds, "implicit"), [], 1).calls).toEqual([{ kind: "implicit" }]);
    const asked = due(beginRound(NO_ROUNDS, 0, timings), ["a"], 0).rounds;
    expect(due(asked, ["a"], 1).calls).toEqual([]);
    expect(due(reconcileCallFailed(asked, "explicit"), ["a"], 1).calls).toEqual([
      { kind: "explicit", taskIds: ["a"] },
    ]);
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
    awaitingOffers: 1,
    inBackoff: 2,
    backoff: [],
    lastReconciledAt: 1000,
    brake: false,
  };

  it("renders Prometheus text with one sample per app and state", () => {
    const text = renderMetrics([stats], 3500);
    expect(text).toContain("# TYPE titan_supervisor_relaunches_total counter\n");
    expect(text).toContain('titan_supervisor_tasks{app="web",state="TASK_RUNNING"} 2\n');
    expect(text).toContain('titan_supervisor_tasks{app="web",state="TASK_STAGING"} 1\n');
    expect(text).toContain('titan_supervisor_relaunches_total{app="web"} 4\n');
    expect(text).toContain('titan_supervisor_instances_awaiting_offers{app="web"} 1\n');
    expect(text).toContain('titan_supervisor_instances_in_backoff{app="web"} 2\n');
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

describe("the count a supervisor keeps", () => {
  const release = (
    number: number,
    outcome: Release["outcome"],
    digest: string,
    instances: number,
  ): Release => ({
    app: "web",
    number,
    manifestDigest: digest,
    spec: { name: "web", instances } as Release["spec"],
    createdAt: number,
    user: "me",
    outcome,
  });
  const deployed = release(1, "deployed", "sha256:a", 3);

  it("is a pending release's of the same spec (an interrupted stop or scale), else the deployed one's", () => {
    const stop = release(2, "pending", "sha256:a", 0);
    expect(countedRelease([deployed, stop], deployed)).toBe(stop);
    expect(countedRelease([deployed, release(2, "pending", "sha256:b", 5)], deployed)).toBe(deployed);
    expect(countedRelease([deployed, release(2, "failed", "sha256:a", 0)], deployed)).toBe(deployed);
    expect(countedRelease([deployed], deployed)).toBe(deployed);
    expect(desiredRelease([deployed, stop])).toBe(deployed);
  });
});
