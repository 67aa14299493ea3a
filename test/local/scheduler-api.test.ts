import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { fakeAgents } from "./fake-agent.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

async function cluster(agents = 2, master = {}) {
  const fakes = fakeAgents();
  const c = await startTestCluster({ agents, createAgent: fakes.create, master });
  return { ...c, fakes };
}

function expectEventShapes(s: TestScheduler): void {
  for (const event of s.events)
    expect(checkShape(event, "mesos.v1.scheduler.Event"), JSON.stringify(event)).toEqual([]);
}

describe("SUBSCRIBE", () => {
  it("answers 200 with a RecordIO stream: SUBSCRIBED, HEARTBEAT, then OFFERS from every agent", async () => {
    const c = await cluster(2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    expect(s.response.statusCode).toBe(200);
    expect(s.response.headers["content-type"]).toBe("application/json");
    expect(s.streamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.events[0]?.type).toBe("SUBSCRIBED");
    const subscribed = s.events[0]?.subscribed as Json;
    expect(subscribed.heartbeat_interval_seconds).toBe(15);
    expect((subscribed.master_info as Json).port).toBe(Number(new URL(c.url).port));
    await s.next((e) => e.type === "HEARTBEAT");
    const offers = await s.offers();
    const agentIds = new Set<string>();
    for (let from = 0; agentIds.size < 2; from++) {
      const event = await s.next((e) => e.type === "OFFERS", 5000, from);
      from = s.events.indexOf(event);
      for (const o of (event.offers as Json).offers as Json[])
        agentIds.add(String((o.agent_id as Json).value));
    }
    expect(agentIds).toEqual(new Set(c.agentIds()));
    const offer = offers[0] as Json;
    expect(offer.framework_id).toEqual({ value: s.frameworkId });
    expect(offer.allocation_info).toEqual({ role: "titan" });
    expect(offer.hostname).toMatch(/^agent-\d\.local$/);
    expect((offer.url as Json).scheme).toBe("http");
    const resources = offer.resources as Json[];
    expect(resources.map((r) => r.name)).toEqual(["cpus", "mem", "disk", "ports"]);
    for (const r of resources) {
      expect(r.allocation_info).toEqual({ role: "titan" });
      expect(r.role).toBeUndefined();
    }
    expect((offer.attributes as Json[]).map((a) => a.name).sort()).toEqual(["instance_type", "rack", "zone"]);
    expectEventShapes(s);
    s.close();
  });

  it("frames records as <byte length>\\n<json>, counting bytes, with nothing in between", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await s.update("t1", "TASK_RUNNING");
    const message = "sortie ✓ ünïcödé";
    c.fakes.byId.get(String((offer.agent_id as Json).value))?.finish("t1", "TASK_FAILED", message);
    const failed = await s.update("t1", "TASK_FAILED");
    expect(failed.message).toBe(message);
    const record = s.raw.find((r) => r.includes("TASK_FAILED")) ?? "";
    expect(Buffer.byteLength(record)).toBeGreaterThan(record.length);
    expect(s.events.slice(0, 3).map((e) => e.type)).toEqual(["SUBSCRIBED", "HEARTBEAT", "OFFERS"]);
    s.close();
  });

  it("writes the deprecated role '*' and no allocation_info for an old-style single-role framework", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, { user: "root", name: "old", failover_timeout: 0 });
    const offer = (await s.offers())[0] as Json;
    expect(offer.allocation_info).toBeUndefined();
    for (const r of offer.resources as Json[]) {
      expect(r.role).toBe("*");
      expect(r.allocation_info).toBeUndefined();
    }
    expectEventShapes(s);
    s.close();
  });

  it("fails the first subscription over when the same framework subscribes again, keeping its tasks", async () => {
    const c = await cluster(1);
    const first = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await first.offers())[0] as Json;
    await first.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await first.update("t1", "TASK_RUNNING");
    const second = await TestScheduler.subscribe(c.url, FRAMEWORK, first.frameworkId);
    const error = await first.next((e) => e.type === "ERROR");
    expect(error).toEqual({ type: "ERROR", error: { message: "Framework failed over" } });
    await first.waitEnded();
    expect(second.frameworkId).toBe(first.frameworkId);
    expect(second.streamId).not.toBe(first.streamId);
    const stale = await first.call({ type: "REVIVE" });
    expect(stale.status).toBe(400);
    expect(stale.body).toBe(
      `The stream ID '${first.streamId}' included in this request didn't match the stream ID currently associated with framework ID ${first.frameworkId}`,
    );
    const reconciled = await second.call({ type: "RECONCILE", reconcile: { tasks: [] } });
    expect(reconciled.status).toBe(202);
    const status = await second.update("t1", "TASK_RUNNING");
    expect(status.reason).toBe("REASON_RECONCILIATION");
    expectEventShapes(first);
    expectEventShapes(second);
    second.close();
  });

  it("refuses a re-subscription that changes the principal", async () => {
    const c = await cluster(1);
    const first = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, principal: "a" });
    const second = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, principal: "b" }, first.frameworkId);
    expect(second.events[0]).toEqual({
      type: "ERROR",
      error: { message: "Changing framework's principal is not allowed." },
    });
    await second.waitEnded();
    first.close();
  });
});

