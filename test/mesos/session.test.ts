import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { frameworkInfo, subscribeCall } from "../../src/mesos/calls.js";
import {
  BadResponseError,
  FrameworkRemovedError,
  ResponseTooLargeError,
  SubscriptionLostError,
  SubscriptionRefusedError,
  UnauthorizedError,
} from "../../src/mesos/errors.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { SchedulerSession, type SessionEvent } from "../../src/mesos/session.js";
import { taskInfo } from "../../src/mesos/task-builder.js";
import { TaskStatusTracker, type UpdateVerdict } from "../../src/mesos/task-status.js";
import type { TaskStatus } from "../../src/mesos/types/mesos.js";
import { checkShape } from "../support/proto-shape.js";
import { type RecordedRequest, scriptedServer } from "../support/scripted-server.js";

const FID = "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000";
const AGENT = "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-S3";
const FRAMEWORK = frameworkInfo({
  name: "titan",
  user: "root",
  roles: ["titan"],
  failoverTimeoutSeconds: 604800,
  checkpoint: true,
  principal: "titan",
});
const TIMINGS = {
  subscribeDeadlineMs: 10_000,
  missedHeartbeats: 2,
  backoffInitialMs: 5,
  backoffMaxMs: 10,
  reconnectDeadlineMs: 5000,
  maxRecordBytes: 64 * 1024,
};

/** RecordIO framing written independently of the client's codec. */
function frame(event: unknown): string {
  const text = JSON.stringify(event);
  return `${Buffer.byteLength(text)}\n${text}`;
}

const subscribed = (heartbeat = 15) => ({
  type: "SUBSCRIBED",
  subscribed: { framework_id: { value: FID }, heartbeat_interval_seconds: heartbeat },
});
const heartbeat = { type: "HEARTBEAT" };
const offers = (id: string) => ({
  type: "OFFERS",
  offers: {
    offers: [
      {
        id: { value: id },
        framework_id: { value: FID },
        agent_id: { value: AGENT },
        hostname: "agent3",
        resources: [
          { name: "cpus", type: "SCALAR", scalar: { value: 2 }, allocation_info: { role: "titan" } },
        ],
      },
    ],
  },
});
function update(
  state: string,
  timestamp: number,
  uuid?: string,
): { type: "UPDATE"; update: { status: TaskStatus } } {
  return {
    type: "UPDATE",
    update: {
      status: {
        task_id: { value: "web.1.c0ffee" },
        state: state as TaskStatus["state"],
        source: uuid === undefined ? "SOURCE_MASTER" : "SOURCE_EXECUTOR",
        agent_id: { value: AGENT },
        timestamp,
        ...(uuid === undefined ? { reason: "REASON_RECONCILIATION" } : { uuid }),
      },
    },
  };
}

const UUID_A = "hTaLQ0b5Q1OZuab7QclTKQ==";
const UUID_B = "q1w2e3r4t5y6u7i8o9p0aQ==";

type Subscriber = (response: ServerResponse, index: number, request: RecordedRequest) => void;

/** A scripted leading master: SUBSCRIBE n is answered by `subscribers[n]`, every other call with 202. */
async function schedulerMaster(subscribers: Subscriber[]) {
  let count = 0;
  const server = await scriptedServer((request, response) => {
    const call = JSON.parse(request.body) as { type: string };
    if (call.type !== "SUBSCRIBE") {
      response.writeHead(202);
      response.end();
      return;
    }
    const index = count;
    count += 1;
    const subscriber = subscribers[Math.min(index, subscribers.length - 1)];
    subscriber?.(response, index, request);
  });
  const calls = () =>
    server.requests
      .filter((r) => r.body.includes('"type"') && !r.body.includes('"SUBSCRIBE"'))
      .map((r) => ({
        headers: r.headers,
        body: JSON.parse(r.body) as Record<string, unknown> & { type: string },
      }));
  const subscribes = () => server.requests.filter((r) => r.body.includes('"type":"SUBSCRIBE"'));
  return { server, calls, subscribes };
}

function stream(response: ServerResponse, index: number, ...records: unknown[]): void {
  response.writeHead(200, { "content-type": "application/json", "mesos-stream-id": `stream-${index}` });
  response.write(records.map(frame).join(""));
}

const sessions: SchedulerSession[] = [];
const clusters: MasterCluster[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await Promise.all(clusters.splice(0).map((c) => c.close()));
});

