import { describe, expect, it } from "vitest";
import type { SchedulerCall } from "../../src/deploy/calls.js";
import { type EngineEvent, react } from "../../src/deploy/engine.js";
import { type EngineSettings, type EngineState, initialState } from "../../src/deploy/engine-state.js";
import { deployPlan } from "../../src/deploy/replan.js";
import { KILL_RETRY_MS, type StepResult, step } from "../../src/deploy/step.js";
import { type AppTarget, startTracking } from "../../src/deploy/tracking.js";
import type { AppSpec } from "../../src/manifest/types.js";
import type { TaskState } from "../../src/mesos/types/mesos.js";
import type { Release } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer, runningTask } from "../support/engine-fixtures.js";

/**
 * Tasks that take their whole kill grace (20 s) to stop, or never answer their KILL, against a progress deadline of
 * 4 s: the deadline measures new instances becoming healthy, so waiting for kills never fails a release.
 */
const DEADLINE_MS = 4_000;
const GRACE_MS = 20_000;

function spec(instances: number, digest: string, maxSurge = 1): AppSpec {
  return appSpec({
    name: "web",
    image: undefined,
    instances,
    ports: [],
    resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
    killGraceMs: GRACE_MS,
    // The digest stands for the spec: another shell is another release's tasks.
    shell: `echo ${digest}`,
    update: {
      maxSurge: { kind: "count", value: maxSurge },
      maxUnavailable: { kind: "count", value: 0 },
      minHealthyTimeMs: 0,
      healthyDeadlineMs: DEADLINE_MS,
      progressDeadlineMs: DEADLINE_MS,
      autoRollback: true,
    },
  });
}

function release(number: number, s: AppSpec, digest: string, outcome: Release["outcome"]): Release {
  return { app: "web", number, manifestDigest: digest, spec: s, createdAt: 0, user: "tester", outcome };
}

const settings: EngineSettings = { seed: 1, region: null, autoRollback: true, reconnectDeadlineMs: 60_000 };

/**
 * Release 1 runs three instances on a1; release 2 (`instances` of them, `digest` "sha256:one" for the same spec as
 * release 1, as a stop or a scale is) is deployed, the engine driven by hand with every call and warning kept.
 */
function deploying(instances: number, digest: string, maxSurge = 1) {
  let now = 0;
  const one = release(1, spec(3, "sha256:one"), "sha256:one", "deployed");
  const two = release(2, spec(instances, digest, maxSurge), digest, "pending");
  const target: AppTarget = { spec: two.spec, release: two, environment: {} };
  const tracked = startTracking({
    app: "web",
    desired: instances,
    releases: [one, two],
    target,
    known: [0, 1, 2].map((i) => runningTask(i, "a1")),
    launchedBefore: [],
    now,
  });
  let state: EngineState = initialState(tracked, deployPlan(new Map()));
  const calls: SchedulerCall[] = [];
  const warnings: string[] = [];
  let finish: StepResult["finish"];
  const on = (event: EngineEvent): void => {
    const r = react(state, event, { now, settings, stopping: false });
    state = r.state;
    calls.push(...r.calls);
    warnings.push(...r.warnings);
  };
  const update = (taskId: string, s: TaskState): void =>
    on({
      type: "UPDATE",
      update: {
        status: { task_id: { value: taskId }, state: s, agent_id: { value: "a1" }, uuid: `${taskId}${s}` },
      },
    });
  /** Time passes in steps of 100 ms, as the effect loop's ticks; stops at the release's end. */
  const wait = (ms: number): void => {
    for (const until = now + ms; now < until && finish === undefined; ) {
      now += 100;
      const r = step(state, now, settings);
      state = r.state;
      calls.push(...r.calls);
      warnings.push(...r.warnings);
      finish = r.finish;
    }
  };
  on({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } });
  for (const i of [0, 1, 2]) update(`web.1.${i}.1`, "TASK_RUNNING");
  const kills = (): string[] => calls.flatMap((c) => (c.kind === "kill" ? [c.taskId] : []));
  const launches = (): number[] =>
    calls.flatMap((c) => (c.kind === "accept" ? c.launches.map((l) => l.tracked.instance) : []));
  const offer = (): void => on({ type: "OFFERS", offers: { offers: [agentOffer(`o${now}`, "a1", 4)] } });
  return { wait, update, offer, kills, launches, warnings, finish: () => finish };
}

