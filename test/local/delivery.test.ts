import { describe, expect, it } from "vitest";
import type { MasterOptions } from "../../src/local/master/master.js";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { fakeAgents } from "./fake-agent.js";
import { commandTask, FRAMEWORK, type Json, operator, TestScheduler } from "./scheduler-client.js";

async function cluster(master: MasterOptions = {}) {
  const fakes = fakeAgents();
  const c = await startTestCluster({ agents: 1, createAgent: fakes.create, master });
  return { ...c, fakes };
}

async function launch(s: TestScheduler, taskId: string): Promise<Json> {
  const offer = (await s.offers())[0] as Json;
  await s.accept([String((offer.id as Json).value)], [commandTask(taskId, offer)]);
  return offer;
}

describe("status update delivery", () => {
  it("re-sends an unacknowledged update and holds later ones back until it is acknowledged", async () => {
    const c = await cluster({ statusRetryMinMs: 40, statusRetryMaxMs: 80 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    await launch(s, "t1");
    await s.update("t1", "TASK_STARTING");
    const first = s.events.findIndex((e) => e.type === "UPDATE");
    const resent = await s.next((e) => e.type === "UPDATE", 5000, first + 1);
    const starting = s.updates("t1");
    expect(starting.every((u) => u.state === "TASK_STARTING")).toBe(true);
    expect(((resent.update as Json).status as Json).uuid).toBe(starting[0]?.uuid);
    await s.acknowledge(starting[0] as Json);
    const running = await s.update("t1", "TASK_RUNNING");
    expect(running.uuid).not.toBe(starting[0]?.uuid);
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    const task = (tasks.tasks as Json[])[0] as Json;
    expect(task.state).toBe("TASK_RUNNING");
    expect(task.status_update_state).toBe("TASK_RUNNING");
    expect(task.status_update_uuid).toBe(running.uuid);
    s.close();
  });

  it("takes an acknowledgement whose uuid is written without base64 padding, as the uuid's bytes match", async () => {
    const c = await cluster({ statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    await launch(s, "t1");
    const starting = await s.update("t1", "TASK_STARTING");
    const unpadded = String(starting.uuid).replace(/=+$/, "");
    expect(unpadded).not.toBe(starting.uuid);
    expect((await s.acknowledge({ ...starting, uuid: unpadded })).status).toBe(202);
    await s.update("t1", "TASK_RUNNING");
    s.close();
  });

  it("ignores an acknowledgement of an update that is not the one in flight", async () => {
    const c = await cluster({ statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    await launch(s, "t1");
    const starting = await s.update("t1", "TASK_STARTING");
    const wrong = Buffer.from("0123456789abcdef").toString("base64");
    const bytes = Buffer.from(wrong, "base64");
    bytes[6] = 0x40;
    const answer = await s.acknowledge({ ...starting, uuid: bytes.toString("base64") });
    expect(answer.status).toBe(202);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.updates("t1").map((u) => u.state)).toEqual(["TASK_STARTING"]);
    await s.acknowledge(starting);
    await s.update("t1", "TASK_RUNNING");
    s.close();
  });

  it("takes an acknowledgement only for the agent it names, as the master forwards it there", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({
      agents: 2,
      createAgent: fakes.create,
      master: { statusRetryMinMs: 40, statusRetryMaxMs: 80 },
    });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    const offer = await launch(s, "t1");
    const starting = await s.update("t1", "TASK_STARTING");
    const other = [...fakes.byId.keys()].find((id) => id !== (offer.agent_id as Json).value);
    // master.cpp Master::acknowledge: the acknowledgement goes to the agent it names, which has no such update.
    expect((await s.acknowledge({ ...starting, agent_id: { value: other } })).status).toBe(202);
    const mark = s.events.length;
    await s.next((e) => e.type === "UPDATE", 5000, mark);
    await new Promise((r) => setTimeout(r, 100));
    expect(new Set(s.updates("t1").map((u) => u.state))).toEqual(new Set(["TASK_STARTING"]));
    await s.acknowledge(starting);
    await s.update("t1", "TASK_RUNNING");
    s.close();
  });

  it("moves a task to completed_tasks once its terminal update is acknowledged", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    c.fakes.byId.get(String((offer.agent_id as Json).value))?.finish("t1");
    const finished = await s.update("t1", "TASK_FINISHED");
    expect(finished.message).toBe("Command exited with status 0");
    let tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    for (let i = 0; i < 50 && (tasks.completed_tasks as Json[] | undefined)?.length !== 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
      tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    }
    expect((tasks.completed_tasks as Json[]).map((t) => t.state)).toEqual(["TASK_FINISHED"]);
    expect(tasks.tasks).toEqual([]);
    s.close();
  });

  it("sends TASK_KILLING only to frameworks with TASK_KILLING_STATE, and passes the kill policy's grace", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    await s.call({
      type: "KILL",
      kill: {
        task_id: { value: "t1" },
        agent_id: offer.agent_id,
        kill_policy: { grace_period: { nanoseconds: 2_000_000_000 } },
      },
    });
    await s.update("t1", "TASK_KILLING");
    await s.update("t1", "TASK_KILLED");
    const fake = c.fakes.byId.get(String((offer.agent_id as Json).value));
    expect(fake?.kills).toEqual([{ frameworkId: s.frameworkId, taskId: "t1", gracePeriodMs: 2000 }]);
    s.close();
    await s.waitEnded();

    const plain = await TestScheduler.subscribe(c.url, {
      ...FRAMEWORK,
      name: "plain",
      capabilities: [{ type: "MULTI_ROLE" }],
    });
    await launch(plain, "p1");
    await plain.update("p1", "TASK_RUNNING");
    await plain.call({ type: "KILL", kill: { task_id: { value: "p1" } } });
    await plain.update("p1", "TASK_KILLED");
    expect(plain.updates("p1").map((u) => u.state)).not.toContain("TASK_KILLING");
    plain.close();
  });

  it("answers KILL of an unknown task as a reconciliation", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    await s.call({ type: "KILL", kill: { task_id: { value: "ghost" } } });
    const status = await s.update("ghost", "TASK_UNKNOWN");
    expect(status.reason).toBe("REASON_RECONCILIATION");
    s.close();
  });

  it("ignores a KILL that names another agent than the task's, and answers it nothing", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    const mark = s.events.length;
    await s.call({ type: "KILL", kill: { task_id: { value: "t1" }, agent_id: { value: "other-agent" } } });
    // The master handles calls in order: once the reconciliation is answered, the KILL has been handled.
    await s.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "t1" } }] } });
    await s.update("t1", "TASK_RUNNING", mark);
    const fake = c.fakes.byId.get(String((offer.agent_id as Json).value));
    expect(fake?.kills).toEqual([]);
    expect(s.events.slice(mark).filter((e) => e.type === "UPDATE")).toHaveLength(1);
    await s.call({ type: "KILL", kill: { task_id: { value: "t1" }, agent_id: offer.agent_id } });
    await s.update("t1", "TASK_KILLED", mark);
    expect(fake?.kills).toEqual([{ frameworkId: s.frameworkId, taskId: "t1" }]);
    s.close();
  });
});