function session(url: string, extra: Partial<ConstructorParameters<typeof SchedulerSession>[0]> = {}) {
  const cluster = MasterCluster.fromConfig({ masters: [url] });
  clusters.push(cluster);
  const s = new SchedulerSession({
    cluster,
    framework: FRAMEWORK,
    timings: TIMINGS,
    random: () => 0.5,
    ...extra,
  });
  sessions.push(s);
  return s;
}

async function collect(s: SchedulerSession, until: (e: SessionEvent, all: SessionEvent[]) => boolean) {
  const seen: SessionEvent[] = [];
  for await (const event of s.events()) {
    seen.push(event);
    if (until(event, seen)) break;
  }
  return seen;
}

describe("scheduler session", () => {
  it("subscribes, then sends every call with the Mesos-Stream-Id and framework_id, acking after the handler", async () => {
    const master = await schedulerMaster([
      (res, i) =>
        stream(res, i, subscribed(), heartbeat, offers("O1"), update("TASK_RUNNING", 2, UUID_A), heartbeat),
    ]);
    const s = session(master.server.url);
    const acksSeenByHandler: number[] = [];
    const types: string[] = [];
    for await (const event of s.events()) {
      types.push(event.type);
      if (event.type === "SUBSCRIBED") await s.reconcile([]);
      if (event.type === "OFFERS") {
        expect([...s.outstandingOffers()]).toEqual(["O1"]);
        await s.decline(["O1"], 30);
        expect(s.outstandingOffers().size).toBe(0);
      }
      if (event.type === "UPDATE")
        acksSeenByHandler.push(master.calls().filter((c) => c.body.type === "ACKNOWLEDGE").length);
      if (types.length === 5) break;
    }
    expect(types).toEqual(["SUBSCRIBED", "HEARTBEAT", "OFFERS", "UPDATE", "HEARTBEAT"]);
    expect(s.frameworkId).toBe(FID);
    expect(acksSeenByHandler).toEqual([0]);

    const subscribe = master.subscribes()[0];
    expect(subscribe?.headers["content-type"]).toBe("application/json");
    expect(subscribe?.headers.accept).toBe("application/json");
    expect(subscribe?.headers["mesos-stream-id"]).toBeUndefined();
    expect(JSON.parse(subscribe?.body ?? "")).toEqual(subscribeCall(FRAMEWORK));

    const calls = master.calls();
    expect(calls.map((c) => c.body.type)).toEqual(["RECONCILE", "DECLINE", "ACKNOWLEDGE"]);
    for (const call of calls) {
      expect(call.headers["mesos-stream-id"]).toBe("stream-0");
      expect(call.headers["content-type"]).toBe("application/json");
      expect(call.body.framework_id).toEqual({ value: FID });
      expect(checkShape(call.body, "mesos.v1.scheduler.Call")).toEqual([]);
    }
    expect(calls[2]?.body).toEqual({
      framework_id: { value: FID },
      type: "ACKNOWLEDGE",
      acknowledge: { agent_id: { value: AGENT }, task_id: { value: "web.1.c0ffee" }, uuid: UUID_A },
    });
  });

  it("ends with the master's message when an ERROR follows SUBSCRIBED", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, subscribed(), { type: "ERROR", error: { message: "Framework failed over" } });
        res.end();
      },
    ]);
    const error = await collect(session(master.server.url), () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionLostError);
    expect((error as Error).message).toBe("the master ended the subscription: Framework failed over");
    expect((error as SubscriptionLostError).hint).toMatch(/only one deploy/);
    expect(master.subscribes()).toHaveLength(1);
  });

  it("an ERROR instead of SUBSCRIBED is a refusal that re-running cannot mend", async () => {
    const message = "The framework failover_timeout (1e+10) is invalid";
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, { type: "ERROR", error: { message } });
        res.end();
      },
    ]);
    const error = await collect(session(master.server.url), () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionRefusedError);
    expect((error as Error).message).toBe(`the master refused the subscription: ${message}`);
    expect((error as SubscriptionRefusedError).hint).toMatch(/re-running will not help/);
    expect(master.subscribes()).toHaveLength(1);
  });

  it("a removed framework is a FrameworkRemovedError", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, { type: "ERROR", error: { message: "Framework has been removed" } });
        res.end();
      },
    ]);
    const s = session(master.server.url, { framework: { ...FRAMEWORK, id: { value: FID } } });
    await expect(collect(s, () => false)).rejects.toThrow(FrameworkRemovedError);
  });

  it("a truncated stream is a disconnect: offers are dropped and it re-subscribes with the same framework id", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, subscribed(), offers("O1"));
        res.end('120\n{"type":"HEARTB');
      },
      (res, i) => stream(res, i, subscribed(), offers("O2")),
    ]);
    const s = session(master.server.url);
    const offersAtReconnect: number[] = [];
    let offersAtEnd: string[] = [];
    const events = await collect(s, (e, all) => {
      if (e.type === "RECONNECTING") offersAtReconnect.push(s.outstandingOffers().size);
      offersAtEnd = [...s.outstandingOffers()];
      return all.length === 5;
    });
    expect(events.map((e) => e.type)).toEqual([
      "SUBSCRIBED",
      "OFFERS",
      "RECONNECTING",
      "SUBSCRIBED",
      "OFFERS",
    ]);
    const reconnecting = events[2];
    expect(reconnecting?.type === "RECONNECTING" && reconnecting.reason).toMatch(
      /cut off in the middle of a record/,
    );
    expect(offersAtReconnect).toEqual([0]);
    expect(offersAtEnd).toEqual(["O2"]);
    const second = JSON.parse(master.subscribes()[1]?.body ?? "");
    expect(second.framework_id).toEqual({ value: FID });
    expect(second.subscribe.framework_info.id).toEqual({ value: FID });
    expect(master.subscribes()[1]?.headers["mesos-stream-id"]).toBeUndefined();
  });

  it("a connection reset mid-stream is a disconnect", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, subscribed());
        setImmediate(() => res.socket?.destroy());
      },
      (res, i) => stream(res, i, subscribed(), heartbeat),
    ]);
    const events = await collect(session(master.server.url), (e) => e.type === "HEARTBEAT");
    expect(events.map((e) => e.type)).toEqual(["SUBSCRIBED", "RECONNECTING", "SUBSCRIBED", "HEARTBEAT"]);
    expect(events[1]?.type === "RECONNECTING" && events[1].reason).toMatch(
      /^the connection to http:\/\/127\.0\.0\.1:\d+ closed mid-answer/,
    );
  });

  it("a 200 that is not a JSON event stream (a proxy's login page) ends the session", async () => {
    const master = await schedulerMaster([
      (res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html><body><h1>Please log in</h1></body></html>");
      },
    ]);
    const error = await collect(session(master.server.url), () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadResponseError);
    expect((error as Error).message).toBe(
      `SUBSCRIBE: ${master.server.url} answered 200 OK with text/html instead of a JSON event stream: "Please log in"`,
    );
  });

  it("an oversized frame ends the session with ResponseTooLargeError", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, subscribed());
        res.write("900000\n{");
      },
    ]);
    await expect(collect(session(master.server.url), () => false)).rejects.toThrow(ResponseTooLargeError);
    expect(master.subscribes()).toHaveLength(1);
  });

  it("a non-numeric record length ends the session with BadResponseError", async () => {
    const master = await schedulerMaster([
      (res, i) => {
        stream(res, i, subscribed());
        res.write("<html>proxy error</html>");
      },
    ]);
    const error = await collect(session(master.server.url), () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadResponseError);
    expect((error as Error).message).toMatch(/record length "<html>proxy error<\/html>" is not a number/);
  });

  it("a stalled stream (missed heartbeats) reconnects", async () => {
    const master = await schedulerMaster([
      (res, i) => stream(res, i, subscribed(0.05)),
      (res, i) => stream(res, i, subscribed(15), heartbeat),
    ]);
    const events = await collect(session(master.server.url), (_e, all) => all.length === 4);
    expect(events.map((e) => e.type)).toEqual(["SUBSCRIBED", "RECONNECTING", "SUBSCRIBED", "HEARTBEAT"]);
    const reconnecting = events[1];
    expect(reconnecting?.type === "RECONNECTING" && reconnecting.reason).toMatch(/sent nothing for 100 ms/);
  });

  it("acknowledges duplicated and out-of-order updates (each echoing its uuid) without moving the task back", async () => {
    const master = await schedulerMaster([
      (res, i) =>
        stream(
          res,
          i,
          subscribed(),
          update("TASK_RUNNING", 2, UUID_A),
          update("TASK_RUNNING", 2, UUID_A),
          update("TASK_STARTING", 1, UUID_B),
          heartbeat,
        ),
    ]);
    const s = session(master.server.url);
    const tracker = new TaskStatusTracker();
    const verdicts: UpdateVerdict[] = [];
    await collect(s, (e) => {
      if (e.type === "UPDATE") verdicts.push(tracker.observe(e.update.status));
      return e.type === "HEARTBEAT";
    });
    expect(verdicts).toEqual(["new", "duplicate", "stale"]);
    expect(tracker.stateOf("web.1.c0ffee")).toBe("TASK_RUNNING");
    const acks = master.calls().filter((c) => c.body.type === "ACKNOWLEDGE");
    expect(acks.map((a) => (a.body.acknowledge as { uuid: string }).uuid)).toEqual([UUID_A, UUID_A, UUID_B]);
  });

  it("never acknowledges an update without a uuid, nor one whose handler threw", async () => {
    const master = await schedulerMaster([
      (res, i) =>
        stream(
          res,
          i,
          subscribed(),
          update("TASK_RUNNING", 2),
          heartbeat,
          update("TASK_FAILED", 3, UUID_B),
          heartbeat,
        ),
    ]);
    const s = session(master.server.url);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of s.events()) {
        seen.push(event.type);
        if (event.type === "UPDATE" && event.update.status.uuid !== undefined)
          throw new Error("handler failed");
      }
    })().catch((e: unknown) => e);
    expect((error as Error).message).toBe("handler failed");
    expect(seen).toEqual(["SUBSCRIBED", "UPDATE", "HEARTBEAT", "UPDATE"]);
    expect(master.calls().filter((c) => c.body.type === "ACKNOWLEDGE")).toEqual([]);
  });

  it("logs and skips unknown event types", async () => {
    const master = await schedulerMaster([
      (res, i) => stream(res, i, subscribed(), { type: "FUTURE_THING", future_thing: {} }, heartbeat),
    ]);
    const log: string[] = [];
    const events = await collect(
      session(master.server.url, { log: (l) => log.push(l) }),
      (e) => e.type === "HEARTBEAT",
    );
    expect(events.map((e) => e.type)).toEqual(["SUBSCRIBED", "HEARTBEAT"]);
    expect(log).toEqual(["scheduler: skipping unknown event type FUTURE_THING"]);
  });

  it("401 on SUBSCRIBE ends the session; 503 (no leader yet) is retried", async () => {
    const denied = await schedulerMaster([
      (res) => {
        res.writeHead(401, { "www-authenticate": 'Basic realm="mesos-master-scheduler"' });
        res.end();
      },
    ]);
    await expect(collect(session(denied.server.url), () => false)).rejects.toThrow(UnauthorizedError);
    expect(denied.subscribes()).toHaveLength(1);

    const electing = await schedulerMaster([
      (res) => {
        res.writeHead(503);
        res.end("No leader elected");
      },
      (res, i) => stream(res, i, subscribed()),
    ]);
    const events = await collect(session(electing.server.url), (e) => e.type === "SUBSCRIBED");
    expect(events.map((e) => e.type)).toEqual(["RECONNECTING", "SUBSCRIBED"]);
    expect(events[0]?.type === "RECONNECTING" && events[0].reason).toBe(
      `no leading Mesos master: ${electing.server.url} answered 503 Service Unavailable`,
    );
  });

  it("follows the 307 of a non-leader and sends later calls straight to the leader", async () => {
    const leader = await schedulerMaster([(res, i) => stream(res, i, subscribed(), heartbeat)]);
    const follower = await scriptedServer((_req, res) => {
      res.writeHead(307, { location: `//127.0.0.1:${leader.server.port}/api/v1/scheduler` });
      res.end();
    });
    const s = session(follower.url);
    for await (const event of s.events()) {
      if (event.type === "SUBSCRIBED") await s.revive();
      if (event.type === "HEARTBEAT") break;
    }
    expect(follower.requests).toHaveLength(1);
    expect(leader.subscribes()).toHaveLength(1);
    expect(leader.calls().map((c) => c.body)).toEqual([
      { framework_id: { value: FID }, type: "REVIVE", revive: { roles: ["titan"] } },
    ]);
  });

  it("close() ends the iteration quietly and calls without a subscription fail clearly", async () => {
    const master = await schedulerMaster([(res, i) => stream(res, i, subscribed())]);
    const s = session(master.server.url);
    await expect(s.kill("web.1.c0ffee")).rejects.toThrow(SubscriptionLostError);
    const events = await collect(s, (e) => {
      if (e.type === "SUBSCRIBED") s.close();
      return false;
    });
    expect(events.map((e) => e.type)).toEqual(["SUBSCRIBED"]);
    expect(s.subscribed).toBe(false);
  });
});