describe("the answers to calls on a subscription, as Master::Http::scheduler gives them", () => {
  it("answers every call 202 Accepted with an empty body, but UPDATE_FRAMEWORK 200 OK", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const calls: Json[] = [
      { type: "DECLINE", decline: { offer_ids: [] } },
      { type: "REVIVE", revive: {} },
      { type: "SUPPRESS", suppress: {} },
      { type: "RECONCILE", reconcile: { tasks: [] } },
      { type: "RECONCILE_OPERATIONS", reconcile_operations: { operations: [] } },
      { type: "KILL", kill: { task_id: { value: "never-launched" } } },
      { type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: [] } },
      { type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: { inverse_offer_ids: [] } },
      { type: "MESSAGE", message: { agent_id: { value: "a" }, executor_id: { value: "e" }, data: "" } },
    ];
    for (const call of calls)
      expect(await s.call(call), String(call.type)).toMatchObject({ status: 202, body: "" });
    const info = { ...FRAMEWORK, id: { value: s.frameworkId } };
    const updated = await s.call({ type: "UPDATE_FRAMEWORK", update_framework: { framework_info: info } });
    expect(updated).toMatchObject({ status: 200, body: "" });
    expect(await s.call({ type: "TEARDOWN" })).toMatchObject({ status: 202, body: "" });
  });
});

describe("SUBSCRIBE and UPDATE_FRAMEWORK, validated as Master::subscribe and Master::updateFramework do", () => {
  it("refuses a FrameworkInfo framework::validate refuses, and suppressed roles it does not have", async () => {
    const c = await cluster(1);
    const duplicated = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, roles: ["titan", "titan"] });
    expect(duplicated.events[0]).toEqual({
      type: "ERROR",
      error: { message: "'FrameworkInfo.roles' contains duplicate items: { titan }" },
    });
    await duplicated.waitEnded();
    const suppressing = await TestScheduler.subscribe(c.url, FRAMEWORK, undefined, {
      suppressed_roles: ["web"],
    });
    expect(suppressing.events[0]).toEqual({
      type: "ERROR",
      error: { message: "Suppressed roles { web } are not contained in the set of roles" },
    });
    await suppressing.waitEnded();
  });

  it("answers a bad UPDATE_FRAMEWORK with the master's 400, and takes its suppressed roles as given", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK, undefined, { suppressed_roles: ["titan"] });
    const info = { ...FRAMEWORK, id: { value: s.frameworkId } };
    const update = (framework_info: Json, extra: Json = {}) =>
      s.call({ type: "UPDATE_FRAMEWORK", update_framework: { framework_info, ...extra } });
    const renamedUser = await update({ ...info, user: "nobody" });
    expect(renamedUser).toMatchObject({
      status: 400,
      body: "FrameworkInfo update is not valid: Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'nobody'",
    });
    const badRole = await update({ ...info, roles: ["titan", "/x"] });
    expect(badRole).toMatchObject({
      status: 400,
      body: "Supplied FrameworkInfo is not valid: 'FrameworkInfo.roles' contains invalid role: Role '/x' cannot start with a slash",
    });
    const foreign = await update(info, { suppressed_roles: ["web"] });
    expect(foreign).toMatchObject({
      status: 400,
      body: "'UpdateFramework' call is not valid: Suppressed roles { web } are not contained in the set of roles",
    });
    expect(s.events.some((e) => e.type === "OFFERS")).toBe(false);
    // No suppressed_roles in the update: none stays suppressed, and offers come.
    expect((await update(info)).status).toBe(200);
    expect((await s.offers()).length).toBeGreaterThan(0);
    s.close();
  });
});