describe("RECONCILE", () => {
  it("answers explicit requests per task: latest state, unknown to the agent, unknown", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    const mark = s.events.length;
    await s.call({
      type: "RECONCILE",
      reconcile: {
        tasks: [
          { task_id: { value: "t1" }, agent_id: offer.agent_id },
          { task_id: { value: "lost-on-agent" }, agent_id: offer.agent_id },
          { task_id: { value: "ghost" } },
        ],
      },
    });
    const t1 = await s.update("t1", "TASK_RUNNING", mark);
    expect(t1).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: Latest task state",
    });
    expect(t1.uuid).toBeUndefined();
    // A command task has no executor in the master's Task (protobuf::createTask), so the master's answer names none.
    expect(t1.executor_id).toBeUndefined();
    expect((await s.update("lost-on-agent", "TASK_GONE", mark)).message).toBe(
      "Reconciliation: Task is unknown to the agent",
    );
    expect((await s.update("ghost", "TASK_UNKNOWN", mark)).message).toBe("Reconciliation: Task is unknown");
    for (const e of s.events) expect(checkShape(e, "mesos.v1.scheduler.Event")).toEqual([]);
    s.close();
  });

  it("answers the state of the update in flight, not a newer one the agent holds back", async () => {
    const c = await cluster({ statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    const offer = await launch(s, "t1");
    const starting = await s.update("t1", "TASK_STARTING");
    c.fakes.byId.get(String((offer.agent_id as Json).value))?.finish("t1");
    const task = async (): Promise<Json> =>
      (((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[])[0] as Json;
    for (let i = 0; i < 50 && (await task()).state !== "TASK_FINISHED"; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await task()).toMatchObject({ state: "TASK_FINISHED", status_update_state: "TASK_STARTING" });
    // master.cpp Master::reconcile: status_update_state when set (Master::forward sets it), else the state.
    const mark = s.events.length;
    await s.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    await s.call({ type: "RECONCILE", reconcile: {} });
    const answers = () =>
      s.events
        .slice(mark)
        .filter((e) => e.type === "UPDATE")
        .map((e) => ((e.update as Json).status as Json).state);
    for (let i = 0; i < 100 && answers().length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(answers()).toEqual(["TASK_STARTING", "TASK_STARTING"]);
    // Once acknowledged, the next update goes out and is what the master answers from then on; the master keeps
    // it after its acknowledgement too.
    await s.acknowledge(starting);
    const running = await s.update("t1", "TASK_RUNNING");
    await s.acknowledge(running);
    await s.update("t1", "TASK_FINISHED");
    expect(await task()).toMatchObject({ status_update_state: "TASK_FINISHED" });
    s.close();
  });

  it("answers TASK_LOST to a framework that is not partition-aware", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, { user: "root", name: "old" });
    await s.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "ghost" } }] } });
    expect((await s.update("ghost", "TASK_LOST")).message).toBe("Reconciliation: Task is unknown");
    s.close();
  });

  it("answers implicit reconciliation with every active task", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept([String((offer.id as Json).value)], [commandTask("a", offer), commandTask("b", offer)]);
    await s.update("a", "TASK_RUNNING");
    await s.update("b", "TASK_RUNNING");
    const mark = s.events.length;
    await s.call({ type: "RECONCILE", reconcile: {} });
    await s.update("a", "TASK_RUNNING", mark);
    await s.update("b", "TASK_RUNNING", mark);
    s.close();
  });
});

