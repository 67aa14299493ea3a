import { describe, expect, it } from "vitest";
import { CALL_ENUMS, CALL_MESSAGES } from "../../src/local/call-protos.js";
import type { JsonObject } from "../../src/local/json.js";
import { checkOperatorCall, checkSchedulerCall } from "../../src/local/master/calls.js";
import { frameworkInfoJson } from "../../src/local/master/framework-info.js";
import type { FrameworkRecord } from "../../src/local/master/model.js";
import { loadProtoSchema } from "../support/proto-shape.js";

const PACKAGE = "mesos.v1.";

describe("the call schema titan local reads calls with", () => {
  const protos = loadProtoSchema();
  /** Names in the table are relative to mesos.v1 (google.protobuf.Duration stays whole). */
  const short = (fullName: string) =>
    fullName.startsWith(PACKAGE) ? fullName.slice(PACKAGE.length) : fullName;
  const full = (name: string) => (name.startsWith("google.") ? name : PACKAGE + name);

  function typeText(type: string, scope: string): string {
    return short(protos.resolve(type, scope));
  }

  /** A message of the real protos written in the table's notation. */
  function fromProtos(name: string): string {
    const message = protos.messages.get(full(name));
    if (message === undefined) throw new Error(`no message ${name} in the protos`);
    return [...message.fields.values()]
      .map((f) => {
        const label = f.label === "required" ? "!" : f.label === "repeated" ? "*" : "";
        const type =
          f.mapKey === undefined
            ? typeText(f.type, f.scope)
            : `map<${typeText(f.mapKey, f.scope)},${typeText(f.type, f.scope)}>`;
        return `${f.name}#${f.number}${label}${type}`;
      })
      .join(" ");
  }

  it("has every message a scheduler, master or agent Call reaches, each field as the protos declare it", () => {
    const reached = new Set<string>();
    const enums = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name)) return;
      reached.add(name);
      const message = protos.messages.get(full(name));
      for (const field of message?.fields.values() ?? []) {
        for (const type of [field.type, field.mapKey ?? "string"]) {
          const resolved = protos.resolve(type, field.scope);
          if (protos.messages.has(resolved)) visit(short(resolved));
          else if (protos.enums.has(resolved)) enums.add(short(resolved));
        }
      }
    };
    visit("scheduler.Call");
    visit("master.Call");
    visit("agent.Call");
    expect(Object.keys(CALL_MESSAGES).sort()).toEqual([...reached].sort());
    expect(Object.keys(CALL_ENUMS).sort()).toEqual([...enums].sort());
    for (const name of reached) expect(CALL_MESSAGES[name], name).toBe(fromProtos(name));
    for (const name of enums)
      expect(CALL_ENUMS[name], name).toBe([...(protos.enums.get(full(name))?.values ?? [])].join(" "));
  });
});

function accept(task: Record<string, unknown>) {
  return {
    type: "ACCEPT",
    framework_id: { value: "F" },
    accept: {
      offer_ids: [{ value: "o1" }],
      operations: [{ type: "LAUNCH", launch: { task_infos: [task] } }],
    },
  };
}

const TASK = {
  name: "t",
  task_id: { value: "t" },
  agent_id: { value: "S1" },
  resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }],
  command: { value: "true" },
};

function launched(body: unknown): Record<string, unknown> {
  const checked = checkSchedulerCall(body);
  if (!checked.ok) throw new Error(checked.error);
  const accepted = checked.value.accept as { operations: Array<{ launch: { task_infos: unknown[] } }> };
  return accepted.operations[0]?.launch.task_infos[0] as Record<string, unknown>;
}

function refusal(body: unknown): string {
  const checked = checkSchedulerCall(body);
  if (checked.ok) throw new Error("accepted");
  return checked.error;
}

