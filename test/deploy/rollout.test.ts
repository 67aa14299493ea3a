import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { counts, nextActions, type RolloutTask } from "../../src/deploy/rollout.js";

const limits = { desired: 3, maxSurge: 1, maxUnavailable: 0, minHealthyMs: 100 };

function task(instance: number, current: boolean, extra: Partial<RolloutTask> = {}): RolloutTask {
  return {
    taskId: `app.${current ? 2 : 1}.${instance}.1`,
    instance,
    incarnation: 1,
    current,
    phase: "running",
    healthySince: 0,
    ...extra,
  };
}

describe("nextActions", () => {
  it("launches every missing instance of a first deploy up to desired + surge", () => {
    const decision = nextActions({ ...limits, now: 0, tasks: [] });
    expect(decision.actions).toEqual([
      { kind: "launch", instance: 0 },
      { kind: "launch", instance: 1 },
      { kind: "launch", instance: 2 },
    ]);
    expect(decision.done).toBe(false);
  });

  it("is done when every instance has one current task that counted for min_healthy_time", () => {
    const tasks = [0, 1, 2].map((i) => task(i, true));
    expect(nextActions({ ...limits, now: 1000, tasks })).toEqual({
      actions: [],
      done: true,
      pending: [],
      heldForBudget: [],
    });
    expect(nextActions({ ...limits, now: 50, tasks }).done).toBe(false);
  });

  it("replaces one at a time with surge 1 and kills an old task only after its replacement counts", () => {
    const old = [0, 1, 2].map((i) => task(i, false));
    const first = nextActions({ ...limits, now: 1000, tasks: old });
    expect(first.actions).toEqual([{ kind: "launch", instance: 0 }]);

    const starting = task(0, true, { phase: "starting", healthySince: undefined });
    expect(nextActions({ ...limits, now: 1000, tasks: [...old, starting] }).actions).toEqual([]);

    const young = task(0, true, { healthySince: 950 });
    expect(nextActions({ ...limits, now: 1000, tasks: [...old, young] }).actions).toEqual([]);

    const counted = task(0, true, { healthySince: 500 });
    expect(nextActions({ ...limits, now: 1000, tasks: [...old, counted] }).actions).toEqual([
      { kind: "kill", taskId: "app.1.0.1", instance: 0, reason: "replaced" },
    ]);
  });

  it("launches missing instances before replacing running ones, in the order titan plan shows its steps", () => {
    // Two old instances run; the release adds a third: the plan's step 1 launches it, step 2 replaces instance 0.
    const old = [0, 1].map((i) => task(i, false));
    expect(nextActions({ ...limits, now: 1000, tasks: old }).actions).toEqual([
      { kind: "launch", instance: 2 },
      { kind: "launch", instance: 0 },
    ]);
    // With a replacement of instance 1 under way (a re-run), the missing instances still go first.
    const starting = task(1, true, { phase: "starting", healthySince: undefined });
    const wide = { ...limits, desired: 4, maxSurge: 2 };
    expect(nextActions({ ...wide, now: 1000, tasks: [...old, starting] }).actions).toEqual([
      { kind: "launch", instance: 2 },
      { kind: "launch", instance: 3 },
      { kind: "launch", instance: 0 },
    ]);
  });

  it("stops surplus tasks before replacing any instance, as the plan's first step does", () => {
    // Five old instances, the release wants three of another spec: instances 3 and 4 go first, and no wanted
    // instance is left without a task while the surplus still runs.
    const old = [0, 1, 2, 3, 4].map((i) => task(i, false));
    const wide = { ...limits, desired: 3, maxSurge: 2, maxUnavailable: 0 };
    expect(nextActions({ ...wide, now: 1000, tasks: old }).actions).toEqual([
      { kind: "kill", taskId: "app.1.3.1", instance: 3, reason: "surplus" },
      { kind: "kill", taskId: "app.1.4.1", instance: 4, reason: "surplus" },
    ]);
  });

  it("stops old tasks in instance order when the unavailability budget lets some go first", () => {
    const old = [2, 0, 1].map((i) => task(i, false));
    const decision = nextActions({ ...limits, maxSurge: 0, maxUnavailable: 1, now: 1000, tasks: old });
    expect(decision.actions[0]).toEqual({
      kind: "kill",
      taskId: "app.1.0.1",
      instance: 0,
      reason: "replaced",
    });
  });

  it("replaces no counting task of the previous release once the target failed after counting", () => {
    const old = [0, 1, 2].map((i) => task(i, false));
    const counted = task(1, true, { healthySince: 500 });
    const input = { ...limits, maxUnavailable: 1, now: 1000, tasks: [...old, counted] };
    expect(nextActions(input).actions.filter((a) => a.kind === "kill")).not.toEqual([]);
    expect(nextActions({ ...input, keepPrevious: true }).actions).toEqual([]);
  });

  it("holds an unknown task's instance: nothing launched in its place, never killed, never counting", () => {
    const unknown = task(0, true, { phase: "unknown" });
    const others = [1, 2].map((i) => task(i, true));
    const decision = nextActions({ ...limits, maxSurge: 3, now: 1000, tasks: [unknown, ...others] });
    expect(decision.actions).toEqual([]);
    expect(decision.done).toBe(false);
    const duplicate = task(0, true, { taskId: "app.2.0.2", incarnation: 2 });
    const withDuplicate = nextActions({ ...limits, now: 1000, tasks: [unknown, duplicate, ...others] });
    expect(withDuplicate.actions).toEqual([]);
  });

  it("uses max_unavailable to stop old tasks before their replacements start", () => {
    const old = [0, 1, 2].map((i) => task(i, false));
    const decision = nextActions({ ...limits, maxSurge: 0, maxUnavailable: 1, now: 1000, tasks: old });
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "app.1.0.1", instance: 0, reason: "replaced" },
    ]);
  });

  it("kills surplus instances on a scale-in and duplicates of an instance", () => {
    const tasks = [
      task(0, true),
      task(1, true),
      task(2, true),
      task(3, true),
      { ...task(1, true), taskId: "app.2.1.2", incarnation: 2 },
    ];
    const decision = nextActions({ ...limits, now: 1000, tasks });
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "app.2.1.2", instance: 1, reason: "duplicate" },
      { kind: "kill", taskId: "app.2.3.1", instance: 3, reason: "surplus" },
    ]);
  });

  it("waits for the restart backoff before relaunching a failed instance", () => {
    const tasks = [task(0, true), task(1, true)];
    const backoffUntil = new Map([[2, 2000]]);
    expect(nextActions({ ...limits, now: 1000, tasks, backoffUntil }).actions).toEqual([]);
    expect(nextActions({ ...limits, now: 2000, tasks, backoffUntil }).actions).toEqual([
      { kind: "launch", instance: 2 },
    ]);
  });

  it("neither counts nor kills an unreachable task, and replaces it outside the surge", () => {
    const tasks = [task(0, true), task(1, true), task(2, true, { phase: "unreachable" })];
    const decision = nextActions({ ...limits, maxSurge: 0, now: 1000, tasks });
    expect(decision.actions).toEqual([{ kind: "launch", instance: 2 }]);
    expect(decision.pending).toEqual([2]);
    expect(decision.done).toBe(false);
  });

  it("launches the instance of an unreachable task with the missing ones, before replacements, as the plan's launch step", () => {
    // titan plan shows such an instance as a launch (its task stands for nothing), and launches go before replaces.
    const tasks = [
      task(0, false),
      task(1, false),
      task(2, false, { phase: "unreachable", healthySince: undefined }),
    ];
    const decision = nextActions({ ...limits, now: 1000, tasks });
    expect(decision.actions).toEqual([
      { kind: "launch", instance: 2 },
      { kind: "launch", instance: 0 },
    ]);
    expect(decision.pending).toEqual([2, 0, 1]);
  });

  it("replaces every instance of a lost agent at once, and is done once they count, the lost tasks left behind", () => {
    // A master keeps an unreachable task for weeks and cannot kill it: the rollout neither waits nor ends on it.
    const lost = [0, 1, 2].map((i) => task(i, true, { phase: "unreachable", healthySince: undefined }));
    expect(nextActions({ ...limits, now: 1000, tasks: lost }).actions).toEqual([
      { kind: "launch", instance: 0 },
      { kind: "launch", instance: 1 },
      { kind: "launch", instance: 2 },
    ]);
    const replacements = [0, 1, 2].map((i) => task(i, true, { taskId: `app.2.${i}.2`, incarnation: 2 }));
    expect(nextActions({ ...limits, now: 1000, tasks: [...lost, ...replacements] })).toEqual({
      actions: [],
      done: true,
      pending: [],
      heldForBudget: [],
    });
  });
});