describe("framework removal", () => {
  it("removes a framework that stays away longer than failover_timeout and kills its tasks", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, failover_timeout: 0.1 });
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    s.close();
    const fake = c.fakes.byId.get(String((offer.agent_id as Json).value));
    for (let i = 0; i < 100 && fake?.kills.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake?.kills.map((k) => k.taskId)).toEqual(["t1"]);
    const frameworks = (await operator(c.url, { type: "GET_FRAMEWORKS" })).get_frameworks as Json;
    expect(frameworks.frameworks).toEqual([]);
    const completed = frameworks.completed_frameworks as Json[];
    expect(completed.map((f) => (f.framework_info as Json).id)).toEqual([{ value: s.frameworkId }]);
    const again = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    expect(again.events[0]).toEqual({ type: "ERROR", error: { message: "Framework has been removed" } });
  });

  it("keeps a disconnected framework's tasks when it comes back within failover_timeout", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    s.close();
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    expect(back.events[0]?.type).toBe("SUBSCRIBED");
    await back.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "t1" } }] } });
    await back.update("t1", "TASK_RUNNING");
    back.close();
  });

  it("TEARDOWN kills the tasks, ends the stream and keeps the framework as completed", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    expect((await s.call({ type: "TEARDOWN" })).status).toBe(202);
    await s.waitEnded();
    expect(c.fakes.byId.get(String((offer.agent_id as Json).value))?.kills.map((k) => k.taskId)).toEqual([
      "t1",
    ]);
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    const done = (tasks.completed_tasks as Json[])[0] as Json;
    expect(done.state).toBe("TASK_KILLED");
    const last = (done.statuses as Json[]).at(-1);
    expect(last?.reason).toBe("REASON_FRAMEWORK_REMOVED");
    // As a master words it (master.cpp, removeFramework).
    expect(last?.message).toBe(`Framework ${s.frameworkId} removed`);
  });
});

