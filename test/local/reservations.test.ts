import { describe, expect, it } from "vitest";
import { planAccept } from "../../src/local/master/accept.js";
import { allocate } from "../../src/local/master/allocator.js";
import type { OfferRecord } from "../../src/local/master/model.js";
import { planReserve } from "../../src/local/master/reserve.js";
import { agentPools, type Pool, poolsToJson } from "../../src/local/pools.js";
import { emptyQuantities, parseResourceSpec, type Quantities } from "../../src/local/resources.js";
import { startOneAgentCluster } from "../support/local-cluster.js";
import { type Json, operator } from "./scheduler-client.js";

const q = (partial: Partial<Quantities>): Quantities => ({ ...emptyQuantities(), ...partial });
const STATIC_WEB = [{ type: "STATIC" as const, role: "web" }];
const unreserved: Pool = { reservations: [], quantities: q({ cpus: 2, mem: 256 }) };
const web: Pool = { reservations: STATIC_WEB, quantities: q({ cpus: 2, mem: 512 }) };

const offer: OfferRecord = {
  id: "o1",
  frameworkId: "F",
  agentId: "s1",
  role: "web",
  quantities: q({ cpus: 4, mem: 768 }),
  pools: [unreserved, web],
  json: {},
};

const cpus = (value: number, extra: Record<string, unknown> = {}) => ({
  name: "cpus",
  type: "SCALAR",
  scalar: { value },
  ...extra,
});
const task = (id: string, resources: unknown[]) => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "s1" },
  resources,
  command: { value: "true" },
});
const launch = (...tasks: ReturnType<typeof task>[]) =>
  planAccept({
    frameworkId: "F",
    offerIds: ["o1"],
    operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }],
    findOffer: (id) => (id === "o1" ? offer : undefined),
    taskIdInUse: () => undefined,
  });

describe("ACCEPT checked entry by entry (validation.cpp validateExecutor, Resources::contains)", () => {
  it("launches a task that mixes reserved and unreserved entries, in either reservation format", () => {
    const mixed = task("mixed", [
      cpus(2, { reservations: STATIC_WEB }),
      cpus(1),
      { name: "mem", type: "SCALAR", scalar: { value: 128 }, role: "web" },
    ]);
    const result = launch(mixed);
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.rejections).toEqual([]);
    expect(result.launches[0]?.pools).toEqual([
      { reservations: STATIC_WEB, quantities: q({ cpus: 2, mem: 128 }) },
      { reservations: [], quantities: q({ cpus: 1 }) },
    ]);
    expect(result.unusedPools).toEqual([
      { reservations: [], quantities: q({ cpus: 1, mem: 256 }) },
      { reservations: STATIC_WEB, quantities: q({ mem: 384 }) },
    ]);
  });

  it("refuses more of a reservation than it holds, though the offer's total would do", () => {
    const result = launch(task("greedy", [cpus(3, { reservations: STATIC_WEB })]));
    expect(result.kind === "valid" && result.rejections.map((r) => r.message)).toEqual([
      "Total resources cpus(allocated: web)(reservations: [(STATIC,web)]):3 required by task and its executor is more than available cpus(allocated: web):2; mem(allocated: web):256; cpus(allocated: web)(reservations: [(STATIC,web)]):2; mem(allocated: web)(reservations: [(STATIC,web)]):512",
    ]);
  });

  it("refuses another role's reservation as more than available", () => {
    const result = launch(task("db", [cpus(1, { reservations: [{ type: "STATIC", role: "db" }] })]));
    expect(result.kind === "valid" && result.rejections[0]?.message).toMatch(
      /^Total resources cpus\(allocated: web\)\(reservations: \[\(STATIC,db\)\]\):1 required by task and its executor is more than available /,
    );
  });

  it("fails every task of a LAUNCH with a wrongly refined reservation, as validateAndUpgradeResources does", () => {
    const refined = [
      { type: "STATIC", role: "web" },
      { type: "DYNAMIC", role: "other", principal: "ops" },
    ];
    const result = launch(task("bad", [cpus(1, { reservations: refined })]), task("good", [cpus(1)]));
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.launches).toEqual([]);
    const message =
      "Resource 'cpus(reservations: [(STATIC,web),(DYNAMIC,other,ops)]):1' is invalid: Invalid refined reservation: role 'other' is not a refinement of 'web'";
    expect(result.rejections.map((r) => [r.taskId, r.message, r.reason])).toEqual([
      ["bad", message, "REASON_TASK_INVALID"],
      ["good", message, "REASON_TASK_INVALID"],
    ]);
  });

  it("refuses a STATIC refinement and a dynamic reservation of '*'", () => {
    const staticRefinement = [
      { type: "STATIC", role: "web" },
      { type: "STATIC", role: "web/api" },
    ];
    const first = launch(task("s", [cpus(1, { reservations: staticRefinement })]));
    expect(first.kind === "valid" && first.rejections[0]?.message).toMatch(
      /is invalid: Invalid refined reservation: A refined reservation cannot be STATIC$/,
    );
    const star = launch(task("r", [cpus(1, { role: "*", reservation: { principal: "ops" } })]));
    expect(star.kind === "valid" && star.rejections[0]?.message).toBe(
      "Resource 'cpus:1' is invalid: Invalid reservation: role \"*\" cannot be dynamically reserved",
    );
  });
});

