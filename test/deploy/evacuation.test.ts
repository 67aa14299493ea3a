import { describe, expect, it } from "vitest";
import type { SchedulerCall } from "../../src/deploy/calls.js";
import { type EngineEvent, react } from "../../src/deploy/engine.js";
import { type EngineSettings, type EngineState, initialState } from "../../src/deploy/engine-state.js";
import { evacuating } from "../../src/deploy/evacuation.js";
import type { DeployEvent } from "../../src/deploy/events.js";
import { deployPlan } from "../../src/deploy/replan.js";
import { KILL_RETRY_MS, step } from "../../src/deploy/step.js";
import { startTracking } from "../../src/deploy/tracking.js";
import type { TaskState } from "../../src/mesos/types/mesos.js";
import { appSpec } from "../plan/builders.js";
import { agentOffer, inverseOffer, releaseOne, runningTask } from "../support/engine-fixtures.js";

const spec = appSpec({
  name: "web",
  image: undefined,
  instances: 1,
  ports: [],
  resources: { cpus: 1, mem: 64, disk: 0, gpus: 0 },
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
const running = runningTask(0, "a1");
const { release } = target;
const settings: EngineSettings = { seed: 1, region: null, autoRollback: true, reconnectDeadlineMs: 60_000 };

/** The engine driven by hand: every reaction and step's calls and events are kept. */
function engine(evacuate: readonly string[] = []) {
  let now = 0;
  const tracked = startTracking({
    app: "web",
    desired: 1,
    releases: [release],
    target,
    known: [running],
    launchedBefore: [],
    now,
  });
  const start = evacuating(initialState(tracked, deployPlan(new Map())), evacuate, now);
  let state: EngineState = start.state;
  const calls: SchedulerCall[] = [];
  const events: DeployEvent[] = [...start.events];
  const on = (event: EngineEvent): void => {
    const r = react(state, event, { now, settings, stopping: false });
    state = r.state;
    calls.push(...r.calls);
    events.push(...r.events);
  };
  const tick = (): void => {
    now += 100;
    const r = step(state, now, settings);
    state = r.state;
    calls.push(...r.calls);
    events.push(...r.events);
  };
  const update = (taskId: string, s: TaskState, agentId: string): void =>
    on({
      type: "UPDATE",
      update: {
        status: { task_id: { value: taskId }, state: s, agent_id: { value: agentId }, uuid: `${taskId}${s}` },
      },
    });
  on({ type: "SUBSCRIBED", subscribed: { framework_id: { value: "f" } } });
  update(running.taskId, "TASK_RUNNING", "a1");
  const advance = (ms: number): void => {
    now += ms;
  };
  return { on, tick, advance, update, calls, events, state: () => state };
}

const answers = (calls: readonly SchedulerCall[]): string[][] =>
  calls.flatMap((c) => (c.kind === "accept_inverse_offers" ? [c.offers.map((o) => o.id)] : []));

describe("evacuation in the engine", () => {
  it("moves the app off an agent an inverse offer asks back, then accepts the offer once nothing is left", () => {
    const e = engine();
    e.tick();
    expect(e.calls.filter((c) => c.kind === "accept")).toEqual([]);
    e.on({ type: "INVERSE_OFFERS", inverse_offers: { inverse_offers: [inverseOffer("io1", "a1", 1000)] } });
    expect(e.events).toContainEqual({
      type: "evacuate",
      app: "web",
      agent: "a1.example",
      until: "1970-01-01T00:00:01.000Z",
    });
    expect(e.state().tracked.leaving.has("a1")).toBe(true);

    // The replacement goes to the other agent, never back onto the one being emptied.
    e.on({ type: "OFFERS", offers: { offers: [agentOffer("o1", "a1", 2), agentOffer("o2", "b1", 2)] } });
    e.tick();
    const launches = e.calls.flatMap((c) => (c.kind === "accept" ? [c] : []));
    expect(launches.map((c) => c.offer.agent_id.value)).toEqual(["b1"]);
    expect(answers(e.calls)).toEqual([]);
    const replacement = launches[0]?.launches[0]?.tracked.taskId ?? "";
    expect(replacement).toBe("web.1.0.2");

    // Healthy replacement: the old task is killed, and the offer is answered only once it has ended.
    e.update(replacement, "TASK_RUNNING", "b1");
    e.tick();
    expect(e.calls).toContainEqual(expect.objectContaining({ kind: "kill", taskId: "web.1.0.1" }));
    expect(answers(e.calls)).toEqual([]);
    e.update("web.1.0.1", "TASK_KILLED", "a1");
    e.tick();
    expect(answers(e.calls)).toEqual([["io1"]]);
    expect(e.events.at(-1)).toEqual({
      type: "inverse_offer",
      app: "web",
      agent: "a1.example",
      answer: "ACCEPT",
    });

    // An answer that did not go out is sent again on the next step, once.
    const sent = e.calls.find((c) => c.kind === "accept_inverse_offers");
    if (sent === undefined) throw new Error("no answer sent");
    e.on({ type: "CALL_FAILED", call: sent });
    e.tick();
    e.tick();
    expect(answers(e.calls)).toEqual([["io1"], ["io1"]]);
  });

  it("answers nothing the master took back, and ignores inverse offers without an agent", () => {
    const e = engine();
    const whole = inverseOffer("io0", "x", 0);
    delete whole.agent_id;
    e.on({
      type: "INVERSE_OFFERS",
      inverse_offers: { inverse_offers: [whole, inverseOffer("io2", "a1", 5)] },
    });
    expect(e.state().tracked.leaving).toEqual(new Set(["a1"]));
    e.on({ type: "RESCIND_INVERSE_OFFER", rescind_inverse_offer: { inverse_offer_id: { value: "io2" } } });
    e.on({ type: "OFFERS", offers: { offers: [agentOffer("o2", "b1", 2)] } });
    e.tick();
    e.update("web.1.0.2", "TASK_RUNNING", "b1");
    e.tick();
    e.update("web.1.0.1", "TASK_KILLED", "a1");
    e.tick();
    expect(answers(e.calls)).toEqual([]);
  });

  it("accepts at once, saying nothing and moving nothing, an inverse offer for an agent where the app runs nothing", () => {
    // A master sends one to every framework holding resources on the agent: an offer is enough.
    const e = engine();
    e.tick();
    e.on({ type: "INVERSE_OFFERS", inverse_offers: { inverse_offers: [inverseOffer("io3", "c1", 5)] } });
    expect(e.events.filter((ev) => ev.type === "evacuate" || ev.type === "inverse_offer")).toEqual([]);
    expect(e.state().tracked.leaving).toEqual(new Set());
    // Nothing new goes there all the same.
    expect(e.state().plan.avoid.get("c1")).toBe("c1.example is scheduled for maintenance");
    e.tick();
    expect(answers(e.calls)).toEqual([["io3"]]);
    expect(e.calls.filter((c) => c.kind === "accept" || c.kind === "kill")).toEqual([]);
    expect(e.events.filter((ev) => ev.type === "evacuate" || ev.type === "inverse_offer")).toEqual([]);
  });

  it("empties drained agents from the start: said once, avoided by re-planning, their tasks replaced", () => {
    const e = engine(["a1"]);
    expect(e.events).toEqual([{ type: "evacuate", app: "web", agent: "a1.example" }]);
    expect(e.state().plan.avoid.get("a1")).toBe("a1.example is being drained");
    e.on({ type: "OFFERS", offers: { offers: [agentOffer("o1", "a1", 2), agentOffer("o2", "b1", 2)] } });
    e.tick();
    const launched = e.calls.flatMap((c) => (c.kind === "accept" ? [c.offer.agent_id.value] : []));
    expect(launched).toEqual(["b1"]);
  });
});

describe("kills in the engine", () => {
  it("sends a KILL again when no answer came within the grace period and KILL_RETRY_MS, and not before", () => {
    const e = engine(["a1"]);
    e.on({ type: "OFFERS", offers: { offers: [agentOffer("o1", "b1", 2)] } });
    e.tick();
    const replacement = e.calls.flatMap((c) => (c.kind === "accept" ? c.launches : []))[0]?.tracked.taskId;
    e.update(replacement ?? "", "TASK_RUNNING", "b1");
    e.tick();
    const kills = (): number => e.calls.filter((c) => c.kind === "kill" && c.taskId === "web.1.0.1").length;
    expect(kills()).toBe(1);
    const grace = target.spec.killGraceMs;
    e.advance(grace + KILL_RETRY_MS - 500);
    e.tick();
    expect(kills()).toBe(1);
    e.advance(500);
    e.tick();
    expect(kills()).toBe(2);
    // Answered at last: nothing more is sent.
    e.update("web.1.0.1", "TASK_KILLED", "a1");
    e.advance(grace + KILL_RETRY_MS);
    e.tick();
    expect(kills()).toBe(2);
  });
});
