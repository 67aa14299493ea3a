import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateId } from "../../src/local/common-validation.js";
import { toJson } from "../../src/local/json.js";
import { planAccept } from "../../src/local/master/accept.js";
import { allocate } from "../../src/local/master/allocator.js";
import { checkSchedulerCall, isValidUuidBase64 } from "../../src/local/master/calls.js";
import type { OfferRecord } from "../../src/local/master/model.js";
import { encodeRecord } from "../../src/local/recordio.js";
import {
  add,
  contains,
  emptyQuantities,
  fromResourceJson,
  normalizeRanges,
  parseResourceSpec,
  type Quantities,
  splitRanges,
  subtract,
} from "../../src/local/resources.js";

function q(partial: Partial<Quantities>): Quantities {
  return { ...emptyQuantities(), ...partial };
}

describe("resources", () => {
  it("parses Mesos resource text and refuses what it does not know", () => {
    expect(parseResourceSpec("cpus:2;mem:1024;disk:10;ports:[1000-1010, 2000-2000]")).toEqual({
      ok: true,
      resources: {
        cpus: 2,
        mem: 1024,
        disk: 10,
        ports: [
          { begin: 1000, end: 1010 },
          { begin: 2000, end: 2000 },
        ],
      },
    });
    expect(parseResourceSpec("cpus:x")).toEqual({
      ok: false,
      error: "cpus must be a non-negative number, got 'x'",
    });
  });

  it("splits a port range into disjoint slices", () => {
    const slices = splitRanges([{ begin: 31000, end: 31009 }], 3);
    expect(slices).toEqual([
      [{ begin: 31000, end: 31002 }],
      [{ begin: 31003, end: 31005 }],
      [{ begin: 31006, end: 31008 }],
    ]);
  });

  it("keeps subtract and contains consistent: (a + b) - b contains nothing more than a", () => {
    const range = fc
      .integer({ min: 1, max: 200 })
      .chain((begin) => fc.integer({ min: begin, max: begin + 50 }).map((end) => ({ begin, end })));
    const quantities = fc.record({
      cpus: fc.integer({ min: 0, max: 1000 }).map((n) => n / 100),
      mem: fc.integer({ min: 0, max: 4096 }),
      disk: fc.integer({ min: 0, max: 4096 }),
      gpus: fc.constant(0),
      ports: fc.array(range, { maxLength: 3 }).map(normalizeRanges),
    });
    fc.assert(
      fc.property(quantities, quantities, (a, b) => {
        const sum = add(a, b);
        expect(contains(sum, a)).toBe(true);
        expect(contains(sum, b)).toBe(true);
        expect(contains(a, subtract(a, b))).toBe(true);
      }),
    );
  });

  it("sums a task's resources and refuses reserved ones", () => {
    const parsed = fromResourceJson([
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 } },
      { name: "cpus", type: "SCALAR", scalar: { value: 0.25 } },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31001 }] } },
    ]);
    expect(parsed).toEqual({
      ok: true,
      quantities: q({ cpus: 0.75, ports: [{ begin: 31000, end: 31001 }] }),
    });
    // Reserved resources add up too; which reservation they come from is told apart by pool (pools.ts).
    expect(fromResourceJson([{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "prod" }]).ok).toBe(
      true,
    );
  });
});

describe("allocation", () => {
  it("gives each agent to the framework with the lowest dominant share, skipping filtered and suppressed ones", () => {
    const total = q({ cpus: 8, mem: 8192 });
    const agents = [
      { id: "s1", pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 4096 }) }] },
      { id: "s2", pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 4096 }) }] },
    ];
    const busy = { id: "busy", roles: ["r"], held: q({ cpus: 4 }), filters: [] };
    const idle = { id: "idle", roles: ["r"], held: q({}), filters: [] };
    // idle takes s1 (share 0 < 0.5); then both hold half the cpus and the tie goes round-robin.
    expect(allocate(agents, [busy, idle], total, 0).map((a) => [a.agentId, a.frameworkId])).toEqual([
      ["s1", "idle"],
      ["s2", "busy"],
    ]);
    expect(allocate(agents, [idle, busy], total, 1).map((a) => [a.agentId, a.frameworkId])).toEqual([
      ["s1", "idle"],
      ["s2", "busy"],
    ]);
    const filtered = {
      ...idle,
      filters: [{ agentId: "s1", role: "r", quantities: q({ cpus: 8, mem: 8192 }) }],
    };
    expect(allocate(agents, [filtered], total, 0).map((a) => a.agentId)).toEqual(["s2"]);
    expect(allocate(agents, [{ ...idle, roles: [] }], total, 0)).toEqual([]);
  });
});

