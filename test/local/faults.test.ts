import { describe, expect, it } from "vitest";
import type { MasterOptions } from "../../src/local/master/master.js";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { fakeAgents } from "./fake-agent.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

async function cluster(master: MasterOptions = {}, agents = 1) {
  const fakes = fakeAgents();
  const c = await startTestCluster({ agents, createAgent: fakes.create, master });
  return { ...c, fakes };
}

async function running(s: TestScheduler, taskId: string): Promise<Json> {
  const offer = (await s.offers())[0] as Json;
  await s.accept([String((offer.id as Json).value)], [commandTask(taskId, offer)]);
  await s.update(taskId, "TASK_RUNNING");
  return offer;
}

function agentOf(offer: Json): string {
  return String((offer.agent_id as Json).value);
}

describe("agent faults", () => {
  it("partition: TASK_UNREACHABLE and FAILURE after the unreachable timeout, back to RUNNING on heal", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 30 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.partitionAgent(agentOf(offer));
    const unreachable = await s.update("t1", "TASK_UNREACHABLE");
    expect(unreachable).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REMOVED",
      message: "health check timed out",
    });
    expect(unreachable.unreachable_time).toBeDefined();
    const failure = await s.next((e) => e.type === "FAILURE");
    expect(failure).toEqual({ type: "FAILURE", failure: { agent_id: offer.agent_id } });
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect((tasks.unreachable_tasks as Json[]).map((t) => t.state)).toEqual(["TASK_UNREACHABLE"]);
    const mark = s.events.length;
    await s.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    const asked = await s.update("t1", "TASK_UNREACHABLE", mark);
    expect(asked.message).toBe("Reconciliation: Task is unreachable");
    expect(asked.unreachable_time).toEqual(unreachable.unreachable_time);
    // Without its agent, a master does not find an unreachable task (Master::reconcileTasks, case 6).
    const unnamed = s.events.length;
    await s.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "t1" } }] } });
    expect((await s.update("t1", "TASK_UNKNOWN", unnamed)).message).toBe("Reconciliation: Task is unknown");
    await c.faults.healAgent(agentOf(offer));
    const back = await s.update("t1", "TASK_RUNNING", mark);
    expect(back).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REREGISTERED",
      message: "Unreachable agent re-reregistered",
    });
    for (const e of s.events) expect(checkShape(e, "mesos.v1.scheduler.Event")).toEqual([]);
    s.close();
  });

  it("partition: a non-partition-aware framework hears TASK_LOST, then that the task runs when the agent returns", async () => {
    // master.cpp, __reregisterSlave: the master re-adds every framework's tasks and says so; it kills none of them.
    const c = await cluster({ agentUnreachableAfterMs: 30 });
    const s = await TestScheduler.subscribe(c.url, { user: "root", name: "old", failover_timeout: 60 });
    const offer = await running(s, "t1");
    await c.faults.partitionAgent(agentOf(offer));
    expect((await s.update("t1", "TASK_LOST")).reason).toBe("REASON_AGENT_REMOVED");
    const mark = s.events.length;
    await c.faults.healAgent(agentOf(offer));
    expect((await s.update("t1", "TASK_RUNNING", mark)).reason).toBe("REASON_AGENT_REREGISTERED");
    expect(c.fakes.byId.get(agentOf(offer))?.kills).toEqual([]);
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect((tasks.tasks as Json[]).map((t) => t.state)).toEqual(["TASK_RUNNING"]);
    s.close();
  });

  it("partition: a non-partition-aware framework's unreachable task is kept TASK_LOST, and told so when marked gone", async () => {
    // master.cpp `Master::__removeSlave`: the task takes the TASK_LOST its framework is told (Master::updateTask) and
    // is kept among the unreachable tasks; `Master::markGone` tells it TASK_LOST again and completes it.
    const c = await cluster({ agentUnreachableAfterMs: 30 });
    const s = await TestScheduler.subscribe(c.url, { user: "root", name: "old", failover_timeout: 60 });
    const offer = await running(s, "t1");
    await c.faults.partitionAgent(agentOf(offer));
    await s.update("t1", "TASK_LOST");
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    const unreachable = (tasks.unreachable_tasks as Json[])[0] as Json;
    expect(unreachable.state).toBe("TASK_LOST");
    expect((unreachable.statuses as Json[]).map((st) => st.state)).toEqual([
      "TASK_STARTING",
      "TASK_RUNNING",
      "TASK_LOST",
    ]);
    const state = (await (await fetch(`${c.url}/master/state`)).json()) as Json;
    const framework = (state.frameworks as Json[])[0] as Json;
    expect((framework.unreachable_tasks as Json[]).map((t) => t.state)).toEqual(["TASK_LOST"]);
    const mark = s.events.length;
    const gone = await post(
      c.url,
      "/api/v1",
      JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: offer.agent_id } }),
    );
    expect(gone.status).toBe(200);
    expect(await s.update("t1", "TASK_LOST", mark)).toMatchObject({
      reason: "REASON_AGENT_REMOVED",
      message: "Agent has been marked gone",
    });
    const after = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect(after.unreachable_tasks ?? []).toEqual([]);
    expect((after.completed_tasks as Json[]).map((t) => t.state)).toEqual(["TASK_LOST"]);
    s.close();
  });

  it("short partition: a launch the agent never got ends TASK_DROPPED when it returns, a missed kill is sent again", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 60_000 }, 2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offers = await s.offers();
    const [first, second] = offers as [Json, Json];
    await s.accept([String((first.id as Json).value)], [commandTask("running", first)]);
    await s.update("running", "TASK_RUNNING");
    const cut = agentOf(second);
    await c.faults.partitionAgent(cut);
    // Launched on the cut-off agent's outstanding offer: the agent never hears of it.
    await s.accept([String((second.id as Json).value)], [commandTask("unsent", second)]);
    await c.faults.partitionAgent(agentOf(first));
    await s.call({ type: "KILL", kill: { task_id: { value: "running" }, agent_id: first.agent_id } });
    expect(c.fakes.byId.get(agentOf(first))?.kills).toEqual([]);
    const mark = s.events.length;
    await c.faults.healAgent(cut);
    const dropped = await s.update("unsent", "TASK_DROPPED", mark);
    expect(dropped).toMatchObject({
      source: "SOURCE_AGENT",
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: task unknown to the agent",
    });
    await c.faults.healAgent(agentOf(first));
    await s.update("running", "TASK_KILLED", mark);
    expect(c.fakes.byId.get(agentOf(first))?.kills.map((k) => k.taskId)).toEqual(["running"]);
    s.close();
  });

  it("short partition: the tasks of a framework torn down meanwhile are killed when the agent returns", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "orphan");
    await c.faults.partitionAgent(agentOf(offer));
    await s.call({ type: "TEARDOWN" });
    const agent = c.fakes.byId.get(agentOf(offer));
    expect(agent?.tasks().map((t) => t.state)).toEqual(["TASK_RUNNING"]);
    await c.faults.healAgent(agentOf(offer));
    expect(agent?.kills.map((k) => k.taskId)).toEqual(["orphan"]);
    s.close();
  });

  it("partition: a task the returning agent does not report is dropped without a word; reconciling it says gone", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 30 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await c.faults.partitionAgent(agentOf(offer));
    // Launched on the agent's outstanding offer while it is cut off: the agent never hears of the task.
    await s.accept([String((offer.id as Json).value)], [commandTask("lost", offer)]);
    await s.update("lost", "TASK_UNREACHABLE");
    const mark = s.events.length;
    await c.faults.healAgent(agentOf(offer));
    // master.cpp, Master::__reregisterSlave: only the tasks the agent reports come back with an update; the
    // master's other unreachable tasks of that agent are erased, neither completed nor reported.
    await s.offers(mark);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.events.slice(mark).filter((e) => e.type === "UPDATE")).toEqual([]);
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect(tasks).toEqual({ tasks: [], unreachable_tasks: [], completed_tasks: [] });
    await s.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "lost" }, agent_id: offer.agent_id }] },
    });
    expect((await s.update("lost", "TASK_GONE", mark)).message).toBe(
      "Reconciliation: Task is unknown to the agent",
    );
    s.close();
  });

  it("partition: an acknowledgement meant for the cut-off agent is dropped; the agent resends its update on return", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 30, statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    const offer = (await s.offers())[0] as Json;
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    const starting = await s.update("t1", "TASK_STARTING");
    await c.faults.partitionAgent(agentOf(offer));
    await s.update("t1", "TASK_UNREACHABLE");
    // master.cpp Master::acknowledge: an agent that is not registered gets no acknowledgement.
    expect((await s.acknowledge(starting)).status).toBe(202);
    const mark = s.events.length;
    await c.faults.healAgent(agentOf(offer));
    // slave.cpp: the re-registered agent's status update manager resumes, resending what is unacknowledged.
    const again = await s.next(
      (e) => e.type === "UPDATE" && ((e.update as Json).status as Json).source !== "SOURCE_MASTER",
      5000,
      mark,
    );
    expect((again.update as Json).status).toMatchObject({ state: "TASK_STARTING", uuid: starting.uuid });
    await s.acknowledge(starting);
    await s.update("t1", "TASK_RUNNING", mark);
    s.close();
  });

  it("partition: a task whose terminal update is unacknowledged becomes unreachable too, and its id stays taken", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 30, statusRetryMinMs: 60_000 }, 2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    const offer = (await s.offers())[0] as Json;
    await s.accept(
      [String((offer.id as Json).value)],
      [commandTask("done", offer), commandTask("alive", offer)],
    );
    await s.update("done", "TASK_STARTING");
    c.fakes.byId.get(agentOf(offer))?.finish("done");
    const done = async (): Promise<Json | undefined> =>
      (((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[]).find(
        (t) => (t.task_id as Json).value === "done",
      );
    for (let i = 0; i < 50 && (await done())?.state !== "TASK_FINISHED"; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await done())?.state).toBe("TASK_FINISHED");
    const mark = s.events.length;
    await c.faults.partitionAgent(agentOf(offer));
    // master.cpp Master::__removeSlave: every task the master still holds for the agent, a terminal one whose
    // update is unacknowledged too, is reported unreachable and kept among the unreachable tasks.
    await s.update("alive", "TASK_UNREACHABLE", mark);
    expect(await s.update("done", "TASK_UNREACHABLE", mark)).toMatchObject({
      reason: "REASON_AGENT_REMOVED",
    });
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect((tasks.unreachable_tasks as Json[]).map((t) => (t.task_id as Json).value).sort()).toEqual([
      "alive",
      "done",
    ]);
    expect(tasks.completed_tasks).toEqual([]);
    const other = (
      await s.next(
        (e) =>
          e.type === "OFFERS" &&
          ((e.offers as Json).offers as Json[]).some((o) => agentOf(o) !== agentOf(offer)),
      )
    ).offers as Json;
    const elsewhere = (other.offers as Json[]).find((o) => agentOf(o) !== agentOf(offer)) as Json;
    const again = s.events.length;
    await s.accept([String((elsewhere.id as Json).value)], [commandTask("done", elsewhere)]);
    expect((await s.update("done", "TASK_ERROR", again)).message).toBe(
      "Task reuses the ID of an unreachable task: done",
    );
    s.close();
  });

  it("partition that never heals: the agent leaves the registry without a word, its tasks unknown", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 20, registryMaxAgentAgeMs: 40 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.partitionAgent(agentOf(offer));
    await s.update("t1", "TASK_UNREACHABLE");
    const mark = s.events.length;
    const tasks = async (): Promise<Json> => (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    // master.cpp, _doRegistryGc: the unreachable tasks are dropped, neither completed nor reported.
    for (let i = 0; i < 200 && ((await tasks()).unreachable_tasks as Json[]).length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await tasks()).toEqual({ tasks: [], unreachable_tasks: [], completed_tasks: [] });
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(agents.agents).toEqual([]);
    expect(s.events.slice(mark).filter((e) => e.type === "UPDATE")).toEqual([]);
    await s.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    expect((await s.update("t1", "TASK_UNKNOWN", mark)).message).toBe("Reconciliation: Task is unknown");
    s.close();
  });

  it("stop and restart: the agent's tasks become unreachable; the machine comes back empty as a new agent", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 20 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.stopAgent(agentOf(offer));
    await s.update("t1", "TASK_UNREACHABLE");
    const mark = s.events.length;
    const newId = await c.faults.restartAgent(agentOf(offer));
    expect(newId).not.toBe(agentOf(offer));
    const offers = await s.offers(mark);
    expect(offers.map(agentOf)).toEqual([newId]);
    expect(offers[0]?.hostname).toBe(offer.hostname);
    s.close();
  });

  it("MARK_AGENT_GONE: the agent goes for good, its tasks TASK_GONE_BY_OPERATOR, unreachable ones too", async () => {
    const c = await cluster({ agentUnreachableAfterMs: 30 }, 2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const [first, second] = (await s.offers()) as [Json, Json];
    for (const [id, offer] of [
      ["here", first],
      ["cut", second],
    ] as const) {
      await s.accept([String((offer.id as Json).value)], [commandTask(id, offer)]);
      await s.update(id, "TASK_RUNNING");
    }
    await c.faults.partitionAgent(agentOf(second));
    await s.update("cut", "TASK_UNREACHABLE");
    const mark = s.events.length;
    const gone = (agent: string) =>
      post(
        c.url,
        "/api/v1",
        JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } }),
      );
    for (const offer of [first, second]) expect((await gone(agentOf(offer))).status).toBe(200);
    for (const id of ["here", "cut"])
      expect(await s.update(id, "TASK_GONE_BY_OPERATOR", mark)).toMatchObject({
        source: "SOURCE_MASTER",
        reason: "REASON_AGENT_REMOVED_BY_OPERATOR",
        message: "Agent has been marked gone",
      });
    // A FAILURE for the registered one only: the unreachable one was announced lost when it became so (master.cpp
    // `Master::markGone` returns before `__removeSlave`, which sends it).
    expect(s.events.slice(mark).filter((e) => e.type === "FAILURE")).toEqual([
      { type: "FAILURE", failure: { agent_id: first.agent_id } },
    ]);
    // Told to shut down: its tasks are killed.
    expect(c.fakes.byId.get(agentOf(first))?.stopped).toBe(true);
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(agents.agents ?? []).toEqual([]);
    // http.cpp `_markAgentGone`: an agent already gone is OK again; one the master never knew is not found.
    const again = await gone(agentOf(first));
    expect([again.status, again.body]).toEqual([200, ""]);
    const unknown = await gone("nope");
    expect([unknown.status, unknown.body]).toEqual([404, "Agent 'nope' not found"]);
    s.close();
  });

  it("MARK_AGENT_GONE: a gone agent stays known until the registry prunes it", async () => {
    const c = await cluster({ registryMaxAgentAgeMs: 40 });
    const [agent] = c.fakes.byId.keys();
    const gone = () =>
      post(
        c.url,
        "/api/v1",
        JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } }),
      );
    expect((await gone()).status).toBe(200);
    expect((await gone()).status).toBe(200);
    // master.cpp `doRegistryGc` prunes gone agents past --registry_max_agent_age as it prunes unreachable ones.
    await new Promise((r) => setTimeout(r, 80));
    const pruned = await gone();
    expect([pruned.status, pruned.body]).toEqual([404, `Agent '${agent}' not found`]);
  });

  it("MARK_AGENT_GONE: reconciling a task there answers TASK_GONE_BY_OPERATOR, TASK_LOST without PARTITION_AWARE", async () => {
    // master.cpp `Master::reconcile`, case (5): a task the master no longer holds, on an agent in `slaves.gone`.
    const c = await cluster({ registryMaxAgentAgeMs: 400 });
    const [agent] = c.fakes.byId.keys();
    const aware = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const old = await TestScheduler.subscribe(c.url, { user: "root", name: "old", failover_timeout: 60 });
    const gone = await post(
      c.url,
      "/api/v1",
      JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } }),
    );
    expect(gone.status).toBe(200);
    const ask = async (s: TestScheduler, state: string): Promise<Json> => {
      const mark = s.events.length;
      await s.call({
        type: "RECONCILE",
        reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: { value: agent } }] },
      });
      return s.update("t1", state, mark);
    };
    for (const [s, state] of [
      [aware, "TASK_GONE_BY_OPERATOR"],
      [old, "TASK_LOST"],
    ] as const)
      expect(await ask(s, state)).toMatchObject({
        source: "SOURCE_MASTER",
        reason: "REASON_RECONCILIATION",
        message: "Reconciliation: Task is gone",
        agent_id: { value: agent },
      });
    // Once the registry has pruned the agent, the master knows nothing of it (case 6).
    await new Promise((r) => setTimeout(r, 500));
    expect((await ask(aware, "TASK_UNKNOWN")).message).toBe("Reconciliation: Task is unknown");
    aware.close();
    old.close();
  });

  it("refuses an unknown fault or agent with 400", async () => {
    const c = await cluster();
    await expect(c.faults.partitionAgent("nope")).rejects.toThrow(/unknown agent 'nope'/);
    const answer = await fetch(`${c.url}/__titan_local/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "FLOOD" }),
    });
    expect(answer.status).toBe(400);
  });
});

describe("master failover", () => {
  it("drops every scheduler stream; tasks survive; the framework re-subscribes with its id", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    await running(s, "t1");
    const before = (await operator(c.url, { type: "GET_MASTER" })).get_master as Json;
    await c.faults.failoverMaster();
    await s.waitEnded();
    const frameworks = (await operator(c.url, { type: "GET_FRAMEWORKS" })).get_frameworks as Json;
    expect((frameworks.frameworks as Json[]).map((f) => [f.connected, f.recovered])).toEqual([[false, true]]);
    const after = (await operator(c.url, { type: "GET_MASTER" })).get_master as Json;
    expect((after.master_info as Json).id).not.toBe((before.master_info as Json).id);
    const denied = await s.call({ type: "REVIVE" });
    expect(denied.status).toBe(403);
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    expect(back.frameworkId).toBe(s.frameworkId);
    await back.call({ type: "RECONCILE", reconcile: {} });
    await back.update("t1", "TASK_RUNNING");
    back.close();
  });
});

describe("master failover with agents that re-register late", () => {
  it("answers no reconciliation for their tasks and makes no offers until they re-register", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.failoverMaster(1500);
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const asked = Date.now();
    const task = { task_id: { value: "t1" }, agent_id: offer.agent_id };
    await back.call({ type: "RECONCILE", reconcile: { tasks: [task] } });
    await back.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "never-launched" } }] } });
    await back.call({ type: "RECONCILE", reconcile: {} });
    await back.call({ type: "REVIVE" });
    // Master::reconcileTasks case (2): silence while the agent is recovered, however it is asked.
    await new Promise((r) => setTimeout(r, 800));
    expect(back.events.filter((e) => e.type === "UPDATE" || e.type === "OFFERS")).toEqual([]);
    // Once it re-registered, the same question is answered.
    for (let i = 0; i < 50 && back.updates("t1").length === 0; i++) {
      await back.call({ type: "RECONCILE", reconcile: { tasks: [task] } });
      await new Promise((r) => setTimeout(r, 100));
    }
    const answer = await back.update("t1", "TASK_RUNNING");
    expect(answer).toMatchObject({ reason: "REASON_RECONCILIATION" });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1400);
    back.close();
  });
});

describe("master failover: agents recovered from the registry (Master::_recover, slaves.recovered)", () => {
  async function legacy(url: string, path: string): Promise<Json> {
    return (await (await fetch(`${url}${path}`)).json()) as Json;
  }

  it("knows none of their tasks and lists them as recovered agents until they re-register", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    const agentId = agentOf(offer);
    await c.faults.failoverMaster(1500);
    await s.waitEnded();
    const state = (await operator(c.url, { type: "GET_STATE" })).get_state as Json;
    expect(((state.get_tasks as Json).tasks as Json[]).length).toBe(0);
    // A framework is learned from its agents' re-registration or its own re-subscription.
    expect(((state.get_frameworks as Json).frameworks as Json[]).length).toBe(0);
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(agents.agents).toEqual([]);
    expect((agents.recovered_agents as Json[]).map((a) => (a.id as Json).value)).toEqual([agentId]);
    expect((await operator(c.url, { type: "GET_TASKS" })).get_tasks).toMatchObject({ tasks: [] });
    const master = await legacy(c.url, "/master/state");
    expect(master.slaves).toEqual([]);
    expect(master.activated_slaves).toBe(0);
    const [recovered] = master.recovered_slaves as Json[];
    expect(Object.keys(recovered ?? {}).sort()).toEqual(["attributes", "hostname", "id", "port"]);
    expect(recovered?.id).toBe(agentId);
    expect(master.frameworks).toEqual([]);
    expect((await legacy(c.url, "/master/slaves")).recovered_slaves).toEqual([recovered]);
    expect((await legacy(c.url, "/master/tasks")).tasks).toEqual([]);
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    // Re-registered, the agent brings its task back without a word to the framework.
    for (let i = 0; i < 60; i++) {
      const tasks = ((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[];
      if (tasks.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(after.recovered_agents).toEqual([]);
    expect((after.agents as Json[]).length).toBe(1);
    const tasks = ((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[];
    expect(tasks.map((t) => [(t.task_id as Json).value, t.state])).toEqual([["t1", "TASK_RUNNING"]]);
    expect(back.updates("t1")).toEqual([]);
    back.close();
  });

  it("holds no kill of their tasks: a KILL of one is answered as its reconciliation, with nothing", async () => {
    const c = await cluster();
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.failoverMaster(1000);
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    await back.call({ type: "KILL", kill: { task_id: { value: "t1" }, agent_id: offer.agent_id } });
    await new Promise((r) => setTimeout(r, 1500));
    // Re-registered, the agent still runs it: the new master never knew of it when the kill came.
    await back.call({ type: "RECONCILE", reconcile: { tasks: [{ task_id: { value: "t1" } }] } });
    expect(await back.update("t1", "TASK_RUNNING")).toMatchObject({ reason: "REASON_RECONCILIATION" });
    expect(back.updates("t1").map((u) => u.state)).toEqual(["TASK_RUNNING"]);
    back.close();
  });

  it("marks those that miss --agent_reregister_timeout unreachable: FAILURE, no task updates", async () => {
    const c = await cluster({ agentReregisterTimeoutMs: 300 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.failoverMaster(2000);
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const failure = await back.next((e) => e.type === "FAILURE");
    expect(failure).toEqual({ type: "FAILURE", failure: { agent_id: offer.agent_id } });
    expect(back.updates("t1")).toEqual([]);
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect([agents.agents, agents.recovered_agents]).toEqual([[], []]);
    expect((await legacy(c.url, "/master/state")).unreachable_slaves).toBe(1);
    expect((await operator(c.url, { type: "GET_TASKS" })).get_tasks).toMatchObject({
      tasks: [],
      unreachable_tasks: [],
    });
    // Master::reconcile case (4): asked with its agent, the task is unreachable; without it, unknown.
    await back.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    expect((await back.update("t1", "TASK_UNREACHABLE")).message).toBe("Reconciliation: Task is unreachable");
    const mark = back.events.length;
    // When it re-registers after all, its tasks come back and every framework hears of them.
    const returned = await back.update("t1", "TASK_RUNNING", mark);
    expect(returned).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REREGISTERED",
      message: "Unreachable agent re-reregistered",
    });
    back.close();
  });
});

describe("MARK_AGENT_GONE of an agent yet to re-register after a master failover", () => {
  const markGone = (url: string, agent: string) =>
    post(
      url,
      "/api/v1",
      JSON.stringify({ type: "MARK_AGENT_GONE", mark_agent_gone: { agent_id: { value: agent } } }),
    );

  it("tells no framework anything, keeps it recovered, and shuts it down when it comes to re-register", async () => {
    // master.cpp `Master::markGone`: a recovered agent has no task the master knows, so nothing is sent (MESOS-9739)
    // and it is left in `slaves.recovered`; `Master::reregisterSlave` refuses it and tells it to shut down.
    const c = await cluster({ agentReregisterTimeoutMs: 1500 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    const agentId = agentOf(offer);
    await c.faults.failoverMaster(800);
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const mark = back.events.length;
    expect((await markGone(c.url, agentId)).status).toBe(200);
    expect((await markGone(c.url, agentId)).status).toBe(200);
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect((agents.recovered_agents as Json[]).map((a) => (a.id as Json).value)).toEqual([agentId]);
    // Master::reconcile case (2) comes before case (5): the agent is still recovered, so nothing is answered.
    const task = { task_id: { value: "t1" }, agent_id: offer.agent_id };
    await back.call({ type: "RECONCILE", reconcile: { tasks: [task] } });
    // Past its re-registration and the re-register timeout: shut down, never admitted nor marked unreachable.
    await new Promise((r) => setTimeout(r, 2000));
    expect(c.fakes.byId.get(agentId)?.stopped).toBe(true);
    expect(back.events.slice(mark).map((e) => e.type)).not.toContain("FAILURE");
    expect(back.updates("t1")).toEqual([]);
    const after = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect([after.agents, (after.recovered_agents as Json[]).length]).toEqual([[], 1]);
    expect((await operator(c.url, { type: "GET_TASKS" })).get_tasks).toMatchObject({
      tasks: [],
      unreachable_tasks: [],
    });
    // The next master's registry lists it among the gone agents only: asked with it, the task is gone.
    await c.faults.failoverMaster(0);
    await back.waitEnded();
    const next = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const listed = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(listed.recovered_agents).toEqual([]);
    await next.call({ type: "RECONCILE", reconcile: { tasks: [task] } });
    expect(await next.update("t1", "TASK_GONE_BY_OPERATOR")).toMatchObject({
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: Task is gone",
    });
    next.close();
  });

  it("an agent already unreachable at the failover: no update, and reconciling its task answers it is gone", async () => {
    // master.cpp `Master::markGone`: the new master has no unreachable task of it to update
    // (`slaves.unreachableTasks` is not in the registry); `Master::reconcile` case (5) answers for it.
    const c = await cluster({ agentUnreachableAfterMs: 30 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    const agentId = agentOf(offer);
    await c.faults.partitionAgent(agentId);
    await s.update("t1", "TASK_UNREACHABLE");
    await c.faults.failoverMaster();
    await s.waitEnded();
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    expect((await markGone(c.url, agentId)).status).toBe(200);
    await back.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    expect((await back.update("t1", "TASK_GONE_BY_OPERATOR")).reason).toBe("REASON_RECONCILIATION");
    expect(back.updates("t1").map((u) => u.message)).toEqual(["Reconciliation: Task is gone"]);
    expect(back.events.map((e) => e.type)).not.toContain("FAILURE");
    back.close();
  });
});

describe("master failover after an agent was marked unreachable (the registry's unreachable list)", () => {
  it("knows none of its tasks, keeps it unreachable, answers TASK_UNREACHABLE for a task named with it", async () => {
    // master.cpp `Master::_recover`: the registry gives the new master the agent's id and unreachable time
    // (`slaves.unreachable`), never its tasks; `Master::reconcile` answers case (4) from that time.
    const c = await cluster({ agentUnreachableAfterMs: 30 }, 2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const old = await TestScheduler.subscribe(c.url, { user: "root", name: "old", failover_timeout: 60 });
    const offer = await running(s, "t1");
    const agentId = agentOf(offer);
    await c.faults.partitionAgent(agentId);
    const unreachable = await s.update("t1", "TASK_UNREACHABLE");
    await c.faults.failoverMaster();
    await s.waitEnded();
    const tasks = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect([tasks.tasks, tasks.unreachable_tasks]).toEqual([[], []]);
    // Its framework is known from no task: the new master learns it when it re-subscribes.
    const frameworks = (await operator(c.url, { type: "GET_FRAMEWORKS" })).get_frameworks as Json;
    expect(frameworks.frameworks).toEqual([]);
    const state = (await (await fetch(`${c.url}/master/state`)).json()) as Json;
    expect([state.unreachable_slaves, state.frameworks]).toEqual([1, []]);
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect((agents.agents as Json[]).map((a) => ((a.agent_info as Json).id as Json).value)).not.toContain(
      agentId,
    );
    expect(agents.recovered_agents).toEqual([]);

    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const task = { task_id: { value: "t1" }, agent_id: offer.agent_id };
    await back.call({ type: "RECONCILE", reconcile: {} });
    await back.call({ type: "RECONCILE", reconcile: { tasks: [task] } });
    const asked = await back.update("t1", "TASK_UNREACHABLE");
    expect(asked).toMatchObject({
      reason: "REASON_RECONCILIATION",
      message: "Reconciliation: Task is unreachable",
    });
    expect(asked.unreachable_time).toEqual(unreachable.unreachable_time);
    // Implicit reconciliation knows no task of it: the only answer is the explicit one.
    expect(back.updates("t1")).toHaveLength(1);
    const oldBack = await TestScheduler.subscribe(
      c.url,
      { user: "root", name: "old", failover_timeout: 60 },
      old.frameworkId,
    );
    await oldBack.call({ type: "RECONCILE", reconcile: { tasks: [{ ...task, task_id: { value: "t9" } }] } });
    expect((await oldBack.update("t9", "TASK_LOST")).message).toBe("Reconciliation: Task is unreachable");

    // When it comes back, its tasks come back and their frameworks hear of them (Master::__reregisterSlave).
    const mark = back.events.length;
    await c.faults.healAgent(agentId);
    expect(await back.update("t1", "TASK_RUNNING", mark)).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REREGISTERED",
      message: "Unreachable agent re-reregistered",
    });
    const after = (await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json;
    expect((after.tasks as Json[]).map((t) => [(t.task_id as Json).value, t.state])).toEqual([
      ["t1", "TASK_RUNNING"],
    ]);
    expect(after.unreachable_tasks).toEqual([]);
    back.close();
    oldBack.close();
  });
});

describe("master failover after an agent died", () => {
  it("lists the dead agent as recovered, knows none of its tasks, marks it unreachable at the timeout", async () => {
    const c = await cluster({ agentReregisterTimeoutMs: 1000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = await running(s, "t1");
    await c.faults.stopAgent(agentOf(offer));
    // Failed over at once: live agents re-register at once, a dead one never does.
    await c.faults.failoverMaster(0);
    await s.waitEnded();
    const agents = (await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json;
    expect(agents.agents).toEqual([]);
    expect((agents.recovered_agents as Json[]).map((a) => (a.id as Json).value)).toEqual([agentOf(offer)]);
    expect((await operator(c.url, { type: "GET_TASKS" })).get_tasks).toMatchObject({ tasks: [] });
    const back = await TestScheduler.subscribe(c.url, FRAMEWORK, s.frameworkId);
    const failure = await back.next((e) => e.type === "FAILURE");
    expect(failure).toEqual({ type: "FAILURE", failure: { agent_id: offer.agent_id } });
    await back.call({
      type: "RECONCILE",
      reconcile: { tasks: [{ task_id: { value: "t1" }, agent_id: offer.agent_id }] },
    });
    expect((await back.update("t1", "TASK_UNREACHABLE")).message).toBe("Reconciliation: Task is unreachable");
    back.close();
  });
});

describe("status update faults", () => {
  it("drop: a lost delivery is re-sent by the retry", async () => {
    const c = await cluster({ statusRetryMinMs: 30 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await c.faults.dropUpdates(1);
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await s.update("t1", "TASK_RUNNING");
    expect(s.updates("t1").map((u) => u.state)).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    s.close();
  });

  it("duplicate: the same update (same uuid) arrives twice", async () => {
    const c = await cluster({ statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.autoAck = false;
    const offer = (await s.offers())[0] as Json;
    await c.faults.duplicateUpdates(1);
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await s.update("t1", "TASK_STARTING");
    for (let i = 0; i < 50 && s.updates("t1").length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const [a, b] = s.updates("t1");
    expect(a?.uuid).toBeDefined();
    expect(b?.uuid).toBe(a?.uuid);
    s.close();
  });

  it("delay: an update is held back, then delivered", async () => {
    const c = await cluster({ statusRetryMinMs: 60_000 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await c.faults.delayUpdates(300, 1);
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await new Promise((r) => setTimeout(r, 30));
    expect(s.updates("t1")).toEqual([]);
    await s.update("t1", "TASK_RUNNING");
    s.close();
  });

  it("withhold offers: no offers until resumed", async () => {
    const c = await cluster({ allocationIntervalMs: 20 });
    await c.faults.withholdOffers(true);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.events.some((e) => e.type === "OFFERS")).toBe(false);
    expect(((await c.faults.state()).faults as Json).withhold_offers).toBe(true);
    await c.faults.withholdOffers(false);
    await s.offers();
    s.close();
  });
});