describe("the test client's own calls", () => {
  it("are valid mesos.v1.scheduler.Call bodies", () => {
    const offer = { agent_id: { value: "S1" } };
    const calls: Json[] = [
      { type: "SUBSCRIBE", subscribe: { framework_info: FRAMEWORK } },
      {
        type: "ACCEPT",
        framework_id: { value: "F" },
        accept: {
          offer_ids: [{ value: "O1" }],
          operations: [{ type: "LAUNCH", launch: { task_infos: [commandTask("t", offer)] } }],
          filters: { refuse_seconds: 5 },
        },
      },
      {
        type: "KILL",
        framework_id: { value: "F" },
        kill: { task_id: { value: "t" }, kill_policy: { grace_period: { nanoseconds: 1 } } },
      },
      {
        type: "RECONCILE",
        framework_id: { value: "F" },
        reconcile: { tasks: [{ task_id: { value: "t" } }] },
      },
      {
        type: "DECLINE",
        framework_id: { value: "F" },
        decline: { offer_ids: [{ value: "O1" }], filters: { refuse_seconds: 1 } },
      },
      { type: "REVIVE", framework_id: { value: "F" }, revive: { roles: ["titan"] } },
    ];
    for (const call of calls)
      expect(checkShape(call, "mesos.v1.scheduler.Call"), String(call.type)).toEqual([]);
  });
});

