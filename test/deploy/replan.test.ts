import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { react } from "../../src/deploy/engine.js";
import { type EngineSettings, type EngineState, initialState } from "../../src/deploy/engine-state.js";
import { deployPlan, PLANNED_OFFER_WAIT_MS } from "../../src/deploy/replan.js";
import { step } from "../../src/deploy/step.js";
import { startTracking } from "../../src/deploy/tracking.js";
import type { TaskState } from "../../src/mesos/types/mesos.js";
import type { Agent } from "../../src/placement/types.js";
import { appSpec } from "../plan/builders.js";
import { releaseOne, runningTask } from "../support/engine-fixtures.js";

/** web, 3 instances, one per host; no instance may be down for a rollout's kill. */
const spec = appSpec({
  name: "web",
  image: undefined,
  instances: 3,
  ports: [],
  resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
  constraints: [{ kind: "unique", attribute: "hostname" }],
  update: {
    maxSurge: { kind: "count", value: 1 },
    maxUnavailable: { kind: "count", value: 0 },
    minHealthyTimeMs: 0,
    healthyDeadlineMs: 60_000,
    progressDeadlineMs: 60_000,
    autoRollback: true,
  },
});
const target = releaseOne(spec, "deployed");
const settings: EngineSettings = { seed: 1, region: null, autoRollback: true, reconnectDeadlineMs: 60_000 };

/** Room for two of web's tasks. */
function agent(id: string): Agent {
  const free = { cpus: 2, mem: 1024, disk: 0, gpus: 0 };
  return { id, hostname: `${id}.example`, attributes: {}, total: free, free, freePorts: [] };
}

/**
 * A subscribed engine that knows the tasks `known` in the states given, of the cluster's agents `agents`, with
 * instance 0 (not running) planned on e1; e1 never offers.
 */
function engine(known: ReadonlyArray<[TitanTask, TaskState]>, agents: readonly string[]): EngineState {
  const tasks = known.map(([task]) => task);
  const tracked = startTracking({
    app: "web",
    desired: 3,
    releases: [target.release],
    target,
    known: tasks,
    launchedBefore: [],
    now: 0,
  });
  const plan = deployPlan(new Map([[0, { agentId: "e1", hostname: "e1.example" }]]), {
    agents: agents.map(agent),
    known: tasks,
  });
  const ctx = { now: 0, settings, stopping: false };
  let state = react(
    initialState(tracked, plan),
    { type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } },
    ctx,
  ).state;
  for (const [task, taskState] of known) {
    const status = { task_id: { value: task.taskId }, state: taskState, agent_id: { value: task.agentId } };
    state = react(state, { type: "UPDATE", update: { status } }, ctx).state;
  }
  return step(state, 10, settings).state;
}

/** What the re-planning once e1's wait is over did with instance 0. */
function replannedInstanceZero(state: EngineState): unknown {
  const late = step(state, 10 + PLANNED_OFFER_WAIT_MS + 1, settings);
  return late.events.flatMap((e) => (e.type === "replan" ? e.changes : []));
}

describe("re-planning the rest of a rollout", () => {
  it("counts for the app's constraints only the tasks that stay: a surplus task's host takes the instance", () => {
    // Scaled in from 4 to 3 while instance 0 is down: surplus instance 3 on d1 runs until instance 0 counts
    // again (no instance may be down), and the plan, which counts it as gone, may put instance 0 on d1.
    const state = engine(
      [
        [runningTask(1, "b1"), "TASK_RUNNING"],
        [runningTask(2, "c1"), "TASK_RUNNING"],
        [runningTask(3, "d1"), "TASK_RUNNING"],
      ],
      ["b1", "c1", "d1", "e1"],
    );
    expect([...state.tracked.tasks.values()].filter((t) => t.killSent)).toEqual([]);
    expect(replannedInstanceZero(state)).toEqual([{ instance: 0, from: "e1.example", to: "d1.example" }]);
  });

  it("leaves out a task being killed too, even once a KILL sent again for it did not go through", () => {
    // Instance 3 (surplus) reports TASK_KILLING; a later KILL for it fails on the way to the master.
    const found = engine(
      [
        [runningTask(1, "b1"), "TASK_RUNNING"],
        [runningTask(2, "c1"), "TASK_RUNNING"],
        [runningTask(3, "d1"), "TASK_KILLING"],
      ],
      ["b1", "c1", "d1", "e1"],
    );
    const call = { kind: "kill" as const, taskId: "web.1.3.1", agentId: "d1", gracePeriodMs: 0 };
    const state = react(found, { type: "CALL_FAILED", call }, { now: 20, settings, stopping: false }).state;
    expect(state.tracked.tasks.get("web.1.3.1")?.state).toBe("TASK_KILLING");
    expect(replannedInstanceZero(state)).toEqual([{ instance: 0, from: "e1.example", to: "d1.example" }]);
  });

  it("counts an unreachable task of the release as no instance, as the plan does: its host takes the instance", () => {
    // Instance 0's task on d1 is cut off with its agent: the plan stands it for no instance and launches instance 0
    // anew, where a unique hostname does not keep it off d1.
    const state = engine(
      [
        [runningTask(0, "d1"), "TASK_UNREACHABLE"],
        [runningTask(1, "b1"), "TASK_RUNNING"],
        [runningTask(2, "c1"), "TASK_RUNNING"],
      ],
      ["b1", "c1", "d1", "e1"],
    );
    expect(state.tracked.tasks.get("web.1.0.1")?.state).toBe("TASK_UNREACHABLE");
    expect(replannedInstanceZero(state)).toEqual([{ instance: 0, from: "e1.example", to: "d1.example" }]);
  });
});