describe("kills that take long never fail a release", () => {
  it("a stop waits out tasks that ignore SIGTERM, and never rolls back to start them again", () => {
    const stop = deploying(0, "sha256:one");
    stop.wait(100);
    expect(stop.kills()).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1"]);
    // Twice the progress deadline, and more: the tasks are still in their kill grace.
    stop.wait(GRACE_MS - 1_000);
    expect(stop.finish()).toBeUndefined();
    expect(stop.launches()).toEqual([]);
    stop.update("web.1.0.1", "TASK_KILLED");
    stop.update("web.1.1.1", "TASK_KILLED");
    // The last one does not answer: its KILL is sent again and reported, and the stop still waits for it.
    stop.wait(KILL_RETRY_MS + 2_000);
    expect(stop.finish()).toBeUndefined();
    expect(stop.kills()).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1", "web.1.2.1"]);
    expect(stop.warnings).toContain(
      "web[2] web.1.2.1 did not end within kill_grace 20s and 10s more: KILL sent again",
    );
    stop.update("web.1.2.1", "TASK_KILLED");
    stop.wait(100);
    expect(stop.finish()).toEqual({ kind: "done" });
    expect(stop.launches()).toEqual([]);
  });

  it("a scale from 3 to 1 waits for its surplus instances' ends, launching nothing", () => {
    const scale = deploying(1, "sha256:one");
    scale.wait(100);
    expect(scale.kills()).toEqual(["web.1.1.1", "web.1.2.1"]);
    scale.wait(GRACE_MS - 1_000);
    expect(scale.finish()).toBeUndefined();
    scale.update("web.1.1.1", "TASK_KILLED");
    scale.update("web.1.2.1", "TASK_KILLED");
    scale.wait(100);
    expect(scale.finish()).toEqual({ kind: "done" });
    expect(scale.launches()).toEqual([]);
  });

  it("a new release is not blamed for its surplus kills, before its launch or after its instance counts", () => {
    const deploy = deploying(1, "sha256:two");
    deploy.wait(100);
    // The surge allows 2 live tasks: the surplus ones must end before the new instance 0 is launched.
    expect(deploy.kills()).toEqual(["web.1.1.1", "web.1.2.1"]);
    deploy.offer();
    deploy.wait(GRACE_MS - 1_000);
    expect(deploy.finish()).toBeUndefined();
    expect(deploy.launches()).toEqual([]);
    deploy.update("web.1.1.1", "TASK_KILLED");
    deploy.update("web.1.2.1", "TASK_KILLED");
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0]);
    deploy.update("web.2.0.1", "TASK_RUNNING");
    deploy.wait(100);
    // It counts: the old instance 0 is replaced, and takes its grace to stop.
    expect(deploy.kills()).toEqual(["web.1.1.1", "web.1.2.1", "web.1.0.1"]);
    deploy.wait(GRACE_MS - 1_000);
    expect(deploy.finish()).toBeUndefined();
    deploy.update("web.1.0.1", "TASK_KILLED");
    deploy.wait(100);
    expect(deploy.finish()).toEqual({ kind: "done" });
  });

  it("a new instance that crashed and waits for the room kills hold gets its healthy deadline from its next launch", () => {
    // Three instances replaced with a surge of 2: instances 0 and 1 start, 0 counts and its old task is stopped.
    const deploy = deploying(3, "sha256:two", 2);
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0, 1]);
    deploy.update("web.2.0.1", "TASK_RUNNING");
    deploy.update("web.2.1.1", "TASK_FAILED");
    deploy.wait(100);
    expect(deploy.kills()).toEqual(["web.1.0.1"]);
    // While instance 1 waits out its restart backoff, instance 2 takes the room its crash left; it counts, and its
    // old task is stopped too. Instance 1 now waits only for the two kills to free the surge.
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0, 1, 2]);
    deploy.update("web.2.2.1", "TASK_RUNNING");
    deploy.wait(100);
    expect(deploy.kills()).toEqual(["web.1.0.1", "web.1.2.1"]);
    // Past healthy_deadline from instance 1's first launch: the kills take their grace, which is not its failure.
    deploy.wait(GRACE_MS - 1_000);
    expect(deploy.finish()).toBeUndefined();
    deploy.update("web.1.0.1", "TASK_KILLED");
    deploy.update("web.1.2.1", "TASK_KILLED");
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0, 1, 2, 1]);
    // Its health clock runs from this launch: a deadline less 1 s later it has not failed, and once it counts the
    // last old task goes and the release is done.
    deploy.wait(DEADLINE_MS - 1_000);
    expect(deploy.finish()).toBeUndefined();
    deploy.update("web.2.1.2", "TASK_RUNNING");
    deploy.wait(100);
    expect(deploy.kills()).toEqual(["web.1.0.1", "web.1.2.1", "web.1.1.1"]);
    deploy.update("web.1.1.1", "TASK_KILLED");
    deploy.wait(100);
    expect(deploy.finish()).toEqual({ kind: "done" });
  });

  it("an instance whose own task is killed over and over (its executor's health check) fails at its first launch's deadline", () => {
    const deploy = deploying(3, "sha256:two");
    // Instance 0's every run passes through TASK_KILLING, as a task its executor kills for its health check does:
    // that kill is the instance failing, not a wait for room, so its clock runs on from its first launch.
    for (let run = 1; run <= 8 && deploy.finish() === undefined; run++) {
      deploy.offer();
      deploy.wait(100);
      deploy.update(`web.2.0.${run}`, "TASK_RUNNING");
      deploy.update(`web.2.0.${run}`, "TASK_KILLING");
      deploy.wait(300);
      deploy.update(`web.2.0.${run}`, "TASK_KILLED");
      deploy.wait(900);
    }
    expect(deploy.finish()).toMatchObject({ kind: "rollback", to: { number: 1 } });
  });

  it("a relaunch after a wait for kills still fails at its own healthy deadline", () => {
    const deploy = deploying(3, "sha256:two", 2);
    deploy.offer();
    deploy.wait(100);
    deploy.update("web.2.0.1", "TASK_RUNNING");
    deploy.update("web.2.1.1", "TASK_FAILED");
    deploy.wait(100);
    deploy.offer();
    deploy.wait(100);
    deploy.update("web.2.2.1", "TASK_RUNNING");
    deploy.wait(GRACE_MS - 1_000);
    deploy.update("web.1.0.1", "TASK_KILLED");
    deploy.update("web.1.2.1", "TASK_KILLED");
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0, 1, 2, 1]);
    deploy.wait(DEADLINE_MS + 1_000);
    expect(deploy.finish()).toMatchObject({ kind: "rollback", to: { number: 1 } });
  });

  it("the deadline still runs while a new instance is on its way to counting, kills or not", () => {
    const deploy = deploying(1, "sha256:two");
    deploy.wait(100);
    deploy.update("web.1.1.1", "TASK_KILLED");
    deploy.update("web.1.2.1", "TASK_KILLED");
    deploy.offer();
    deploy.wait(100);
    expect(deploy.launches()).toEqual([0]);
    // Launched, never running: its deadline runs out, and the release rolls back.
    deploy.wait(DEADLINE_MS + 1_000);
    expect(deploy.finish()).toMatchObject({ kind: "rollback", to: { number: 1 } });
  });
});