describe("HTTP contract of /api/v1/scheduler", () => {
  const subscribeBody = JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: FRAMEWORK } });

  const contentCases: Array<{ desc: string; headers: Record<string, string>; status: number; body: string }> =
    [
      {
        desc: "a charset parameter is not application/json",
        headers: { "Content-Type": "application/json; charset=utf-8" },
        status: 415,
        body: "Expecting 'Content-Type' of application/json or application/x-protobuf",
      },
      { desc: "no Content-Type", headers: {}, status: 400, body: "Expecting 'Content-Type' to be present" },
      {
        desc: "an Accept that allows neither type",
        headers: { "Content-Type": "application/json", Accept: "text/html" },
        status: 406,
        body: "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
      },
      {
        desc: "a stream id on SUBSCRIBE",
        headers: { "Content-Type": "application/json", "Mesos-Stream-Id": "x" },
        status: 400,
        body: "Subscribe calls should not include the 'Mesos-Stream-Id' header",
      },
    ];

  it.each(contentCases)("answers $status for $desc", async ({ headers, status, body }) => {
    const c = await cluster(1);
    const answer = await post(c.url, "/api/v1/scheduler", subscribeBody, headers);
    expect(answer.status).toBe(status);
    expect(answer.body).toBe(body);
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
  });

  it("negotiates Accept for RECONCILE_OPERATIONS too, before it looks the framework up (Master::Http::scheduler)", async () => {
    const c = await cluster(1);
    const body = JSON.stringify({
      type: "RECONCILE_OPERATIONS",
      framework_id: { value: "unknown" },
      reconcile_operations: {},
    });
    const answer = await post(c.url, "/api/v1/scheduler", body, {
      "Content-Type": "application/json",
      Accept: "text/html",
    });
    expect([answer.status, answer.body]).toEqual([
      406,
      "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'",
    ]);
  });

  it("answers 405 with Allow: POST for GET", async () => {
    const c = await cluster(1);
    const answer = await post(c.url, "/api/v1/scheduler", "", {}, "GET");
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe("POST");
    // libprocess' MethodNotAllowed({"POST"}, method) body.
    expect(answer.body).toBe("405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");
  });

  it.each([
    { desc: "malformed JSON", body: "{", status: 400, match: /^Failed to parse body into JSON: / },
    {
      desc: "a missing required field",
      body: JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { name: "x" } } }),
      status: 400,
      match:
        /^Failed to convert JSON into Call protobuf: Missing required fields: subscribe\.framework_info\.user$/,
    },
    {
      desc: "only one of the two framework ids",
      body: JSON.stringify({
        type: "SUBSCRIBE",
        framework_id: { value: "F" },
        subscribe: { framework_info: FRAMEWORK },
      }),
      status: 400,
      match:
        /^Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe\.framework_info\.id'$/,
    },
    {
      desc: "a non-SUBSCRIBE call without framework_id",
      body: JSON.stringify({ type: "REVIVE" }),
      status: 400,
      match: /^Failed to validate scheduler::Call: Expecting 'framework_id' to be present$/,
    },
    {
      desc: "an unknown framework",
      body: JSON.stringify({ type: "REVIVE", framework_id: { value: "nope" } }),
      status: 400,
      match: /^Framework cannot be found$/,
    },
  ])("answers $status for $desc", async ({ body, status, match }) => {
    const c = await cluster(1);
    const answer = await post(c.url, "/api/v1/scheduler", body);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatch(match);
  });

  it("needs the subscription's Mesos-Stream-Id on every other call, and a valid uuid on ACKNOWLEDGE", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const body = JSON.stringify({ type: "REVIVE", framework_id: { value: s.frameworkId } });
    const missing = await post(c.url, "/api/v1/scheduler", body, { "Content-Type": "application/json" });
    expect(missing.status).toBe(400);
    expect(missing.body).toBe("All non-subscribe calls should include the 'Mesos-Stream-Id' header");
    const ok = await s.call({ type: "REVIVE" });
    expect(ok.status).toBe(202);
    expect(ok.body).toBe("");
    const badAck = await s.call({
      type: "ACKNOWLEDGE",
      acknowledge: { agent_id: { value: "a" }, task_id: { value: "t" }, uuid: "jhadf73jhakdlfha723adf" },
    });
    expect(badAck.status).toBe(400);
    expect(badAck.body).toBe("Failed to validate scheduler::Call: Not a valid UUID");
    s.close();
  });

  it("answers 403 for a framework that is disconnected but not yet removed", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    s.close();
    await s.waitEnded();
    let answer = await s.call({ type: "REVIVE" });
    for (let i = 0; i < 50 && answer.status !== 403; i++) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await s.call({ type: "REVIVE" });
    }
    expect(answer.status).toBe(403);
    expect(answer.body).toBe("Framework is not subscribed");
  });
});