describe("a task's statuses, as Master::updateTask keeps them", () => {
  async function task(url: string, list: "tasks" | "completed_tasks" = "tasks"): Promise<Json> {
    return (((await operator(url, { type: "GET_TASKS" })).get_tasks as Json)[list] as Json[])[0] as Json;
  }

  function states(t: Json): unknown[] {
    return (t.statuses as Json[]).map((s) => s.state);
  }

  it("replaces the latest status with an update of the same state, and points status_update_uuid at it", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    const fake = c.fakes.byId.get(String((offer.agent_id as Json).value));
    const healthy = (value: boolean) => (e: Json) =>
      e.type === "UPDATE" && ((e.update as Json).status as Json).healthy === value;
    fake?.health("t1", false);
    await s.next(healthy(false));
    fake?.health("t1", true);
    const last = ((await s.next(healthy(true))).update as Json).status as Json;
    const t = await task(c.url);
    expect(states(t)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    expect((t.statuses as Json[])[1]).toMatchObject({ healthy: true, uuid: last.uuid });
    expect(t).toMatchObject({
      state: "TASK_RUNNING",
      status_update_state: "TASK_RUNNING",
      status_update_uuid: last.uuid,
    });
    const legacy = (await (await fetch(`${c.url}/master/state`)).json()) as Json;
    const legacyTask = (((legacy.frameworks as Json[])[0] as Json).tasks as Json[])[0] as Json;
    expect((legacyTask.statuses as Json[]).map((x) => [x.state, x.healthy])).toEqual([
      ["TASK_STARTING", undefined],
      ["TASK_RUNNING", true],
    ]);
    s.close();
  });

  it("keeps a terminal state when the framework is removed, and records the master's TASK_KILLED", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    s.autoAck = false;
    c.fakes.byId.get(String((offer.agent_id as Json).value))?.finish("t1");
    await s.update("t1", "TASK_FINISHED");
    await s.call({ type: "TEARDOWN" });
    await s.waitEnded();
    const done = await task(c.url, "completed_tasks");
    expect(done.state).toBe("TASK_FINISHED");
    expect(states(done)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED", "TASK_KILLED"]);
    expect((done.statuses as Json[])[3]?.reason).toBe("REASON_FRAMEWORK_REMOVED");
  });

  it("tells of an agent's removal also a task whose terminal update is unacknowledged, keeping its state", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await launch(s, "t1");
    await s.update("t1", "TASK_RUNNING");
    s.autoAck = false;
    const agentId = String((offer.agent_id as Json).value);
    c.fakes.byId.get(agentId)?.finish("t1", "TASK_FAILED", "Command exited with status 1");
    await s.update("t1", "TASK_FAILED");
    const mark = s.events.length;
    await c.cluster.removeAgents([agentId]);
    const lost = await s.update("t1", "TASK_LOST", mark);
    expect(lost).toMatchObject({ source: "SOURCE_MASTER", reason: "REASON_AGENT_REMOVED" });
    expect(lost.uuid).toBeUndefined();
    const done = await task(c.url, "completed_tasks");
    expect(done.state).toBe("TASK_FAILED");
    expect(states(done)).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED", "TASK_LOST"]);
    s.close();
  });
});