describe("a reservation's format, checked as Resources::validate does on every resource of a LAUNCH", () => {
  const DYNAMIC_WEB = {
    type: "DYNAMIC",
    role: "web",
    principal: "ops",
    labels: { labels: [{ key: "k", value: "v" }] },
  };
  const refused = (resources: unknown[]) => {
    const result = launch(task("bad", resources), task("good", [cpus(1)]));
    if (result.kind !== "valid") throw new Error(result.kind);
    expect(result.launches).toEqual([]);
    const messages = result.rejections.map((r) => r.message);
    expect(messages[1]).toBe(messages[0]);
    return messages[0];
  };

  it.each([
    [
      "the pre-refinement `reservation` beside a single STATIC one",
      cpus(1, { reservations: STATIC_WEB, reservation: {} }),
      "Resource 'cpus(reservations: [(STATIC,web)]):1' is invalid: Invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC",
    ],
    [
      "`reservation` without `role` beside a single DYNAMIC one",
      cpus(1, { reservations: [DYNAMIC_WEB], reservation: { principal: "ops" } }),
      "Resource 'cpus(reservations: [(DYNAMIC,web,ops,{k: v})]):1' is invalid: Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC",
    ],
    [
      "`role` without `reservation` beside a single DYNAMIC one",
      cpus(1, { reservations: [DYNAMIC_WEB], role: "web" }),
      "Resource 'cpus(reservations: [(DYNAMIC,web,ops,{k: v})]):1' is invalid: Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC",
    ],
    [
      "another principal in `reservation`",
      cpus(1, { reservations: [DYNAMIC_WEB], role: "web", reservation: { principal: "eve" } }),
      "Resource 'cpus(reservations: [(DYNAMIC,web,ops,{k: v})]):1' is invalid: Invalid resource format: 'Resource.reservation.principal' field with 'eve' does not match the principal 'ops' in 'Resource.reservations'",
    ],
    [
      "other labels in `reservation`",
      cpus(1, {
        reservations: [DYNAMIC_WEB],
        role: "web",
        reservation: { principal: "ops", labels: { labels: [{ key: "k" }] } },
      }),
      "Resource 'cpus(reservations: [(DYNAMIC,web,ops,{k: v})]):1' is invalid: Invalid resource format: 'Resource.reservation.labels' field with '{k}' does not match the labels '{k: v}' in 'Resource.reservations'",
    ],
    [
      "a single reservation of type UNKNOWN",
      cpus(1, { reservations: [{ type: "UNKNOWN", role: "web" }] }),
      "Resource 'cpus(reservations: [(UNKNOWN,web)]):1' is invalid: Unsupported 'Resource.ReservationInfo.Type'",
    ],
    [
      "`reservation` beside a refined stack",
      cpus(1, {
        reservations: [...STATIC_WEB, { type: "DYNAMIC", role: "web/api", principal: "ops" }],
        reservation: {},
      }),
      "Resource 'cpus(reservations: [(STATIC,web),(DYNAMIC,web/api,ops)]):1' is invalid: Invalid resource format: 'Resource.reservation' must not be set if there is more than one reservation in 'Resource.reservations'",
    ],
  ])("fails the whole LAUNCH for %s", (_what, resource, message) => {
    expect(refused([resource])).toBe(message);
  });

  it("takes `role` and `reservation` that agree with the single DYNAMIC reservation, labels in any order", () => {
    const labels = { labels: [{ key: "a", value: "1" }, { key: "b" }] };
    const agreeing = cpus(1, {
      reservations: [{ type: "DYNAMIC", role: "web", principal: "ops", labels }],
      role: "web",
      reservation: { principal: "ops", labels: { labels: [{ key: "b" }, { key: "a", value: "1" }] } },
    });
    const result = launch(task("ok", [agreeing]));
    // Valid in format, it then fails only as no offer holds that reservation.
    expect(result.kind === "valid" && result.rejections[0]?.message).toMatch(/^Total resources /);
  });

  it("refuses a dynamically reserved revocable resource, as validation.cpp validateDynamicReservationInfo does", () => {
    const result = launch(
      task("rev", [cpus(1, { role: "web", reservation: { principal: "ops" }, revocable: {} })]),
    );
    expect(result.kind === "valid" && result.rejections.map((r) => r.message)).toEqual([
      "Task uses invalid resources: Invalid ReservationInfo: Dynamically reserved resource cpus(allocated: web)(reservations: [(DYNAMIC,web,ops)]){REV}:1 cannot be created from revocable resources",
    ]);
  });
});