describe("ACCEPT", () => {
  it("launches tasks and delivers agent updates with a uuid, STAGING tasks visible in GET_TASKS", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const answer = await s.accept([String((offer.id as Json).value)], [commandTask("web.1", offer)]);
    expect(answer.status).toBe(202);
    const starting = await s.update("web.1", "TASK_STARTING");
    const running = await s.update("web.1", "TASK_RUNNING");
    for (const status of [starting, running]) {
      expect(Buffer.from(String(status.uuid), "base64")).toHaveLength(16);
      expect(status.source).toBe("SOURCE_EXECUTOR");
      expect(status.agent_id).toEqual(offer.agent_id);
      expect(status.executor_id).toEqual({ value: "web.1" });
    }
    const fake = c.fakes.byId.get(String((offer.agent_id as Json).value));
    expect(fake?.launched.map((l) => l.task.task_id.value)).toEqual(["web.1"]);
    const launchedResources = fake?.launched[0]?.task.resources ?? [];
    expect(launchedResources.every((r) => r.allocation_info?.role === "titan")).toBe(true);
    expectEventShapes(s);
    s.close();
  });

  it("drops tasks launched with an unknown offer (TASK_DROPPED, REASON_INVALID_OFFERS, no uuid)", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept(["no-such-offer"], [commandTask("t1", offer)]);
    const status = await s.update("t1", "TASK_DROPPED");
    expect(status.reason).toBe("REASON_INVALID_OFFERS");
    expect(status.source).toBe("SOURCE_MASTER");
    expect(status.uuid).toBeUndefined();
    expect(status.message).toBe("Task launched with invalid offers: Offer no-such-offer is no longer valid");
    s.close();
  });

  it("discards every offer an ACCEPT with invalid offers names, even another framework's, and tells no one", async () => {
    const c = await cluster(2);
    const b = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "b" });
    const offerOfB = (await b.offers())[0] as Json;
    const a = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "a" });
    const idOfB = String((offerOfB.id as Json).value);
    await a.accept([idOfB], [commandTask("stolen", offerOfB)]);
    expect((await a.update("stolen", "TASK_DROPPED")).message).toBe(
      `Task launched with invalid offers: Offer ${idOfB} has invalid framework ${b.frameworkId} while framework ${a.frameworkId} is expected`,
    );
    // master.cpp Master::accept discards it all the same (discardOffer): b's offer is gone, without a RESCIND.
    await b.accept([idOfB], [commandTask("mine", offerOfB)]);
    expect((await b.update("mine", "TASK_DROPPED")).message).toBe(
      `Task launched with invalid offers: Offer ${idOfB} is no longer valid`,
    );
    expect(b.events.some((e) => e.type === "RESCIND")).toBe(false);
    a.close();
    b.close();
  });

  it("answers TASK_LOST instead of TASK_DROPPED to a framework that is not partition-aware", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, { user: "root", name: "old" });
    const offer = (await s.offers())[0] as Json;
    await s.accept(["gone-offer"], [commandTask("t1", offer)]);
    const status = await s.update("t1", "TASK_LOST");
    expect(status.reason).toBe("REASON_INVALID_OFFERS");
    s.close();
  });

  it("refuses a used offer, a duplicate task id, too many resources and a foreign agent with the master's reasons", async () => {
    const c = await cluster(2);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offers = await s.offers();
    const offer = offers[0] as Json;
    const offerId = String((offer.id as Json).value);
    await s.accept(
      [offerId],
      [
        commandTask("ok", offer),
        commandTask("ok", offer),
        commandTask("huge", offer, "true", 1000),
        { ...commandTask("elsewhere", offer), agent_id: { value: "other-agent" } },
        { ...commandTask("nocmd", offer), command: undefined },
      ],
    );
    await s.update("ok", "TASK_RUNNING");
    const dup = s.updates("ok").find((u) => u.state === "TASK_ERROR") ?? (await s.update("ok", "TASK_ERROR"));
    expect(dup.message).toBe("Task has duplicate ID: ok");
    expect(dup.reason).toBe("REASON_TASK_INVALID");
    expect(String((await s.update("huge", "TASK_ERROR")).message)).toMatch(
      /^Total resources cpus\(allocated: titan\):1000; mem\(allocated: titan\):32 required by task and its executor is more than available cpus\(allocated: titan\):3\.9; mem\(allocated: titan\):8160/,
    );
    // src/master/validation.cpp task::internal::validateSlaveID.
    expect((await s.update("elsewhere", "TASK_ERROR")).message).toBe(
      `Task uses invalid agent other-agent while agent ${String((offer.agent_id as Json).value)} is expected`,
    );
    expect((await s.update("nocmd", "TASK_ERROR")).message).toBe(
      "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present",
    );
    await s.accept([offerId], [commandTask("again", offer)]);
    const reused = await s.update("again", "TASK_DROPPED");
    expect(reused.message).toBe(`Task launched with invalid offers: Offer ${offerId} is no longer valid`);
    expectEventShapes(s);
    s.close();
  });
});

