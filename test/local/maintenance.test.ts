import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { fakeAgents } from "./fake-agent.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

const START_NS = 1_893_456_000_000_000_000n;

function machine(hostname: string): Json {
  return { hostname, ip: "127.0.0.1" };
}

function schedule(hostnames: string[]): string {
  // int64 nanoseconds written as an exact JSON number, as a protobuf JSON writer does.
  const ids = hostnames.map((h) => JSON.stringify(machine(h))).join(",");
  return `{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":[${ids}],"unavailability":{"start":{"nanoseconds":${START_NS}}}}]}}}`;
}

async function call(url: string, body: string): Promise<{ status: number; body: string }> {
  return post(url, "/api/v1", body);
}

async function status(url: string): Promise<Json> {
  const answer = await operator(url, { type: "GET_MAINTENANCE_STATUS" });
  expect(checkShape(answer, "mesos.v1.master.Response")).toEqual([]);
  return (answer.get_maintenance_status as Json).status as Json;
}

async function runningTask(url: string): Promise<{ s: TestScheduler; offer: Json }> {
  const s = await TestScheduler.subscribe(url, FRAMEWORK);
  const offer = (await s.offers())[0] as Json;
  await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)], { refuse_seconds: 0 });
  await s.update("t1", "TASK_RUNNING");
  return { s, offer };
}

