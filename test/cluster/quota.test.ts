import { describe, expect, it } from "vitest";
import { Node } from "../../src/cluster/json-reader.js";
import { readGetState, readQuotaUse } from "../../src/cluster/operator.js";
import {
  consumedOver,
  quotaOfState,
  quotaRoleOf,
  reservedFreeByAgent,
  reservedUseOfTasks,
  roleLimits,
  roleQuotaOf,
  rolesToCount,
} from "../../src/cluster/quota.js";
import type { QuotaStatus } from "../../src/mesos/types/operator.js";

const scalar = (name: string, value: number, extra: Record<string, unknown> = {}) => ({
  name,
  type: "SCALAR",
  scalar: { value },
  ...extra,
});
const reservedTo = (role: string) => ({ reservations: [{ type: "STATIC", role }] });
const allocatedTo = (role: string) => ({ allocation_info: { role } });

/** One agent: 8 cpus, 2 reserved to web, 1 to web/api, 1 to db; tasks of web, web/api and db hold some. */
const state = {
  get_state: {
    get_agents: {
      agents: [
        {
          active: true,
          agent_info: { hostname: "a1", id: { value: "S1" } },
          total_resources: [
            scalar("cpus", 4),
            scalar("cpus", 2, reservedTo("web")),
            scalar("cpus", 1, reservedTo("web/api")),
            // The pre-refinement form of a reservation, as older masters and /master/state write it.
            scalar("cpus", 1, { role: "db" }),
            scalar("mem", 4096),
          ],
          allocated_resources: [
            scalar("cpus", 1.5, { ...reservedTo("web"), ...allocatedTo("web") }),
            scalar("cpus", 0.5, allocatedTo("web")),
            scalar("mem", 256, allocatedTo("web")),
            scalar("cpus", 1, allocatedTo("web/api")),
            scalar("cpus", 2, allocatedTo("db")),
            scalar("cpus", 1, { role: "db", ...allocatedTo("db") }),
          ],
        },
      ],
    },
    get_frameworks: { frameworks: [] },
    get_tasks: {
      tasks: [
        {
          name: "web.0",
          task_id: { value: "web.0.1.0" },
          framework_id: { value: "F" },
          agent_id: { value: "S1" },
          state: "TASK_RUNNING",
          resources: [scalar("cpus", 1.5, { ...reservedTo("web"), ...allocatedTo("web") })],
          labels: {
            labels: [
              { key: "titan.app", value: "web" },
              { key: "titan.instance", value: "0" },
            ],
          },
        },
      ],
    },
  },
};

describe("a role's consumed quota, read from GET_STATE as the master counts it", () => {
  const read = readGetState(new Node(state));
  const use = readQuotaUse(state.get_state.get_agents.agents, ["web", "db"]);
  const agents = read.agents.map((agent) => ({ ...agent, ...use.get(agent.id) }));

  it("counts what the role's subtree is allocated, and the subtree's reservations nothing uses", () => {
    // Allocated: 1.5 + 0.5 (web) + 1 (web/api) cpus, 256 mem; unused reservations: web 0.5, web/api 1.
    expect(consumedOver(agents, "web")).toEqual({ cpus: 4.5, mem: 256, disk: 0, gpus: 0 });
    expect(consumedOver(agents, "db")).toEqual({ cpus: 3, mem: 0, disk: 0, gpus: 0 });
  });

  it("knows where the role's own reservations are free, and what titan's tasks use of them", () => {
    expect(reservedFreeByAgent(agents, "web")).toEqual({ S1: { cpus: 0.5, mem: 0, disk: 0, gpus: 0 } });
    expect(reservedUseOfTasks(read.tasks, "web")).toEqual({
      "web.0.1.0": { cpus: 1.5, mem: 0, disk: 0, gpus: 0 },
    });
  });

  it("counts the unallocated unreserved scalars, which other roles' guarantees are held back from", () => {
    // 4 unreserved cpus, of which 0.5 (web) + 1 (web/api) + 2 (db) are allocated; 4096 mem, 256 allocated.
    expect(use.get("S1")?.unreservedFree).toEqual({ cpus: 0.5, mem: 3840, disk: 0, gpus: 0 });
    const status: QuotaStatus = { configs: [{ role: "db", guarantees: { cpus: { value: 3.2 } } }] };
    expect(roleQuotaOf(status, "web", agents, read.tasks)?.headroom).toEqual({
      available: { cpus: 0.5, mem: 3840, disk: 0, gpus: 0 },
      heldBack: { cpus: 0.2, mem: 0, disk: 0, gpus: 0 },
      ownUnmet: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
    });
    // A guarantee its role consumes holds nothing back, and then nothing bounds web.
    const met: QuotaStatus = { configs: [{ role: "db", guarantees: { cpus: { value: 3 } } }] };
    expect(roleQuotaOf(met, "web", agents, read.tasks)).toBeUndefined();
    expect(rolesToCount(met, "*")).toEqual(["*", "db"]);
    expect(rolesToCount({}, "web")).toEqual(["web"]);
  });
});

describe("the quota of titan's role", () => {
  it("is asked for wherever a 1.12 master takes one: the default role * too, not a nested role", () => {
    expect(quotaRoleOf("*")).toBe("*");
    expect(quotaRoleOf("web/api")).toBeUndefined();
    expect(quotaRoleOf("web")).toBe("web");
  });

  it("bounds role * by its own limit and what is allocated to *, as the master counts it", () => {
    // 8 cpus, 2 reserved to web; * is allocated 3.7 of the unreserved ones, web 1 of its reservation and 1 more.
    const agents = [
      {
        active: true,
        agent_info: { hostname: "a1", id: { value: "S1" } },
        total_resources: [scalar("cpus", 6), scalar("cpus", 2, reservedTo("web")), scalar("mem", 4096)],
        allocated_resources: [
          scalar("cpus", 3.7, allocatedTo("*")),
          scalar("mem", 64, allocatedTo("*")),
          scalar("cpus", 1, { ...reservedTo("web"), ...allocatedTo("web") }),
          scalar("cpus", 1, allocatedTo("web")),
        ],
      },
    ];
    const raw = { get_state: { get_agents: { agents }, get_frameworks: { frameworks: [] } } };
    const read = readGetState(new Node(raw));
    const status: QuotaStatus = { configs: [{ role: "*", limits: { cpus: { value: 4 } } }] };
    expect(quotaOfState(status, "*", { rawAgents: agents, ...read })).toEqual({
      role: "*",
      limits: { cpus: 4 },
      consumed: { cpus: 3.7, mem: 64, disk: 0, gpus: 0 },
      reservedFree: {},
      reservedUse: {},
    });
    // Another role's limit bounds * in nothing.
    const other: QuotaStatus = { configs: [{ role: "web", limits: { cpus: { value: 1 } } }] };
    expect(quotaOfState(other, "*", { rawAgents: agents, ...read })).toBeUndefined();
  });

  it("takes the role's limits on the resources titan asks for", () => {
    const status: QuotaStatus = {
      configs: [
        { role: "db", limits: { cpus: { value: 1 } } },
        {
          role: "web",
          guarantees: { cpus: { value: 1 } },
          limits: { cpus: { value: 4 }, fpgas: { value: 2 } },
        },
      ],
    };
    expect(roleLimits(status, "web")).toEqual({ cpus: 4 });
    expect(
      roleLimits({ configs: [{ role: "web", guarantees: { cpus: { value: 1 } } }] }, "web"),
    ).toBeUndefined();
    expect(roleLimits({}, "web")).toBeUndefined();
  });
});