describe("a LAUNCH's resources, checked as validateAndUpgradeResources does", () => {
  const portsOf = (offer: Json): number => {
    const ports = (offer.resources as Json[]).find((r) => r.name === "ports") as Json;
    return Number((((ports.ranges as Json).range as Json[])[0] as Json).begin);
  };
  const withPorts = (task: Json, range: Array<[number, number]>): Json => ({
    ...task,
    resources: [
      ...(task.resources as Json[]),
      { name: "ports", type: "RANGES", ranges: { range: range.map(([begin, end]) => ({ begin, end })) } },
    ],
  });
  const launch = (tasks: Json[]): Json => ({ type: "LAUNCH", launch: { task_infos: tasks } });

  it("fails every task of the operation with an invalid resource, with Resources::validate's bare text", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const port = portsOf(offer);
    const tiny = commandTask("tiny", offer, "sleep 30", 0.0004);
    (tiny.resources as Json[])[0] = { ...(tiny.resources as Json[])[0], allocation_info: { role: "titan" } };
    await s.call({
      type: "ACCEPT",
      accept: {
        offer_ids: [offer.id],
        operations: [
          launch([commandTask("good-1", offer), tiny]),
          launch([
            commandTask("good-2", offer),
            withPorts(commandTask("inverted", offer), [[port + 5, port + 3]]),
          ]),
          launch([
            withPorts(commandTask("coalesced", offer), [
              [port + 1, port + 1],
              [port, port + 2],
            ]),
          ]),
        ],
      },
    });
    const scalar = "Resource 'cpus(allocated: titan):0' is invalid: Invalid scalar resource: value <= 0";
    for (const id of ["good-1", "tiny"]) {
      const status = await s.update(id, "TASK_ERROR");
      expect([status.message, status.reason]).toEqual([scalar, "REASON_TASK_INVALID"]);
    }
    const inverted = `Resource 'ports:[${port + 5}-${port + 3}]' is invalid: Invalid ranges resource: begin > end`;
    for (const id of ["good-2", "inverted"])
      expect((await s.update(id, "TASK_ERROR")).message).toBe(inverted);
    // The overlap check is one-sided (a range starting inside an earlier one): this pair passes and is coalesced.
    await s.update("coalesced", "TASK_RUNNING");
    for (const id of ["good-1", "good-2"]) expect(s.updates(id).map((u) => u.state)).toEqual(["TASK_ERROR"]);
    s.close();
  });

  it("fails the LAUNCH for a reservation in both formats that disagree, or a BLOCK disk with a mount", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const reserved = commandTask("reserved", offer);
    (reserved.resources as Json[])[0] = {
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 0.1 },
      reservations: [{ type: "DYNAMIC", role: "titan", principal: "ops" }],
      role: "titan",
      reservation: { principal: "eve" },
    };
    const block = commandTask("block", offer);
    (block.resources as Json[]).push({
      name: "disk",
      type: "SCALAR",
      scalar: { value: 10 },
      disk: { source: { type: "BLOCK", mount: { root: "/mnt/b" } } },
    });
    await s.call({
      type: "ACCEPT",
      accept: {
        offer_ids: [offer.id],
        operations: [launch([commandTask("a", offer), reserved]), launch([block, commandTask("b", offer)])],
      },
    });
    const principal =
      "Resource 'cpus(reservations: [(DYNAMIC,titan,ops)]):0.1' is invalid: Invalid resource format: 'Resource.reservation.principal' field with 'eve' does not match the principal 'ops' in 'Resource.reservations'";
    for (const id of ["a", "reserved"]) expect((await s.update(id, "TASK_ERROR")).message).toBe(principal);
    const mount = "Resource 'disk[BLOCK]:10' is invalid: Mount should not be set for BLOCK disk source";
    for (const id of ["block", "b"]) expect((await s.update(id, "TASK_ERROR")).message).toBe(mount);
    s.close();
  });

  it("refuses ranges where a later one starts inside an earlier one", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const port = portsOf(offer);
    await s.accept(
      [String((offer.id as Json).value)],
      [
        withPorts(commandTask("o", offer), [
          [port, port + 2],
          [port + 1, port + 1],
        ]),
      ],
    );
    expect((await s.update("o", "TASK_ERROR")).message).toBe(
      `Resource 'ports:[${port}-${port + 2}, ${port + 1}-${port + 1}]' is invalid: Invalid ranges resource: overlapping ranges`,
    );
    s.close();
  });
});