describe("scheduler calls read as stout's protobuf::parse reads them", () => {
  it("drops keys the protos do not have, so a misspelt required field is missing", () => {
    const task = { ...TASK, health_check: { type: "HTTP", http: { prot: 8080, path: "/" } }, extra: 1 };
    expect(refusal(accept(task))).toBe(
      "Failed to convert JSON into Call protobuf: Missing required fields: accept.operations[0].launch.task_infos[0].health_check.http.port",
    );
    const kept = launched(accept({ ...TASK, killPolicy: { grace_period: { nanoseconds: 5 } } }));
    expect(kept).not.toHaveProperty("killPolicy");
    expect(kept).not.toHaveProperty("kill_policy");
  });

  it("lists a message's own missing fields before those of the messages it holds", () => {
    const task = { name: "t", task_id: {}, resources: [{ name: "cpus", type: "SCALAR", scalar: {} }] };
    expect(refusal(accept(task))).toBe(
      "Failed to convert JSON into Call protobuf: Missing required fields: accept.operations[0].launch.task_infos[0].agent_id, accept.operations[0].launch.task_infos[0].task_id.value, accept.operations[0].launch.task_infos[0].resources[0].scalar.value",
    );
  });

  it.each([
    [
      "a number where a string belongs",
      { ...TASK, command: { value: "env", environment: { variables: [{ name: "PORT", value: 8080 }] } } },
      "Not expecting a JSON number for field 'value'",
    ],
    [
      "an array for a single message",
      { ...TASK, command: [{ value: "true" }] },
      "Not expecting a JSON array for field 'command'",
    ],
    ["a string for a message", { ...TASK, labels: "a=b" }, "Not expecting a JSON string for field 'labels'"],
    ["a boolean for a string", { ...TASK, name: true }, "Not expecting a JSON boolean for field 'name'"],
    [
      "an unknown name in a required enum",
      { ...TASK, resources: [{ name: "cpus", type: "SCALARS", scalar: { value: 1 } }] },
      "Failed to find enum for 'SCALARS'",
    ],
    [
      "a word where a number belongs",
      { ...TASK, health_check: { type: "TCP", tcp: { port: "http" } } },
      "Failed to parse 'http' as a JSON number for field 'port': syntax error",
    ],
    [
      "bytes that are not base64",
      { ...TASK, data: "not base64!" },
      "Failed to base64 decode bytes field 'data': Invalid character '!'",
    ],
  ])("refuses %s", (_desc, task, error) => {
    expect(refusal(accept(task))).toBe(`Failed to convert JSON into Call protobuf: ${error}`);
  });

  it("reports the error of the first key in sorted order, as a std::map holds the object", () => {
    expect(refusal(accept({ ...TASK, command: 5, agent_id: [] }))).toBe(
      "Failed to convert JSON into Call protobuf: Not expecting a JSON array for field 'agent_id'",
    );
  });

  it("reads numbers from strings, a single value as a one-item list, and casts integers as C++ does", () => {
    const task = launched(
      accept({
        ...TASK,
        resources: { name: "cpus", type: "SCALAR", scalar: { value: "0.5" } },
        health_check: { type: "TCP", tcp: { port: -1 }, consecutive_failures: 2.9, delay_seconds: "1" },
        limits: { mem: { value: "Infinity" }, cpus: null },
        container: { type: "MESOS", linux_info: { share_pid_namespace: "true" } },
      }),
    );
    expect(task.resources).toEqual([{ name: "cpus", type: "SCALAR", scalar: { value: 0.5 } }]);
    expect(task.health_check).toEqual({
      type: "TCP",
      tcp: { port: 4294967295 },
      consecutive_failures: 2,
      delay_seconds: 1,
    });
    expect(task.limits).toEqual({ mem: { value: Number.POSITIVE_INFINITY } });
    expect(task.container).toEqual({ type: "MESOS", linux_info: { share_pid_namespace: true } });
  });

  it("drops an unknown enum name from an optional or a repeated field and null everywhere", () => {
    const checked = checkSchedulerCall({
      type: "SUBSCRIBE",
      subscribe: {
        framework_info: {
          user: "u",
          name: "n",
          capabilities: [{ type: "PARTITION_AWARE" }, { type: "TELEPORT" }, null],
          hostname: null,
        },
      },
    });
    if (!checked.ok) throw new Error(checked.error);
    expect((checked.value.subscribe as { framework_info: unknown }).framework_info).toEqual({
      user: "u",
      name: "n",
      capabilities: [{ type: "PARTITION_AWARE" }, {}],
    });
    // What agents are given, and what the state endpoints show: the capability with no type stays typeless.
    const framework = {
      id: "F",
      info: (checked.value.subscribe as { framework_info: JsonObject }).framework_info,
    };
    expect(frameworkInfoJson(framework as unknown as FrameworkRecord).capabilities).toEqual([
      { type: "PARTITION_AWARE" },
      {},
    ]);
    expect(refusal({ type: "TELEPORT", framework_id: { value: "F" } })).toBe(
      "Failed to validate scheduler::Call: Expecting 'type' to be present",
    );
  });
});