describe("offering reserved resources", () => {
  const agent = { id: "s1", pools: [unreserved, web] };
  const framework = (id: string, roles: string[]) => ({ id, roles, held: q({}), filters: [] });

  it("offers a role's reservation only to that role (and its sub-roles), the rest to anyone", () => {
    const total = q({ cpus: 4, mem: 768 });
    const allocations = allocate(
      [agent],
      [framework("other", ["titan"]), framework("w", ["web/api"])],
      total,
      0,
    );
    expect(allocations.map((a) => [a.frameworkId, a.role, a.pools])).toEqual([
      ["other", "titan", [unreserved]],
      ["w", "web/api", [web]],
    ]);
  });

  it("keeps refined reservations from frameworks without RESERVATION_REFINEMENT", () => {
    const refined: Pool = {
      reservations: [...STATIC_WEB, { type: "DYNAMIC", role: "web/api", principal: "ops" }],
      quantities: q({ cpus: 1, mem: 64 }),
    };
    const only = { id: "s1", pools: [refined] };
    const total = q({ cpus: 1, mem: 64 });
    expect(allocate([only], [framework("old", ["web/api"])], total, 0)).toEqual([]);
    expect(allocate([only], [{ ...framework("new", ["web/api"]), refinement: true }], total, 0)).toHaveLength(
      1,
    );
  });

  it("writes reservations in each framework's format (resources_utils.cpp convertResourceFormat)", () => {
    const dynamic: Pool = {
      reservations: [{ type: "DYNAMIC", role: "web", principal: "ops" }],
      quantities: q({ cpus: 1 }),
    };
    expect(poolsToJson([web, dynamic], { refinement: false, allocationRole: "web" })).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "web", allocation_info: { role: "web" } },
      { name: "mem", type: "SCALAR", scalar: { value: 512 }, role: "web", allocation_info: { role: "web" } },
      {
        name: "cpus",
        type: "SCALAR",
        scalar: { value: 1 },
        role: "web",
        reservation: { principal: "ops" },
        allocation_info: { role: "web" },
      },
    ]);
    expect(poolsToJson([unreserved, dynamic], { refinement: true })).toEqual([
      { name: "cpus", type: "SCALAR", scalar: { value: 2 } },
      { name: "mem", type: "SCALAR", scalar: { value: 256 } },
      {
        name: "cpus",
        type: "SCALAR",
        scalar: { value: 1 },
        reservations: [{ type: "DYNAMIC", role: "web", principal: "ops" }],
      },
    ]);
  });

  it("reads static reservations from an agent's resources text", () => {
    const parsed = parseResourceSpec("cpus:2;mem:1024;cpus(web):1.5;mem(web):512");
    if (!parsed.ok) throw new Error(parsed.error);
    expect(agentPools(parsed.resources)).toEqual([
      { reservations: [], quantities: q({ cpus: 2, mem: 1024 }) },
      { reservations: STATIC_WEB, quantities: q({ cpus: 1.5, mem: 512 }) },
    ]);
    expect(parseResourceSpec("ports(web):[31000-31001]")).toEqual({
      ok: false,
      error: "'ports(web):[31000-31001]': only cpus, mem, disk and gpus can be reserved",
    });
  });

  it("takes the roles an agent's --resources takes: roles::validate after trimming (resources.cpp)", () => {
    const reserved = (spec: string) => {
      const parsed = parseResourceSpec(spec);
      if (!parsed.ok) throw new Error(parsed.error);
      return Object.keys(parsed.resources.reserved ?? {});
    };
    expect(reserved("cpus(db@eu):1;mem( web/api ):64")).toEqual(["db@eu", "web/api"]);
    expect(reserved("cpus(*):1")).toEqual([]);
    for (const [spec, problem] of [
      ["cpus(../x):1", "Role '../x' cannot include '..' as a component"],
      ["cpus(-web):1", "Role component '-web' is invalid because it starts with a dash"],
      ["cpus(web/):1", "Role 'web/' cannot end with a slash"],
      ["cpus():1", "Role names cannot be the empty string"],
    ])
      expect(parseResourceSpec(spec as string)).toEqual({ ok: false, error: `'${spec}': ${problem}` });
  });
});

