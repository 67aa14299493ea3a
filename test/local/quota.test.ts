import { describe, expect, it } from "vitest";
import { allocate } from "../../src/local/master/allocator.js";
import { consumedQuota } from "../../src/local/master/quota.js";
import { QuotaAllowance } from "../../src/local/master/quota-allowance.js";
import type { Pool } from "../../src/local/pools.js";
import { emptyQuantities, type Quantities } from "../../src/local/resources.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { checkShape } from "../support/proto-shape.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

const q = (partial: Partial<Quantities>): Quantities => ({ ...emptyQuantities(), ...partial });
const unreserved = (partial: Partial<Quantities>): Pool => ({ reservations: [], quantities: q(partial) });
const framework = (id: string, roles: string[]) => ({ id, roles, held: emptyQuantities(), filters: [] });
const allowance = (
  roles: Record<
    string,
    { limits?: Record<string, number>; guarantees?: Record<string, number>; consumed: Quantities }
  >,
  available: Quantities,
) =>
  new QuotaAllowance(
    new Map(Object.entries(roles).map(([role, r]) => [role, { limits: {}, guarantees: {}, ...r }])),
    available,
  );

describe("quota limits in the local allocator (hierarchical.cpp __allocate, shrinkResources)", () => {
  const agent = (id: string) => ({
    id,
    pools: [unreserved({ cpus: 4, mem: 4096, ports: [{ begin: 1, end: 9 }] })],
  });

  it("offers a limited role unreserved scalars only up to its limit less what it consumes, over every agent", () => {
    const quota = allowance(
      { web: { limits: { cpus: 3 }, consumed: q({ cpus: 1 }) } },
      q({ cpus: 8, mem: 8192 }),
    );
    const offers = allocate([agent("s1"), agent("s2")], [framework("F", ["web"])], q({ cpus: 8 }), 0, quota);
    // mem has no limit, so the second agent's mem is still offered, without cpus; ports are not scalars and pass.
    expect(offers.map((o) => [o.agentId, o.quantities.cpus, o.quantities.mem])).toEqual([
      ["s1", 2, 4096],
      ["s2", 0, 4096],
    ]);
    expect(offers[1]?.quantities.ports).toEqual([{ begin: 1, end: 9 }]);
  });

  it("leaves what a limit cuts off for other roles, and never touches reservations", () => {
    const reserved: Pool = { reservations: [{ type: "STATIC", role: "web" }], quantities: q({ cpus: 2 }) };
    const quota = allowance(
      { web: { limits: { cpus: 1 }, consumed: q({ cpus: 1 }) } },
      q({ cpus: 4, mem: 64 }),
    );
    const offers = allocate(
      [{ id: "s1", pools: [unreserved({ cpus: 4, mem: 64 }), reserved] }],
      [framework("W", ["web"]), framework("D", ["db"])],
      q({ cpus: 6 }),
      0,
      quota,
    );
    expect(offers.map((o) => [o.frameworkId, o.quantities.cpus])).toEqual([
      ["W", 2],
      ["D", 4],
    ]);
  });

  it("holds back what other roles' guarantees still lack, but not a role's own unmet guarantee", () => {
    // db is guaranteed 5 cpus and consumes 1: 4 of the 8 unallocated cpus are held back for it.
    const guarantees = { db: { guarantees: { cpus: 5 }, consumed: q({ cpus: 1 }) } };
    const agents = [agent("s1"), agent("s2")];
    const toWeb = allocate(
      agents,
      [framework("W", ["web"])],
      q({ cpus: 8 }),
      0,
      allowance(guarantees, q({ cpus: 8 })),
    );
    expect(toWeb.map((o) => o.quantities.cpus)).toEqual([4, 0]);
    const toDb = allocate(
      agents,
      [framework("D", ["db"])],
      q({ cpus: 8 }),
      0,
      allowance(guarantees, q({ cpus: 8 })),
    );
    expect(toDb.map((o) => o.quantities.cpus)).toEqual([4, 4]);
    // A guarantee its role already consumes holds nothing back.
    const met = allowance({ db: { guarantees: { cpus: 5 }, consumed: q({ cpus: 5 }) } }, q({ cpus: 8 }));
    expect(
      allocate(agents, [framework("W", ["web"])], q({ cpus: 8 }), 0, met).map((o) => o.quantities.cpus),
    ).toEqual([4, 4]);
  });

  it("counts a role's tasks, its unused reservations and (for the allocator) its offers as consumed", () => {
    const reserved: Pool = {
      reservations: [{ type: "STATIC", role: "web" }],
      quantities: q({ cpus: 2, mem: 100 }),
    };
    const task = {
      role: "web/api",
      pools: [unreserved({ cpus: 1, mem: 10 }), { ...reserved, quantities: q({ cpus: 1 }) }],
    };
    const other = { role: "db", pools: [unreserved({ cpus: 5 })] };
    expect(consumedQuota("web", [[reserved, unreserved({ cpus: 8 })]], [task, other])).toEqual(
      q({ cpus: 3, mem: 110 }),
    );
  });
});