describe("operator calls read and checked as the master does", () => {
  it("reads a maintenance schedule as the protos have it and refuses what a master refuses", () => {
    const schedule = {
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: {
        schedule: {
          windows: [
            {
              machine_ids: { hostname: "h1", ipAddress: "10.0.0.1" },
              unavailability: { start: { nanoseconds: "1700000000000000000" } },
            },
          ],
        },
      },
    };
    const checked = checkOperatorCall(schedule);
    if (!checked.ok) throw new Error(checked.error);
    expect(checked.value.update_maintenance_schedule).toEqual({
      schedule: {
        windows: [
          {
            machine_ids: [{ hostname: "h1" }],
            unavailability: { start: { nanoseconds: 1700000000000000000 } },
          },
        ],
      },
    });
    const noStart = structuredClone(schedule);
    noStart.update_maintenance_schedule.schedule.windows[0] = {
      machine_ids: { hostname: "h1" },
      unavailability: {},
    } as never;
    expect(checkOperatorCall(noStart)).toEqual({
      ok: false,
      error:
        "Failed to convert JSON into Call protobuf: Missing required fields: update_maintenance_schedule.schedule.windows[0].unavailability.start",
    });
  });

  it.each([
    [{ type: "DRAIN_AGENT" }, "Failed to validate master::Call: Expecting 'drain_agent' to be present"],
    [
      { type: "TEARDOWN", teardown: null },
      "Failed to validate master::Call: Expecting 'teardown' to be present",
    ],
    [
      { type: "GROW_VOLUME", grow_volume: { volume: {}, addition: {} } },
      "Failed to convert JSON into Call protobuf: Missing required fields: grow_volume.volume.name, grow_volume.volume.type, grow_volume.addition.name, grow_volume.addition.type",
    ],
    [{ type: "GET_STATUS" }, "Failed to validate master::Call: Expecting 'type' to be present"],
    [
      {
        type: "RESERVE_RESOURCES",
        reserve_resources: {
          agent_id: { value: "S1" },
          resources: [
            {
              name: "cpus",
              type: "SCALAR",
              scalar: { value: 1 },
              reservations: [{ type: "DYNAMIC", role: "web", principal: "ops" }],
              role: "web",
              reservation: { principal: "eve" },
            },
          ],
        },
      },
      "Failed to validate master::Call: Resource 'cpus(reservations: [(DYNAMIC,web,ops)]):1' is invalid: Invalid resource format: 'Resource.reservation.principal' field with 'eve' does not match the principal 'ops' in 'Resource.reservations'",
    ],
    [
      {
        type: "UNRESERVE_RESOURCES",
        unreserve_resources: {
          agent_id: { value: "S1" },
          resources: [
            {
              name: "disk",
              type: "SCALAR",
              scalar: { value: 10 },
              disk: { source: { type: "RAW", path: { root: "/dev/sdb" } } },
            },
          ],
        },
      },
      "Failed to validate master::Call: Resource 'disk[RAW]:10' is invalid: Path should not be set for RAW disk source",
    ],
    [{ type: "GET_STATE", get_state: "all" }, undefined],
    [
      {
        type: "DRAIN_AGENT",
        drain_agent: { agent_id: { value: "S1" }, max_grace_period: { seconds: "ten" } },
      },
      "Failed to convert JSON into Call protobuf: Failed to parse 'ten' as a JSON number for field 'seconds': syntax error",
    ],
  ])("%j: %s", (call, error) => {
    const checked = checkOperatorCall(call);
    expect(checked.ok ? undefined : checked.error).toBe(error);
  });
});