/** One random thing the cluster does between two decisions. */
type Step =
  | { kind: "advance"; ms: number }
  | { kind: "start"; pick: number }
  | { kind: "healthy"; pick: number }
  | { kind: "terminate"; pick: number }
  | { kind: "fail"; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant("start" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("healthy" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("terminate" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("fail" as const), pick: fc.nat() }),
);

const scenarioArb = fc.record({
  desired: fc.integer({ min: 0, max: 8 }),
  maxSurge: fc.integer({ min: 0, max: 3 }),
  maxUnavailable: fc.integer({ min: 0, max: 3 }),
  minHealthyMs: fc.integer({ min: 0, max: 200 }),
  oldCount: fc.integer({ min: 0, max: 10 }),
  steps: fc.array(stepArb, { maxLength: 120 }),
  failures: fc.boolean(),
});

describe("nextActions under any sequence of cluster events", () => {
  it("never exceeds desired + surge, never kills below desired − unavailable, and converges", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const maxSurge = s.maxSurge + s.maxUnavailable === 0 ? 1 : s.maxSurge;
        const lim = {
          desired: s.desired,
          maxSurge,
          maxUnavailable: s.maxUnavailable,
          minHealthyMs: s.minHealthyMs,
        };
        const ceiling = s.desired + maxSurge;
        const floor = Math.max(0, s.desired - s.maxUnavailable);
        let now = 1000;
        let next = 0;
        let tasks: RolloutTask[] = Array.from({ length: s.oldCount }, (_, i) => ({
          taskId: `old.${i}`,
          instance: i % Math.max(1, s.desired + 1),
          incarnation: 1,
          current: false,
          phase: "running" as const,
          healthySince: 0,
        }));
        const decide = (): boolean => {
          const before = tasks.filter((t) => counts(t, now, lim.minHealthyMs)).length;
          const liveBefore = tasks.length;
          const decision = nextActions({ ...lim, now, tasks });
          for (const action of decision.actions) {
            if (action.kind === "kill") {
              const target = tasks.find((t) => t.taskId === action.taskId);
              expect(target?.phase).not.toBe("killing");
              tasks = tasks.map((t) =>
                t.taskId === action.taskId ? { ...t, phase: "killing" as const } : t,
              );
            } else {
              tasks.push({
                taskId: `new.${next++}`,
                instance: action.instance,
                incarnation: next,
                current: true,
                phase: "starting",
              });
            }
          }
          const after = tasks.filter((t) => counts(t, now, lim.minHealthyMs) && t.phase !== "killing").length;
          expect(tasks.length).toBeLessThanOrEqual(Math.max(ceiling, liveBefore));
          expect(after).toBeGreaterThanOrEqual(Math.min(floor, before));
          return decision.done;
        };
        const pickOf = (pick: number, phase: RolloutTask["phase"]): RolloutTask | undefined => {
          const candidates = tasks.filter((t) => t.phase === phase);
          return candidates[pick % Math.max(1, candidates.length)];
        };
        for (const step of s.steps) {
          decide();
          if (step.kind === "advance") now += step.ms;
          else if (step.kind === "start") {
            const t = pickOf(step.pick, "starting");
            if (t) t.phase = "running";
          } else if (step.kind === "healthy") {
            const t = tasks.filter((x) => x.phase === "running" && x.healthySince === undefined)[0];
            if (t) t.healthySince = now;
          } else if (step.kind === "terminate") {
            const t = pickOf(step.pick, "killing");
            if (t) tasks = tasks.filter((x) => x !== t);
          } else if (s.failures) {
            const t = pickOf(step.pick, "running");
            if (t) tasks = tasks.filter((x) => x !== t);
          }
        }
        // Left alone without failures, the cluster does what was asked and the rollout finishes.
        for (let round = 0; round < 200; round++) {
          if (decide()) break;
          for (const t of tasks) {
            if (t.phase === "starting") t.phase = "running";
            else if (t.phase === "running" && t.healthySince === undefined) t.healthySince = now;
          }
          tasks = tasks.filter((t) => t.phase !== "killing");
          now += 100;
        }
        expect(decide()).toBe(true);
        expect(tasks.every((t) => t.current && t.instance < s.desired)).toBe(true);
        expect(new Set(tasks.map((t) => t.instance)).size).toBe(s.desired);
      }),
      { numRuns: 300 },
    );
  });
});