describe("RESERVE_RESOURCES (operator API)", () => {
  const refine = (value: number) =>
    cpus(value, { reservations: [...STATIC_WEB, { type: "DYNAMIC", role: "web/api", principal: "ops" }] });

  it("refines part of a reservation into a sub-role's", () => {
    const plan = planReserve([unreserved, web], [], [refine(1.5)]);
    expect(plan).toEqual({
      ok: true,
      pools: [
        unreserved,
        { reservations: STATIC_WEB, quantities: q({ cpus: 0.5, mem: 512 }) },
        {
          reservations: [...STATIC_WEB, { type: "DYNAMIC", role: "web/api", principal: "ops" }],
          quantities: q({ cpus: 1.5 }),
        },
      ],
    });
  });

  it("refuses resources Resources::validate refuses with its bare text, as validateAndUpgradeResources does", () => {
    const mismatched = cpus(1, {
      reservations: [{ type: "DYNAMIC", role: "web", principal: "ops" }],
      role: "web",
      reservation: { principal: "eve" },
    });
    expect(planReserve([unreserved], [], [mismatched])).toEqual({
      ok: false,
      status: 400,
      error:
        "Resource 'cpus(reservations: [(DYNAMIC,web,ops)]):1' is invalid: Invalid resource format: 'Resource.reservation.principal' field with 'eve' does not match the principal 'ops' in 'Resource.reservations'",
    });
  });

  it("refuses a static reservation, and more than is free", () => {
    expect(planReserve([unreserved], [], [cpus(1, { reservations: STATIC_WEB })])).toMatchObject({
      ok: false,
      status: 400,
    });
    const used: Pool[] = [{ reservations: STATIC_WEB, quantities: q({ cpus: 1 }) }];
    expect(planReserve([unreserved, web], used, [refine(1.5)])).toMatchObject({ ok: false, status: 409 });
  });
});

describe("an agent's own endpoints (slave/http.cpp)", () => {
  it("show its static reservations by role, beside its unreserved resources", async () => {
    const c = await startOneAgentCluster({ reserved: { web: { cpus: 1, mem: 256, disk: 0 } } });
    try {
      const [agent] = c.cluster.agents();
      const state = (await (await fetch(`${agent?.url}/state`)).json()) as Json;
      expect(state.resources).toMatchObject({ cpus: 3, mem: 1280, disk: 100 });
      expect(state.unreserved_resources).toMatchObject({ cpus: 2, mem: 1024 });
      expect(state.reserved_resources).toEqual({ web: { cpus: 1, gpus: 0, mem: 256, disk: 0 } });
      expect((state.reserved_resources_full as Record<string, Json[]>).web).toContainEqual({
        name: "cpus",
        type: "SCALAR",
        scalar: { value: 1 },
        role: "web",
        reservations: [{ type: "STATIC", role: "web" }],
      });
      const info = ((await operator(`${agent?.url}`, { type: "GET_AGENT" })).get_agent as Json)
        .agent_info as Json;
      expect(info.resources).toContainEqual({
        name: "cpus",
        type: "SCALAR",
        scalar: { value: 1 },
        reservations: [{ type: "STATIC", role: "web" }],
      });
    } finally {
      await c.stop();
    }
  });
});