describe("GPU agents (--filter_gpu_resources)", () => {
  it("are offered only to frameworks with GPU_RESOURCES", () => {
    const total = q({ cpus: 8, mem: 8192, gpus: 2 });
    const agents = [
      {
        id: "gpu",
        pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 4096, gpus: 2 }) }],
        hasGpu: true,
      },
      { id: "cpu", pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 4096 }) }], hasGpu: false },
    ];
    const plain = { id: "plain", roles: ["r"], held: q({}), filters: [] };
    expect(allocate(agents, [plain], total, 0).map((a) => a.agentId)).toEqual(["cpu"]);
    const capable = { ...plain, id: "capable", gpuCapable: true };
    expect(allocate(agents, [capable], total, 0).map((a) => a.agentId)).toEqual(["gpu", "cpu"]);
    // A GPU agent whose GPUs are all in use is still kept from frameworks without the capability.
    const busy = [
      {
        ...agents[0],
        pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 4096 }) }],
      } as (typeof agents)[number],
    ];
    expect(allocate(busy, [plain], total, 0)).toEqual([]);
  });
});

describe("ACCEPT planning", () => {
  const offer = (id: string, agentId: string, frameworkId = "F"): OfferRecord => ({
    id,
    frameworkId,
    agentId,
    role: "r",
    quantities: q({ cpus: 1, mem: 128 }),
    pools: [{ reservations: [], quantities: q({ cpus: 1, mem: 128 }) }],
    json: {},
  });
  const task = (id: string, agentId = "s1", cpus = 0.5) => ({
    name: id,
    task_id: { value: id },
    agent_id: { value: agentId },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: cpus } }],
    command: { value: "true" },
  });
  const plan = (offerIds: string[], tasks: Record<string, unknown>[], offers: OfferRecord[]) =>
    planAccept({
      frameworkId: "F",
      offerIds,
      operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }],
      findOffer: (id) => offers.find((o) => o.id === id),
      taskIdInUse: () => undefined,
    });

  it.each([
    { desc: "a duplicate offer", ids: ["o1", "o1"], error: "Duplicate offer o1 in offer list" },
    {
      desc: "another framework's offer",
      ids: ["o3"],
      error: "Offer o3 has invalid framework G while framework F is expected",
    },
    {
      desc: "offers from two agents",
      ids: ["o1", "o2"],
      error: "Aggregated offers must belong to one single agent. Offer o2 uses agent s2 and agent s1",
    },
  ])("refuses $desc", ({ ids, error }) => {
    const offers = [offer("o1", "s1"), offer("o2", "s2"), offer("o3", "s1", "G")];
    const result = plan(ids, [task("t")], offers);
    expect(result.kind).toBe("invalid-offers");
    if (result.kind === "invalid-offers") expect(result.error).toBe(error);
  });

  it("checks each offer rule over every offer before the next rule, as offer::validate does", () => {
    const offers = [
      offer("o1", "s1"),
      offer("o2", "s2"),
      offer("o3", "s1", "G"),
      { ...offer("o4", "s1"), role: "q" },
    ];
    const error = (ids: string[]) => {
      const result = plan(ids, [task("t")], offers);
      return result.kind === "invalid-offers" ? result.error : result.kind;
    };
    expect(error(["gone", "o1", "o1"])).toBe("Duplicate offer o1 in offer list");
    expect(error(["o2", "o3"])).toBe("Offer o3 has invalid framework G while framework F is expected");
    expect(error(["o1", "o2", "o4"])).toBe(
      "Aggregated offers must be allocated to the same role. Offer o4 uses role 'q but another is using role 'r",
    );
    expect(error([])).toBe("No offers specified");
  });

  const rejection = (t: Record<string, unknown>, inUse?: "active" | "unreachable") => {
    const result = planAccept({
      frameworkId: "F",
      offerIds: ["o1"],
      operations: [{ type: "LAUNCH", launch: { task_infos: [t] } }],
      findOffer: (id) => (id === "o1" ? offer("o1", "s1") : undefined),
      taskIdInUse: () => inUse,
    });
    if (result.kind !== "valid") throw new Error(result.kind);
    return result.rejections.map((r) => r.message)[0];
  };

  it.each([
    ["an id with a slash", { ...task("a/b") }, "'a/b' contains invalid characters"],
    ["another agent's id", task("t", "s9"), "Task uses invalid agent s9 while agent s1 is expected"],
    [
      "a negative kill grace period",
      { ...task("t"), kill_policy: { grace_period: { nanoseconds: -1 } } },
      "Task's 'kill_policy.grace_period' must be non-negative",
    ],
    [
      "a negative max completion time",
      { ...task("t"), max_completion_time: { nanoseconds: "-5" } },
      "Task's `max_completion_time` must be non-negative",
    ],
    [
      "an HTTP check without a leading slash",
      { ...task("t"), check: { type: "HTTP", http: { port: 80, path: "ready" } } },
      "Task uses invalid check: The path 'ready' of HTTP check must start with '/'",
    ],
    [
      "a health check of an unknown type and no resources (the health check is checked first)",
      { ...task("t"), resources: [], health_check: { type: "GRPC", tcp: { port: 80 } } },
      "Task uses invalid health check: HealthCheck must specify 'type'",
    ],
    [
      "a health check with a negative interval",
      { ...task("t"), health_check: { type: "TCP", tcp: { port: 80 }, interval_seconds: -1 } },
      "Task uses invalid health check: Expecting 'interval_seconds' to be non-negative",
    ],
    [
      "no command, no executor and no resources (resources are checked first)",
      { ...task("t"), command: undefined, resources: [] },
      "Task uses no resources",
    ],
    [
      "resources of two allocation roles",
      {
        ...task("t"),
        resources: [
          { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, allocation_info: { role: "r" } },
          { name: "mem", type: "SCALAR", scalar: { value: 8 }, allocation_info: { role: "x" } },
        ],
      },
      "Invalid task resources: The resources have multiple allocation roles ('x' and 'r') but only one allocation role is allowed",
    ],
    [
      "resources allocated to another role than the offers'",
      {
        ...task("t"),
        resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, allocation_info: { role: "x" } }],
      },
      "Total resources cpus(allocated: x):0.1 required by task and its executor is more than available cpus(allocated: r):1; mem(allocated: r):128",
    ],
    [
      "a DOCKER container without docker",
      { ...task("t"), container: { type: "DOCKER" } },
      "Task's `ContainerInfo` is invalid: DockerInfo 'docker' is not set for DOCKER typed ContainerInfo",
    ],
    [
      "a volume with both a host path and a source",
      {
        ...task("t"),
        container: {
          type: "MESOS",
          volumes: [
            {
              container_path: "/d",
              mode: "RW",
              host_path: "/tmp",
              source: { type: "SANDBOX_PATH", sandbox_path: { path: "d" } },
            },
          ],
        },
      },
      "Task's `ContainerInfo` is invalid: Invalid volume: Only one of them should be set: 'host_path', 'image' and 'source'",
    ],
    [
      "share_cgroups false outside a task group",
      { ...task("t"), container: { type: "MESOS", linux_info: { share_cgroups: false } } },
      "Only tasks in a task group may have 'share_cgroups' set to 'false'",
    ],
  ])("refuses a task with %s as validation.cpp task::validate does", (_desc, t, message) => {
    expect(rejection(t)).toBe(message);
  });

  it("fails every task of a LAUNCH that asks for operation feedback", () => {
    const result = planAccept({
      frameworkId: "F",
      offerIds: ["o1"],
      operations: [{ type: "LAUNCH", id: { value: "op" }, launch: { task_infos: [task("a"), task("b")] } }],
      findOffer: (id) => (id === "o1" ? offer("o1", "s1") : undefined),
      taskIdInUse: () => undefined,
    });
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.launches).toEqual([]);
    expect(result.rejections.map((r) => [r.taskId, r.message, r.reason])).toEqual([
      ["a", "The `id` field cannot be set on LAUNCH operations", "REASON_TASK_INVALID"],
      ["b", "The `id` field cannot be set on LAUNCH operations", "REASON_TASK_INVALID"],
    ]);
  });

  it("tells a reused id of an active task from one of an unreachable task", () => {
    expect(rejection(task("t"), "active")).toBe("Task has duplicate ID: t");
    expect(rejection(task("t"), "unreachable")).toBe("Task reuses the ID of an unreachable task: t");
  });

  it("gives an untyped health check the type its http or command names, as Master::accept does", () => {
    const result = plan(
      ["o1"],
      [{ ...task("h"), health_check: { http: { port: 80, path: "/" } } }],
      [offer("o1", "s1")],
    );
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.launches[0]?.task.health_check).toEqual({ type: "HTTP", http: { port: 80, path: "/" } });
  });

  it.each([
    [1e-300, "Resource 'cpus:0' is invalid: Invalid scalar resource: value <= 0"],
    [0.0004, "Resource 'cpus:0' is invalid: Invalid scalar resource: value <= 0"],
    [-1, "Resource 'cpus:-1' is invalid: Invalid scalar resource: value <= 0"],
    [-0.0005, "Resource 'cpus:-0.001' is invalid: Invalid scalar resource: value <= 0"],
    // No int64 holds it: llround gives LLONG_MIN on x86-64.
    [
      Number.POSITIVE_INFINITY,
      "Resource 'cpus:-9.22337203685478e+15' is invalid: Invalid scalar resource: value <= 0",
    ],
  ])(
    "fails a LAUNCH with cpus %s as Resources::validate does, the value written in fixed point",
    (cpus, message) => {
      const result = plan(["o1"], [task("a", "s1", cpus)], [offer("o1", "s1")]);
      expect(result.kind === "valid" && result.rejections.map((r) => r.message)).toEqual([message]);
    },
  );

  it("refuses a host port outside the offered (the agent's) range", () => {
    const quantities = { ...q({ cpus: 1, mem: 128 }), ports: [{ begin: 31000, end: 31009 }] };
    const withPorts: OfferRecord = {
      ...offer("o1", "s1"),
      quantities,
      pools: [{ reservations: [], quantities }],
    };
    const port = (p: number) => ({
      ...task(`p${p}`),
      resources: [
        { name: "cpus", type: "SCALAR", scalar: { value: 0.1 } },
        { name: "ports", type: "RANGES", ranges: { range: [{ begin: p, end: p }] } },
      ],
    });
    const result = plan(["o1"], [port(31005), port(8080)], [withPorts]);
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.launches.map((l) => l.taskId)).toEqual(["p31005"]);
    expect(result.rejections[0]?.message).toMatch(
      /^Total resources cpus\(allocated: r\):0\.1; ports\(allocated: r\):\[8080-8080\] required by task and its executor is more than available cpus\(allocated: r\):0\.9; mem\(allocated: r\):128; ports\(allocated: r\):\[31000-31004, 31006-31009\]$/,
    );
  });

  it("launches what fits, in order, and declines the rest", () => {
    const result = plan(["o1"], [task("a"), task("b"), task("c")], [offer("o1", "s1")]);
    expect(result.kind).toBe("valid");
    if (result.kind !== "valid") return;
    expect(result.launches.map((l) => l.taskId)).toEqual(["a", "b"]);
    expect(result.rejections.map((r) => r.message)).toEqual([
      "Total resources cpus(allocated: r):0.5 required by task and its executor is more than available mem(allocated: r):128",
    ]);
    expect(result.unused).toEqual(q({ mem: 128 }));
    expect(result.launches[0]?.resources[0]?.allocation_info).toEqual({ role: "r" });
  });

  it.each([
    [
      { name: "S", type: "SECRET", value: "x", secret: { type: "REFERENCE", reference: { name: "a" } } },
      "Task's `CommandInfo` is invalid: Environment variable 'S' of type 'SECRET' must not have a value set",
    ],
    [
      { name: "S", type: "SECRET" },
      "Task's `CommandInfo` is invalid: Environment variable 'S' of type 'SECRET' must have a secret set",
    ],
    [
      { name: "S", type: "SECRET", secret: { type: "REFERENCE" } },
      "Task's `CommandInfo` is invalid: Environment variable 'S' specifies an invalid secret: Secret of type REFERENCE must have the 'reference' field set",
    ],
    [
      {
        name: "S",
        type: "SECRET",
        secret: { type: "REFERENCE", reference: { name: "db" }, value: { data: "" } },
      },
      "Task's `CommandInfo` is invalid: Environment variable 'S' specifies an invalid secret: Secret 'db' of type REFERENCE must not have the 'value' field set",
    ],
    [
      { name: "V", type: "VALUE", secret: { type: "REFERENCE", reference: { name: "db" } } },
      "Task's `CommandInfo` is invalid: Environment variable 'V' of type 'VALUE' must have a value set",
    ],
  ])("refuses the environment %j as common/validation.cpp validateEnvironment does", (variable, message) => {
    const withEnv = { ...task("e"), command: { value: "true", environment: { variables: [variable] } } };
    const result = plan(["o1"], [withEnv], [offer("o1", "s1")]);
    expect(result.kind === "valid" && result.rejections.map((r) => r.message)).toEqual([message]);
  });

  it("launches a task whose SECRET variable is a well-formed REFERENCE", () => {
    const variable = {
      name: "S",
      type: "SECRET",
      secret: { type: "REFERENCE", reference: { name: "db", key: "k" } },
    };
    const withEnv = { ...task("e"), command: { value: "true", environment: { variables: [variable] } } };
    const result = plan(["o1"], [withEnv], [offer("o1", "s1")]);
    expect(result.kind === "valid" && result.launches.map((l) => l.taskId)).toEqual(["e"]);
  });

  it.each([
    ["", "ID must not be empty"],
    ["..", "'..' is disallowed"],
    ["a/b", "'a/b' contains invalid characters"],
    ["ok.1-x", undefined],
  ])("validates the id %j", (id, error) => {
    expect(validateId(id)).toBe(error);
  });
});