describe("UPDATE_QUOTA and GET_QUOTA on a local cluster", () => {
  const update = (url: string, configs: Json[], force = false) =>
    post(
      url,
      "/api/v1",
      JSON.stringify({ type: "UPDATE_QUOTA", update_quota: { force, quota_configs: configs } }),
    );

  it("keeps a role's offers within its limit, and reports the quota as a master does", async () => {
    const c = await startTestCluster({
      agents: 2,
      zones: ["a", "b"],
      agentResources: { cpus: 2, mem: 1024, disk: 0, ports: [await freePortRange(10)] },
    });
    try {
      const set = await update(c.url, [
        { role: "titan", guarantees: { cpus: { value: 0.2 } }, limits: { cpus: { value: 0.5 } } },
      ]);
      expect([set.status, set.body]).toEqual([200, ""]);
      const quota = await operator(c.url, { type: "GET_QUOTA" });
      expect(checkShape(quota, "mesos.v1.master.Response")).toEqual([]);
      expect(quota.get_quota).toEqual({
        status: {
          infos: [{ role: "titan", guarantee: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.2 } }] }],
          configs: [
            { role: "titan", guarantees: { cpus: { value: 0.2 } }, limits: { cpus: { value: 0.5 } } },
          ],
        },
      });
      const scheduler = await TestScheduler.subscribe(c.url, FRAMEWORK);
      try {
        const offers = await scheduler.offers();
        const cpus = (offer: Json) =>
          ((offer.resources as Json[]).find((r) => r.name === "cpus")?.scalar as Json | undefined)?.value ??
          0;
        expect(offers.reduce((sum, o) => sum + Number(cpus(o)), 0)).toBe(0.5);
        const [offer] = offers;
        const seen = scheduler.events.length;
        await scheduler.accept(
          [String(((offer as Json).id as Json).value)],
          [commandTask("t1", offer as Json, "sleep 30", 0.3)],
        );
        await scheduler.update("t1", "TASK_RUNNING", seen);
        // Lowering the limit below what the role uses needs `force` (quota_handler.cpp update).
        const lower = await update(c.url, [{ role: "titan", limits: { cpus: { value: 0.1 } } }]);
        expect([lower.status, lower.body]).toEqual([
          400,
          "Invalid QuotaConfig: Role 'titan' is already consuming 'cpus:0.3; mem:32'; this is more than the requested limits 'cpus:0.1' (use 'force' flag to bypass this check)",
        ]);
      } finally {
        scheduler.close();
      }
    } finally {
      await c.stop();
    }
  });

  it("answers GET_QUOTA without empty repeated fields, as stout's JSON writes a QuotaStatus", async () => {
    const c = await startTestCluster({ agents: 1, zones: ["a"] });
    try {
      const status = async () => ((await operator(c.url, { type: "GET_QUOTA" })).get_quota as Json).status;
      expect(await status()).toStrictEqual({});
      expect((await update(c.url, [{ role: "web", limits: { cpus: { value: 1 } } }])).status).toBe(200);
      // The legacy QuotaInfo of a quota without guarantees has no `guarantee` entries, so none is written.
      expect(await status()).toStrictEqual({
        infos: [{ role: "web" }],
        configs: [{ role: "web", limits: { cpus: { value: 1 } } }],
      });
      // An empty config leaves the role an empty quota in the master's memory (quota_handler.cpp `_update`), which
      // GET_QUOTA lists, and erases it from the registry (quota.cpp `UpdateQuota::perform`): a failover drops it.
      expect((await update(c.url, [{ role: "web" }])).status).toBe(200);
      expect(await status()).toStrictEqual({ infos: [{ role: "web" }], configs: [{ role: "web" }] });
      await c.faults.failoverMaster();
      expect(await status()).toStrictEqual({});
      // A guarantee that is zero in a master's fixed point is none (ResourceQuantities::add ignores it); a zero
      // limit stays.
      const zeros = await update(c.url, [
        {
          role: "web",
          guarantees: { cpus: { value: 0 }, mem: { value: 0.0004 }, disk: { value: 1 } },
          limits: { gpus: { value: 0 } },
        },
      ]);
      expect([zeros.status, zeros.body]).toEqual([200, ""]);
      expect(await status()).toStrictEqual({
        infos: [{ role: "web", guarantee: [{ name: "disk", type: "SCALAR", scalar: { value: 1 } }] }],
        configs: [{ role: "web", guarantees: { disk: { value: 1 } }, limits: { gpus: { value: 0 } } }],
      });
    } finally {
      await c.stop();
    }
  });

  it("refuses a value past what a master's fixed point holds before any check force lifts (quota.cpp validate)", async () => {
    const c = await startTestCluster({ agents: 1, zones: ["a"] });
    try {
      const trillion = "values greater than 1 trillion (1000000000000) are not supported";
      const exabyte = "values greater than 1 exabyte (1099511627776) are not supported";
      const cases: Array<[Json, string]> = [
        [
          { role: "web", limits: { cpus: { value: 1e13 } } },
          `Invalid 'QuotaConfig.limits': {'cpus': 10000000000000} is invalid: ${trillion}`,
        ],
        [
          { role: "web", limits: { mem: { value: 1e13 } } },
          `Invalid 'QuotaConfig.limits': {'mem': 10000000000000} is invalid: ${exabyte}`,
        ],
        [
          { role: "web", guarantees: { disk: { value: 1099511627777 } } },
          `Invalid 'QuotaConfig.guarantees': {'disk': 1099511627777} is invalid: ${exabyte}`,
        ],
        // Guarantees are checked before limits.
        [
          { role: "web", guarantees: { gpus: { value: 2e12 } }, limits: { gpus: { value: 3e12 } } },
          `Invalid 'QuotaConfig.guarantees': {'gpus': 2000000000000} is invalid: ${trillion}`,
        ],
        // An infinity is too large before it is infinite, and prints as values.cpp writes what llround makes of it.
        [
          { role: "web", limits: { cpus: { value: "Infinity" } } },
          `Invalid 'QuotaConfig.limits': {'cpus': -9.22337203685478e+15} is invalid: ${trillion}`,
        ],
      ];
      for (const force of [false, true])
        for (const [config, message] of cases) {
          const answer = await update(c.url, [config], force);
          expect([answer.status, answer.body]).toEqual([400, `Invalid QuotaConfig: ${message}`]);
        }
      // At the bounds themselves, a value is taken.
      const at = await update(c.url, [
        { role: "web", limits: { cpus: { value: 1e12 }, mem: { value: 1099511627776 } } },
      ]);
      expect(at.status).toBe(200);
      const quota = await operator(c.url, { type: "GET_QUOTA" });
      expect((quota.get_quota as Json).status).toMatchObject({
        configs: [{ role: "web", limits: { cpus: { value: 1e12 }, mem: { value: 1099511627776 } } }],
      });
    } finally {
      await c.stop();
    }
  });

  it.each([
    [
      { role: "web/api", limits: { cpus: { value: 1 } } },
      "Updating quota on nested role 'web/api' is not supported yet",
    ],
    [
      { role: "-web", limits: { cpus: { value: 1 } } },
      /^Invalid QuotaConfig: Invalid 'QuotaConfig.role': Role component '-web'/,
    ],
    [
      { role: "web", limits: { cpus: { value: -1 } } },
      "Invalid QuotaConfig: Invalid limit configuration {'cpus': -1}: Negative values not supported",
    ],
    [
      { role: "web", guarantees: { cpus: { value: 2 } }, limits: { cpus: { value: 1 } } },
      // quota.cpp stringifies the config's protobuf maps, which type_utils.hpp `operator<<(Map)` prints.
      "Invalid QuotaConfig: 'QuotaConfig.guarantees' { cpus: 2 } is not contained within the 'QuotaConfig.limits' { cpus: 1 }",
    ],
    // Values are printed as values.cpp prints a Value::Scalar: to three decimals, 15 significant digits.
    [
      { role: "web", guarantees: { cpus: { value: 5000.00049 } } },
      "Invalid QuotaConfig: total quota guarantees 'cpus:5000' exceed cluster capacity 'cpus:4; disk:20000; mem:8192' (use 'force' flag to bypass this check)",
    ],
    [
      { role: "web", limits: { mem: { value: -0.0001 } } },
      "Invalid QuotaConfig: Invalid limit configuration {'mem': 0}: Negative values not supported",
    ],
    [
      { role: "web", guarantees: { cpus: { value: 500 } } },
      "Invalid QuotaConfig: total quota guarantees 'cpus:500' exceed cluster capacity 'cpus:4; disk:20000; mem:8192' (use 'force' flag to bypass this check)",
    ],
  ])("refuses %j", async (config, message) => {
    const c = await startTestCluster({ agents: 1, zones: ["a"] });
    try {
      const answer = await update(c.url, [config]);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(message);
    } finally {
      await c.stop();
    }
  });
});
