import { describe, expect, it } from "vitest";
import { parseJson } from "../../src/local/json.js";
import { checkSchedulerCall } from "../../src/local/master/calls.js";
import { startTestCluster } from "../support/local-cluster.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

/**
 * int64 fields past 2^53 are kept exactly, as a master keeps them: stout's JSON parser (picojson built with int64
 * support) reads an integer literal that fits an int64 into an int64, and `protobuf::parse` reads an int64 field from
 * such a number or from a string holding one (3rdparty/stout/include/stout/json.hpp `ParseContext::set_int64`,
 * protobuf.hpp).
 */

/** A JSON text with `"@name"` placeholders replaced by the raw numbers given. */
function raw(value: Json, numbers: Record<string, string>): string {
  let text = JSON.stringify(value);
  for (const [name, number] of Object.entries(numbers)) text = text.replace(`"@${name}"`, number);
  return text;
}

describe("64-bit integers in request bodies", () => {
  it("parses an integer literal of an int64 a double cannot hold as a bigint, all else as JSON.parse does", () => {
    expect(
      parseJson(
        '{"a":9007199254740993,"b":[-9223372036854775807,-9223372036854775808],"c":"9007199254740993"}',
      ),
    ).toEqual({
      a: 9007199254740993n,
      b: [-9223372036854775807n, -(2 ** 63)],
      c: "9007199254740993",
    });
    // Past an int64, or not an integer literal: a double, as picojson falls back to strtod.
    expect(parseJson("[9223372036854775808,9007199254740993.0,1e17,12]")).toEqual([
      2 ** 63,
      2 ** 53,
      1e17,
      12,
    ]);
    expect(() => parseJson("{")).toThrow(SyntaxError);
  });

  it("casts them to the field's type as C++ casts an int64", () => {
    const checked = checkSchedulerCall(
      parseJson(
        raw(
          {
            type: "KILL",
            framework_id: { value: "f" },
            kill: {
              task_id: { value: "t" },
              kill_policy: { grace_period: { nanoseconds: "@grace" } },
            },
          },
          { grace: '"-9007199254740993"' },
        ),
      ),
    );
    if (!checked.ok) throw new Error(checked.error);
    expect(((checked.value.kill as Json).kill_policy as Json).grace_period).toEqual({
      nanoseconds: -9007199254740993n,
    });
    const subscribe = checkSchedulerCall(
      parseJson(
        raw(
          {
            type: "SUBSCRIBE",
            subscribe: { framework_info: { user: "u", name: "n", failover_timeout: "@timeout" } },
          },
          { timeout: "9007199254740993" },
        ),
      ),
    );
    if (!subscribe.ok) throw new Error(subscribe.error);
    // A double field takes the int64's nearest double.
    expect((subscribe.value.subscribe as Json).framework_info).toMatchObject({
      failover_timeout: 9007199254740992,
    });
  });

  it("keeps a maintenance window's nanoseconds exact, given as a number or as a string", async () => {
    const local = await startTestCluster({ agents: 1 });
    const body = raw(
      {
        type: "UPDATE_MAINTENANCE_SCHEDULE",
        update_maintenance_schedule: {
          schedule: {
            windows: [
              {
                machine_ids: [{ hostname: "agent-1.local", ip: "127.0.0.1" }],
                unavailability: { start: { nanoseconds: "@start" }, duration: { nanoseconds: "@duration" } },
              },
            ],
          },
        },
      },
      { start: "1893456000000000123", duration: '"3600000000000000001"' },
    );
    expect((await post(local.url, "/api/v1", body)).status).toBe(200);
    const answer = await post(local.url, "/api/v1", JSON.stringify({ type: "GET_MAINTENANCE_SCHEDULE" }));
    expect(answer.body).toContain('"start":{"nanoseconds":1893456000000000123}');
    expect(answer.body).toContain('"duration":{"nanoseconds":3600000000000000001}');
  });

  it("keeps a task's kill grace exact at the master and its agent", async () => {
    const local = await startTestCluster({ agents: 1 });
    const s = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    const task = { ...commandTask("t1", offer), kill_policy: { grace_period: { nanoseconds: "@grace" } } };
    const accept = raw(
      {
        framework_id: { value: s.frameworkId },
        type: "ACCEPT",
        accept: {
          offer_ids: [offer.id],
          operations: [{ type: "LAUNCH", launch: { task_infos: [task] } }],
        },
      },
      { grace: "9007199254740993" },
    );
    const sent = await post(local.url, "/api/v1/scheduler", accept, {
      "Content-Type": "application/json",
      "Mesos-Stream-Id": s.streamId,
    });
    expect(sent.status).toBe(202);
    await s.update("t1", "TASK_RUNNING");
    const exact = '"kill_policy":{"grace_period":{"nanoseconds":9007199254740993}}';
    const master = await post(local.url, "/api/v1", JSON.stringify({ type: "GET_TASKS" }));
    expect(master.body).toContain(exact);
    const address = (offer.url as Json).address as Json;
    const agentUrl = `http://127.0.0.1:${String(address.port)}`;
    const agent = await post(agentUrl, "/api/v1", JSON.stringify({ type: "GET_TASKS" }));
    expect(agent.status).toBe(200);
    expect(agent.body).toContain(exact);
    // The command executor's shutdown grace is the task's and 2 s more, an int64 sum (slave.cpp).
    const executors = await post(agentUrl, "/api/v1", JSON.stringify({ type: "GET_EXECUTORS" }));
    expect(executors.body).toContain('"shutdown_grace_period":{"nanoseconds":9007201254740993}');
    // The task is stopped with a grace of its own, not the one of its policy.
    await s.call({
      type: "KILL",
      kill: { task_id: { value: "t1" }, kill_policy: { grace_period: { nanoseconds: 100_000_000 } } },
    });
    await s.update("t1", "TASK_KILLED");
    expect(await operator(local.url, { type: "GET_HEALTH" })).toMatchObject({ type: "GET_HEALTH" });
    s.close();
  }, 20_000);
});