describe("maintenance in the local master", () => {
  it("schedules a machine, sends its framework an inverse offer and records the answer", async () => {
    const local = await startTestCluster({ agents: 2 });
    const { s, offer } = await runningTask(local.url);
    const host = String(offer.hostname);
    const from = s.events.length;
    expect((await call(local.url, schedule([host]))).status).toBe(200);

    const scheduled = await operator(local.url, { type: "GET_MAINTENANCE_SCHEDULE" });
    expect(checkShape(scheduled, "mesos.v1.master.Response")).toEqual([]);
    const windows = ((scheduled.get_maintenance_schedule as Json).schedule as Json).windows as Json[];
    expect(windows[0]?.machine_ids).toEqual([machine(host)]);
    expect(await status(local.url)).toEqual({ draining_machines: [{ id: machine(host) }] });

    const event = await s.next((e) => e.type === "INVERSE_OFFERS", 5000, from);
    expect(checkShape(event, "mesos.v1.scheduler.Event"), JSON.stringify(event)).toEqual([]);
    const inverse = ((event.inverse_offers as Json).inverse_offers as Json[])[0] as Json;
    expect(inverse.agent_id).toEqual(offer.agent_id);
    expect(((inverse.unavailability as Json).start as Json).nanoseconds).toBe(Number(START_NS));
    expect(inverse.resources).toBeUndefined();
    // Only the framework's own agent: the other agent holds nothing of it.
    expect((event.inverse_offers as Json).inverse_offers).toHaveLength(1);

    const answered = await s.call({
      type: "ACCEPT_INVERSE_OFFERS",
      accept_inverse_offers: { inverse_offer_ids: [inverse.id], filters: { refuse_seconds: 3600 } },
    });
    expect(answered.status).toBe(202);
    const draining = ((await status(local.url)).draining_machines as Json[])[0] as Json;
    expect(draining.statuses).toEqual([
      expect.objectContaining({ status: "ACCEPT", framework_id: { value: s.frameworkId } }),
    ]);
    s.close();
  }, 20_000);

  it("sends a declined inverse offer again after a REVIVE, which clears inverse offer filters", async () => {
    const local = await startTestCluster({
      agents: 1,
      createAgent: fakeAgents().create,
      master: { allocationIntervalMs: 20 },
    });
    const { s, offer } = await runningTask(local.url);
    const from = s.events.length;
    expect((await call(local.url, schedule([String(offer.hostname)]))).status).toBe(200);
    const event = await s.next((e) => e.type === "INVERSE_OFFERS", 5000, from);
    const inverse = ((event.inverse_offers as Json).inverse_offers as Json[])[0] as Json;
    await s.call({
      type: "DECLINE_INVERSE_OFFERS",
      decline_inverse_offers: { inverse_offer_ids: [inverse.id], filters: { refuse_seconds: 3600 } },
    });
    const mark = s.events.length;
    // A REVIVE the master drops (a role the framework is not subscribed to) clears nothing.
    await s.call({ type: "REVIVE", revive: { roles: ["other"] } });
    await new Promise((r) => setTimeout(r, 150));
    expect(s.events.slice(mark).some((e) => e.type === "INVERSE_OFFERS")).toBe(false);
    await s.call({ type: "REVIVE" });
    const again = await s.next((e) => e.type === "INVERSE_OFFERS", 5000, mark);
    const second = ((again.inverse_offers as Json).inverse_offers as Json[])[0] as Json;
    expect(second.agent_id).toEqual(offer.agent_id);
    expect(second.id).not.toEqual(inverse.id);
    s.close();
  });

  it("brings a scheduled machine DOWN (its tasks lost), refuses to unschedule it, and brings it back UP", async () => {
    const local = await startTestCluster({ agents: 2 });
    const { s, offer } = await runningTask(local.url);
    const host = String(offer.hostname);
    const start = (h: string) =>
      call(
        local.url,
        JSON.stringify({ type: "START_MAINTENANCE", start_maintenance: { machines: [machine(h)] } }),
      );
    const other = host === "agent-1.local" ? "agent-2.local" : "agent-1.local";
    // master.cpp keeps every machine an agent registered on (`machines`), UP until scheduled: starting maintenance
    // of one is refused for its mode; only a machine the master never saw is not part of a schedule.
    expect(await start(other)).toMatchObject({
      status: 400,
      body: `Machine '{"hostname":"${other}","ip":"127.0.0.1"}' is not in DRAINING mode and cannot be brought down`,
    });
    expect(await start("elsewhere.local")).toMatchObject({
      status: 400,
      body: `Machine '{"hostname":"elsewhere.local","ip":"127.0.0.1"}' is not part of a maintenance schedule`,
    });
    expect((await call(local.url, schedule([host]))).status).toBe(200);
    const from = s.events.length;
    expect((await start(host)).status).toBe(200);
    expect(await s.update("t1", "TASK_LOST", from)).toMatchObject({
      reason: "REASON_AGENT_REMOVED",
      message: `Agent ${host} removed: Operator initiated 'Machine DOWN'`,
    });
    expect(await status(local.url)).toEqual({ down_machines: [machine(host)] });
    expect(local.agentIds()).toHaveLength(1);
    expect(await start(host)).toMatchObject({ status: 400 });

    const unschedule = await call(
      local.url,
      JSON.stringify({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule: {} } }),
    );
    expect(unschedule.body).toBe(
      `Machine '{"hostname":"${host}","ip":"127.0.0.1"}' is deactivated and cannot be removed from the schedule`,
    );
    const stop = JSON.stringify({
      type: "STOP_MAINTENANCE",
      stop_maintenance: { machines: [machine(host)] },
    });
    expect((await call(local.url, stop)).status).toBe(200);
    expect(await status(local.url)).toEqual({});
    const after = await operator(local.url, { type: "GET_MAINTENANCE_SCHEDULE" });
    expect(after.get_maintenance_schedule).toEqual({ schedule: {} });
    // Up again, the machine stays known to the master (http.cpp `_stopMaintenance` sets its mode UP).
    expect(await call(local.url, stop)).toMatchObject({
      status: 400,
      body: `Machine '{"hostname":"${host}","ip":"127.0.0.1"}' is not in DOWN mode and cannot be brought up`,
    });
    s.close();
  }, 20_000);

  it("rescinds the offers of every agent when the schedule changes, scheduled or not", async () => {
    const local = await startTestCluster({ agents: 2, createAgent: fakeAgents().create });
    const s = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const byHost = new Map<string, Json>();
    for (let seen = 0; byHost.size < 2; ) {
      const event = await s.next((e) => e.type === "OFFERS", 5000, seen);
      seen = s.events.indexOf(event) + 1;
      for (const offer of (event.offers as Json).offers as Json[]) byHost.set(String(offer.hostname), offer);
    }
    const from = s.events.length;
    expect((await call(local.url, schedule(["agent-1.local"]))).status).toBe(200);
    // http.cpp `___updateMaintenanceSchedule` calls `updateUnavailability` for every known machine, which
    // rescinds its agents' offers even when nothing changed for them.
    const other = byHost.get("agent-2.local") as Json;
    const rescind = await s.next(
      (e) =>
        e.type === "RESCIND" && JSON.stringify((e.rescind as Json).offer_id) === JSON.stringify(other.id),
      5000,
      from,
    );
    expect(rescind.type).toBe("RESCIND");
    s.close();
  });

  it("names a draining machine as the master first knew it, by its agent's hostname", async () => {
    const local = await startTestCluster({ agents: 1, createAgent: fakeAgents().create });
    expect((await call(local.url, schedule(["AGENT-1.local", "Spare.local"]))).status).toBe(200);
    // http.cpp `_getMaintenanceStatus` writes the key of master.cpp `machines`, which the agent's registration put
    // there; a machine no agent runs on is keyed as the schedule names it.
    expect(await status(local.url)).toEqual({
      draining_machines: [{ id: machine("agent-1.local") }, { id: machine("Spare.local") }],
    });
  });

  it("answers malformed maintenance calls as the master does", async () => {
    const local = await startTestCluster({ agents: 1 });
    const update = (schedule: Json) =>
      call(
        local.url,
        JSON.stringify({ type: "UPDATE_MAINTENANCE_SCHEDULE", update_maintenance_schedule: { schedule } }),
      );
    const at = { start: { nanoseconds: 1 } };
    expect((await update({ windows: [{ machine_ids: [], unavailability: at }] })).body).toBe(
      "List of machines in the maintenance window is empty",
    );
    expect((await update({ windows: [{ machine_ids: [{}], unavailability: at }] })).body).toBe(
      "Both 'hostname' and 'ip' for a machine are empty",
    );
    expect(
      (await update({ windows: [{ machine_ids: [{ ip: "300.1.1.1" }], unavailability: at }] })).body,
    ).toBe("Failed to parse IPv4: 300.1.1.1");
    // inet_pton, which stout's IPv4 parse is, takes no leading zeros.
    expect(
      (await update({ windows: [{ machine_ids: [{ ip: "127.0.0.01" }], unavailability: at }] })).body,
    ).toBe("Failed to parse IPv4: 127.0.0.01");
    const twice = { machine_ids: [machine("a"), machine("A")], unavailability: at };
    expect((await update({ windows: [twice] })).body).toBe(
      `Machine '{"hostname":"A","ip":"127.0.0.1"}' appears more than once in the schedule`,
    );
    const missing = await update({ windows: [{ machine_ids: [machine("a")], unavailability: {} }] });
    expect(missing).toMatchObject({
      status: 400,
      body: "Failed to convert JSON into Call protobuf: Missing required fields: update_maintenance_schedule.schedule.windows[0].unavailability.start",
    });
    expect((await call(local.url, JSON.stringify({ type: "START_MAINTENANCE" }))).body).toBe(
      "Failed to validate master::Call: Expecting 'start_maintenance' to be present",
    );
    const empty = JSON.stringify({ type: "STOP_MAINTENANCE", stop_maintenance: {} });
    expect((await call(local.url, empty)).body).toBe("List of machines is empty");
  });
});