describe("nextActions under a disruption budget", () => {
  const old = [0, 1, 2].map((i) => task(i, false));

  it("starts replacing only as many running instances as the hour allows, and holds the rest", () => {
    const decision = nextActions({ ...limits, maxSurge: 3, now: 1000, tasks: old, disruptionAllowance: 1 });
    expect(decision.actions).toEqual([{ kind: "launch", instance: 0 }]);
    expect(decision.heldForBudget).toEqual([1, 2]);
    // Without a budget the surge alone decides.
    expect(nextActions({ ...limits, maxSurge: 3, now: 1000, tasks: old }).actions).toHaveLength(3);
  });

  it("counts a replacement on its way once: its old task's kill takes no second share", () => {
    const counted = task(0, true, { healthySince: 500 });
    // The hour's allowance of 1 is held by instance 0, whose replacement runs beside its old task.
    const decision = nextActions({ ...limits, now: 1000, tasks: [...old, counted], disruptionAllowance: 1 });
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "app.1.0.1", instance: 0, reason: "replaced" },
    ]);
    // The others wait for the surge, not for the budget, yet.
    expect(decision.heldForBudget).toEqual([]);
    // Once that kill is counted in the hour, the next replacement waits for the budget.
    const replaced = [counted, ...old.slice(1)];
    const next = nextActions({ ...limits, now: 1000, tasks: replaced, disruptionAllowance: 0 });
    expect(next.actions).toEqual([]);
    expect(next.heldForBudget).toEqual([1, 2]);
    expect(nextActions({ ...limits, now: 1000, tasks: replaced, disruptionAllowance: 1 }).actions).toEqual([
      { kind: "launch", instance: 1 },
    ]);
  });

  it("takes a share when an old task is killed first (max_unavailable), and none again for its launch", () => {
    const decision = nextActions({
      ...limits,
      maxSurge: 0,
      maxUnavailable: 2,
      now: 1000,
      tasks: old,
      disruptionAllowance: 1,
    });
    // Its launch comes once the old task is gone (a surge of 0 has no room before), and takes no share then.
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "app.1.0.1", instance: 0, reason: "replaced" },
    ]);
    expect(decision.heldForBudget).toEqual([1, 2]);
    const next = nextActions({
      ...limits,
      maxSurge: 0,
      maxUnavailable: 2,
      now: 1000,
      tasks: old.slice(1),
      disruptionAllowance: 0,
    });
    expect(next.actions).toEqual([{ kind: "launch", instance: 0 }]);
    expect(next.heldForBudget).toEqual([1, 2]);
  });

  it("never holds launches of missing instances, surplus kills or tasks that never ran", () => {
    const starting = task(1, false, { phase: "starting", healthySince: undefined });
    const surplus = task(5, false, { phase: "starting", healthySince: undefined });
    const decision = nextActions({
      ...limits,
      maxSurge: 3,
      now: 1000,
      tasks: [starting, surplus],
      disruptionAllowance: 0,
    });
    expect(decision.actions).toEqual([
      { kind: "kill", taskId: "app.1.5.1", instance: 5, reason: "surplus" },
      { kind: "kill", taskId: "app.1.1.1", instance: 1, reason: "replaced" },
      { kind: "launch", instance: 0 },
      { kind: "launch", instance: 1 },
      { kind: "launch", instance: 2 },
    ]);
    expect(decision.heldForBudget).toEqual([]);
  });
});