describe("a scheduler session on a long-lived signal", () => {
  it("takes its listeners off the signal when it closes: a supervisor opens a session per subscription", () => {
    const interrupt = new AbortController();
    const lifetime = new AbortController();
    for (let i = 0; i < 20; i++)
      session("http://127.0.0.1:1", { interrupt: interrupt.signal, signal: lifetime.signal }).close();
    expect(getEventListeners(interrupt.signal, "abort")).toHaveLength(0);
    expect(getEventListeners(lifetime.signal, "abort")).toHaveLength(0);
  });
});

describe("scheduler session calls and give-up", () => {
  it("launches, kills, suppresses and tears down with shapes the master accepts", async () => {
    const master = await schedulerMaster([(res, i) => stream(res, i, subscribed(), offers("O9"), heartbeat)]);
    const s = session(master.server.url);
    for await (const event of s.events()) {
      if (event.type === "OFFERS") {
        const offer = event.offers.offers?.[0];
        if (offer === undefined) throw new Error("no offer");
        await s.launch(
          [offer.id.value],
          [
            taskInfo({
              taskId: "web.1.abc",
              name: "web.1",
              offer,
              demand: { cpus: 0.5, mem: 0 },
              command: { shell: true, value: "sleep 1000" },
            }),
          ],
          5,
        );
        await s.kill("web.1.abc", { agentId: AGENT, gracePeriodMs: 3000 });
        await s.suppress();
      }
      if (event.type === "HEARTBEAT") {
        await s.teardown();
      }
    }
    const calls = master.calls();
    expect(calls.map((c) => c.body.type)).toEqual(["ACCEPT", "KILL", "SUPPRESS", "TEARDOWN"]);
    for (const call of calls) expect(checkShape(call.body, "mesos.v1.scheduler.Call")).toEqual([]);
    expect(calls[0]?.body.accept).toEqual({
      offer_ids: [{ value: "O9" }],
      operations: [
        {
          type: "LAUNCH",
          launch: {
            task_infos: [
              {
                name: "web.1",
                task_id: { value: "web.1.abc" },
                agent_id: { value: AGENT },
                resources: [
                  {
                    name: "cpus",
                    type: "SCALAR",
                    scalar: { value: 0.5 },
                    allocation_info: { role: "titan" },
                  },
                ],
                command: { shell: true, value: "sleep 1000" },
              },
            ],
          },
        },
      ],
      filters: { refuse_seconds: 5 },
    });
    expect(calls[2]?.body.suppress).toEqual({ roles: ["titan"] });
    expect(s.subscribed).toBe(false);
  });

  it("a call answered with anything but the master's 202 (a proxy's 200 page) fails, naming the host and the answer", async () => {
    let count = 0;
    const server = await scriptedServer((request, response) => {
      const call = JSON.parse(request.body) as { type: string };
      if (call.type === "SUBSCRIBE") return stream(response, count++, subscribed(), offers("O1"));
      if (call.type === "KILL") {
        response.writeHead(200);
        response.end();
        return;
      }
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end("<html><body>Login portal</body></html>");
    });
    const s = session(server.url);
    const failures: unknown[] = [];
    for await (const event of s.events()) {
      if (event.type !== "OFFERS") continue;
      failures.push(await s.decline(["O1"]).catch((e: unknown) => e));
      failures.push(await s.kill("web.1.abc").catch((e: unknown) => e));
      break;
    }
    for (const failure of failures) expect(failure).toBeInstanceOf(BadResponseError);
    expect(failures.map((f) => (f as Error).message)).toEqual([
      `DECLINE: ${server.url} answered 200 OK with text/html instead of 202 Accepted: "Login portal"`,
      `KILL: ${server.url} answered 200 OK instead of 202 Accepted`,
    ]);
  });

  it("gives up with SubscriptionLostError after the reconnect deadline", async () => {
    const master = await schedulerMaster([
      (res) => {
        res.writeHead(503);
        res.end();
      },
    ]);
    const s = session(master.server.url, { timings: { ...TIMINGS, reconnectDeadlineMs: 30 } });
    const error = await collect(s, () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionLostError);
    expect((error as Error).message).toMatch(/^could not re-subscribe for 30 ms: no leading Mesos master/);
    expect(master.subscribes().length).toBeGreaterThan(1);
  });

  it("ends quietly when the caller's signal aborts", async () => {
    const master = await schedulerMaster([(res, i) => stream(res, i, subscribed())]);
    const controller = new AbortController();
    const s = session(master.server.url, { signal: controller.signal });
    const events = await collect(s, (e) => {
      if (e.type === "SUBSCRIBED") controller.abort();
      return false;
    });
    expect(events.map((e) => e.type)).toEqual(["SUBSCRIBED"]);
  });
});