describe("scheduler call checks", () => {
  it("lists every missing required field", () => {
    const checked = checkSchedulerCall({
      type: "ACCEPT",
      framework_id: { value: "F" },
      accept: {
        offer_ids: [{}],
        operations: [{ type: "LAUNCH", launch: { task_infos: [{ task_id: { value: "t" } }] } }],
      },
    });
    expect(checked).toEqual({
      ok: false,
      error:
        "Failed to convert JSON into Call protobuf: Missing required fields: accept.offer_ids[0].value, accept.operations[0].launch.task_infos[0].name, accept.operations[0].launch.task_infos[0].agent_id",
    });
  });

  it("reads null as unset and drops unknown enum names", () => {
    expect(checkSchedulerCall({ type: "REVIVE", framework_id: { value: "F" }, revive: null }).ok).toBe(true);
    expect(checkSchedulerCall({ type: "FLY", framework_id: { value: "F" } })).toEqual({
      ok: false,
      error: "Failed to validate scheduler::Call: Expecting 'type' to be present",
    });
  });

  it("accepts 16-byte uuids of versions 1 to 5, decoded as stout decodes base64", () => {
    expect(isValidUuidBase64("hTaLQ0b5Q1OZuab7QclTKQ==")).toBe(true);
    expect(isValidUuidBase64("hTaLQ0b5Q1OZuab7QclTKQ")).toBe(true);
    expect(isValidUuidBase64("hTaL Q0b5\nQ1OZuab7QclTKQ==")).toBe(true);
    // Version nibble 8: not a version boost's uuid (Mesos 1.12) knows.
    expect(isValidUuidBase64("jhadf73jhakdlfha723adf")).toBe(false);
    expect(isValidUuidBase64("hTaLQ0b5Q1OZuab7QclT")).toBe(false);
  });

  it("needs an agent id on ACKNOWLEDGE_OPERATION_STATUS", () => {
    const call = {
      type: "ACKNOWLEDGE_OPERATION_STATUS",
      framework_id: { value: "F" },
      acknowledge_operation_status: { uuid: "hTaLQ0b5Q1OZuab7QclTKQ==", operation_id: { value: "op" } },
    };
    expect(checkSchedulerCall(call)).toEqual({
      ok: false,
      error: "Failed to validate scheduler::Call: Expecting 'agent_id' to be present",
    });
  });
});

describe("wire encoding", () => {
  it("writes int64 nanoseconds exactly and frames records by byte length", () => {
    expect(toJson({ t: { nanoseconds: 1717171717123456789n } })).toBe(
      '{"t":{"nanoseconds":1717171717123456789}}',
    );
    expect(encodeRecord('{"m":"é"}').toString("utf8")).toBe('10\n{"m":"é"}');
  });
});