describe("task ids", () => {
  it("counts an id's length in bytes, as validateID's std::string does", async () => {
    const c = await cluster(1);
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const long = "é".repeat(128);
    const fits = "é".repeat(127);
    await s.accept([String((offer.id as Json).value)], [commandTask(long, offer), commandTask(fits, offer)]);
    expect((await s.update(long, "TASK_ERROR")).message).toBe("ID must not be greater than 255 characters");
    await s.update(fits, "TASK_RUNNING");
    s.close();
  });
});

describe("offers", () => {
  it("re-offers declined resources only after refuse_seconds, and at once after REVIVE", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.call({ type: "DECLINE", decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } });
    const mark = s.events.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(s.events.slice(mark).some((e) => e.type === "OFFERS")).toBe(false);
    await s.call({ type: "REVIVE" });
    const again = (await s.offers(mark))[0] as Json;
    expect(again.id).not.toEqual(offer.id);
    expect(again.agent_id).toEqual(offer.agent_id);
    const mark2 = s.events.length;
    await s.call({ type: "DECLINE", decline: { offer_ids: [again.id], filters: { refuse_seconds: 0.1 } } });
    const third = (await s.offers(mark2))[0] as Json;
    expect(third.agent_id).toEqual(offer.agent_id);
    s.close();
  });

  it("offers an agent running a command task with no executor_ids", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const mark = s.events.length;
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)], { refuse_seconds: 0 });
    await s.update("t1", "TASK_RUNNING");
    const again = (await s.offers(mark))[0] as Json;
    expect(again.agent_id).toEqual(offer.agent_id);
    expect(again.executor_ids).toBeUndefined();
    s.close();
  });

  it("holds declined resources at least one allocation interval, however short refuse_seconds is", async () => {
    const c = await cluster(1, { allocationIntervalMs: 500 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const mark = s.events.length;
    const declinedAt = Date.now();
    await s.call({ type: "DECLINE", decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0.05 } } });
    await s.offers(mark);
    expect(Date.now() - declinedAt).toBeGreaterThanOrEqual(450);
    s.close();
  });

  it("stops offering after SUPPRESS and resumes after REVIVE", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.call({ type: "SUPPRESS" });
    await s.call({ type: "DECLINE", decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
    const mark = s.events.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(s.events.slice(mark).some((e) => e.type === "OFFERS")).toBe(false);
    await s.call({ type: "REVIVE", revive: { roles: ["titan"] } });
    await s.offers(mark);
    s.close();
  });

  it("drops a whole SUPPRESS or REVIVE that names a role the framework lacks or an invalid role", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const decline = (offer: Json) =>
      s.call({ type: "DECLINE", decline: { offer_ids: [offer.id], filters: { refuse_seconds: 0 } } });
    const first = (await s.offers())[0] as Json;
    expect((await s.call({ type: "SUPPRESS", suppress: { roles: ["titan", "other"] } })).status).toBe(202);
    let mark = s.events.length;
    await decline(first);
    const second = (await s.offers(mark))[0] as Json;
    await s.call({ type: "SUPPRESS" });
    await decline(second);
    mark = s.events.length;
    expect((await s.call({ type: "REVIVE", revive: { roles: ["titan", "-bad"] } })).status).toBe(202);
    expect((await s.call({ type: "REVIVE", revive: { roles: ["titan", "other"] } })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 150));
    expect(s.events.slice(mark).some((e) => e.type === "OFFERS")).toBe(false);
    await s.call({ type: "REVIVE", revive: { roles: ["titan"] } });
    await s.offers(mark);
    s.close();
  });

  it("clears on REVIVE only the filters of the roles it names", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const s = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, roles: ["a", "b"] });
    const declineAll = async (): Promise<void> => {
      const offers = await s.offers(s.events.length);
      await s.call({
        type: "DECLINE",
        decline: { offer_ids: offers.map((o) => o.id), filters: { refuse_seconds: 3600 } },
      });
    };
    const first = await s.offers();
    await s.call({
      type: "DECLINE",
      decline: { offer_ids: first.map((o) => o.id), filters: { refuse_seconds: 3600 } },
    });
    await declineAll();
    const mark = s.events.length;
    await s.call({ type: "REVIVE", revive: { roles: ["b"] } });
    const revived = await s.offers(mark);
    expect(revived.map((o) => (o.allocation_info as Json).role)).toEqual(["b"]);
    s.close();
  });

  it("rescinds an offer that outlives the offer timeout", async () => {
    const c = await cluster(1, { offerTimeoutMs: 50 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const rescind = await s.next((e) => e.type === "RESCIND");
    expect(rescind).toEqual({ type: "RESCIND", rescind: { offer_id: offer.id } });
    expectEventShapes(s);
    s.close();
  });

  it("lists --offer_timeout among the flags as a master writes a duration, and leaves it out when unset", async () => {
    // master/http.cpp lists only the flags that have a value; stout's duration.hpp writes 90 s as "90secs".
    const flags = async (url: string): Promise<Json> => {
      const state = (await (await fetch(`${url}/master/state`)).json()) as Json;
      return state.flags as Json;
    };
    expect((await flags((await cluster(1, { offerTimeoutMs: 90_000 })).url)).offer_timeout).toBe("90secs");
    expect((await flags((await cluster(1, { offerTimeoutMs: 150 })).url)).offer_timeout).toBe("150ms");
    expect(await flags((await cluster(1)).url)).not.toHaveProperty("offer_timeout");
  });

  it("lists --agent_reregister_timeout in /master/flags, /master/state and GET_FLAGS, as a master with its default does", async () => {
    // Master::Http::__flags lists every flag with a value, and this one has a default (10 minutes): a tool can read
    // how long a failed-over master waits for its agents.
    const c = await cluster(1, { agentReregisterTimeoutMs: 90_000 });
    const flags = (await (await fetch(`${c.url}/master/flags`)).json()) as Json;
    expect(flags).toEqual({ flags: expect.objectContaining({ agent_reregister_timeout: "90secs" }) });
    expect(((await (await fetch(`${c.url}/master/state`)).json()) as Json).flags).toEqual(flags.flags);
    expect(await (await fetch(`${c.url}/flags?jsonp=f`)).text()).toBe(`f(${JSON.stringify(flags)})`);
    const answer = await operator(c.url, { type: "GET_FLAGS" });
    expect(checkShape(answer, "mesos.v1.master.Response")).toEqual([]);
    expect((answer.get_flags as Json).flags).toContainEqual({
      name: "agent_reregister_timeout",
      value: "90secs",
    });
    const byDefault = (await (await fetch(`${(await cluster(1)).url}/master/flags`)).json()) as Json;
    expect((byDefault.flags as Json).agent_reregister_timeout).toBe("10mins");
  });

  it("discards an offer another framework declines, filtering it for its owner, and tells the owner nothing", async () => {
    const c = await cluster(1, { allocationIntervalMs: 20 });
    const a = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "a" });
    const offer = (await a.offers())[0] as Json;
    const b = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "b" });
    const mark = a.events.length;
    await b.call({ type: "DECLINE", decline: { offer_ids: [offer.id], filters: { refuse_seconds: 3600 } } });
    expect((await b.offers())[0]?.agent_id).toEqual(offer.agent_id);
    await a.accept([String((offer.id as Json).value)], [commandTask("late", offer)]);
    expect((await a.update("late", "TASK_DROPPED", mark)).message).toBe(
      `Task launched with invalid offers: Offer ${String((offer.id as Json).value)} is no longer valid`,
    );
    expect(a.events.slice(mark).map((e) => e.type)).toEqual(["UPDATE"]);
    a.close();
    b.close();
  });

  it("shares agents between two frameworks", async () => {
    const c = await cluster(2);
    const a = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "a" });
    const b = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, name: "b" });
    const offersA = await a.offers();
    await a.call({
      type: "DECLINE",
      decline: { offer_ids: offersA.map((o) => o.id), filters: { refuse_seconds: 3600 } },
    });
    const offersB = await b.offers();
    expect(offersB.length).toBeGreaterThan(0);
    a.close();
    b.close();
  });
});
