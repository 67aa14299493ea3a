import { describe, expect, it } from "vitest";
import { MIN_CPUS, MIN_MEM_MB } from "../../src/manifest/limits.js";
import { seededHash } from "../../src/placement/hash.js";
import { place } from "../../src/placement/index.js";
import type { Agent, Constraint, Placement, PlacementInput } from "../../src/placement/types.js";
import { fromUnits, SMALLEST_REQUEST } from "../../src/placement/units.js";
import { agent, requests, runningTask } from "./builders.js";

const input = (p: Partial<PlacementInput>): PlacementInput => ({
  agents: [],
  running: [],
  requests: [],
  seed: 1,
  ...p,
});
const byAgent = (placements: readonly Placement[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const p of placements) out[p.agentId] = (out[p.agentId] ?? 0) + 1;
  return out;
};
const zones = (n: number, zoneCount: number, free = {}): Agent[] =>
  Array.from({ length: n }, (_, i) => agent(`a${i}`, free, { zone: `z${i % zoneCount}`, rack: `r${i % 4}` }));

describe("resources and ports", () => {
  it("never puts more on an agent than it has free, in any dimension", () => {
    const r = place(
      input({
        agents: [agent("a", { cpus: 4, mem: 4096 })],
        requests: requests("web", 5, { cpus: 1, mem: 1024 }),
      }),
    );
    expect(r.placements).toHaveLength(4);
    expect(r.unplaced[0]?.instances).toEqual([4]);
  });

  it("hands out distinct host ports from the agent's free ranges, lowest first", () => {
    const a = agent(
      "a",
      {},
      {},
      {
        ports: [
          [31000, 31001],
          [31005, 31005],
        ],
      },
    );
    const r = place(input({ agents: [a], requests: requests("web", 2, {}, { ports: ["http", "admin"] }) }));
    expect(r.placements.map((p) => p.ports)).toEqual([{ http: 31000, admin: 31001 }]);
    expect(r.unplaced[0]?.reasons).toEqual([{ reason: "no free ports", agents: 1 }]);
  });

  it("keeps GPU agents for GPU work and uses them for other work only when nothing else fits", () => {
    const agents = [agent("gpu", { gpus: 2 }), agent("plain", { cpus: 2 })];
    const r = place(input({ agents, requests: [...requests("ml", 1, { gpus: 1 }), ...requests("web", 3)] }));
    const web = r.placements.filter((p) => p.app === "web").map((p) => p.agentId);
    expect(web).toEqual(["plain", "plain", "gpu"]);
    expect(r.placements.find((p) => p.app === "ml")?.agentId).toBe("gpu");
  });
});

describe("scoring", () => {
  it("binpack fills the fullest agent that fits before opening an empty one", () => {
    const agents = [
      agent("empty"),
      agent("half", { cpus: 4, mem: 16384 }, {}, { total: { cpus: 8, mem: 32768 } }),
    ];
    const r = place(input({ agents, requests: requests("web", 4) }));
    expect(byAgent(r.placements)).toEqual({ half: 4 });
  });

  it("spread puts one instance per agent before doubling up", () => {
    const r = place(input({ agents: zones(3, 3), requests: requests("web", 4, {}, { strategy: "spread" }) }));
    expect(Object.values(byAgent(r.placements)).sort()).toEqual([1, 1, 2]);
  });
});

describe("hard constraints", () => {
  it.each([
    {
      desc: "unique hostname: one per host",
      c: { kind: "unique", attribute: "hostname" } as const,
      want: [1, 1, 1, 1, 1, 1],
    },
    { desc: "unique zone: one per zone", c: { kind: "unique", attribute: "zone" } as const, want: [1, 1, 1] },
    {
      desc: "max_per rack 2",
      c: { kind: "max_per", attribute: "rack", count: 2 } as const,
      want: [2, 2, 2, 2],
    },
  ])("$desc", ({ c, want }) => {
    const r = place(input({ agents: zones(6, 3), requests: requests("web", 10, {}, { constraints: [c] }) }));
    const perValue: Record<string, number> = {};
    for (const p of r.placements) {
      const a = zones(6, 3).find((x) => x.id === p.agentId) as Agent;
      const key = c.attribute === "hostname" ? a.hostname : (a.attributes[c.attribute] as string);
      perValue[key] = (perValue[key] ?? 0) + 1;
    }
    expect(Object.values(perValue).sort()).toEqual(want);
    expect(r.unplaced[0]?.instances.length).toBe(10 - want.reduce((s, x) => s + x, 0));
  });

  it("counts the app's running instances", () => {
    const agents = zones(3, 3);
    const r = place(
      input({
        agents,
        running: [runningTask("web", "a0"), runningTask("web", "a1")],
        requests: requests(
          "web",
          2,
          {},
          { constraints: [{ kind: "unique", attribute: "hostname" }], from: 2 },
        ),
      }),
    );
    expect(r.placements.map((p) => p.agentId)).toEqual(["a2"]);
    expect(r.unplaced[0]?.reasons).toEqual([{ reason: "unique hostname excluded", agents: 3 }]);
    expect(r.unplaced[0]?.fixes[0]).toMatch(
      /unique hostname: only 3 hosts match, with room for 0 more; lower instances by 1, to 3, or relax the constraint/,
    );
  });

  it("never offers fewer instances as the fix when that would leave none", () => {
    const agents = zones(2, 2);
    // The release it replaces still runs on both hosts: the new one's two instances find no host free.
    const r = place(
      input({
        agents,
        running: [runningTask("web", "a0"), runningTask("web", "a1", 1)],
        requests: requests("web", 2, {}, { constraints: [{ kind: "unique", attribute: "hostname" }] }),
      }),
    );
    expect(r.unplaced[0]?.instances).toEqual([0, 1]);
    expect(r.unplaced[0]?.fixes[0]).toBe(
      "unique hostname: only 2 hosts match, with room for 0 more; relax the constraint or add hosts (fewer instances would leave none)",
    );
  });

  it.each([
    { op: "equals", value: "m5.large", want: ["a"] },
    { op: "like", value: "m5\\..*", want: ["a", "b"] },
    { op: "like", value: "m5", want: [] },
    { op: "unlike", value: "m5\\..*", want: ["c", "d"] },
  ] as const)(
    "attribute $op $value (full match; a missing attribute passes only unlike)",
    ({ op, value, want }) => {
      const agents = [
        agent("a", {}, { type: "m5.large" }),
        agent("b", {}, { type: "m5.xlarge" }),
        agent("c", {}, { type: "c5.large" }),
        agent("d"),
      ];
      const r = place(
        input({
          agents,
          requests: requests(
            "web",
            4,
            { cpus: 8 },
            { constraints: [{ kind: "attribute", attribute: "type", op, value }] },
          ),
        }),
      );
      expect(r.placements.map((p) => p.agentId).sort()).toEqual(want);
      if (want.length < 4) {
        expect(r.unplaced[0]?.reasons.map((x) => x.reason)).toContain(
          `attribute type ${op} ${value} excluded`,
        );
      }
    },
  );

  it("hard balance keeps zones within one of each other, counting running instances", () => {
    const agents = zones(6, 3);
    const r = place(
      input({
        agents,
        running: [runningTask("web", "a0"), runningTask("web", "a3")],
        requests: requests(
          "web",
          4,
          {},
          { constraints: [{ kind: "balance", attribute: "zone", hard: true }], from: 2 },
        ),
      }),
    );
    const perZone: Record<string, number> = { z0: 2 };
    for (const p of r.placements) {
      const z = agents.find((a) => a.id === p.agentId)?.attributes.zone as string;
      perZone[z] = (perZone[z] ?? 0) + 1;
    }
    expect(perZone).toEqual({ z0: 2, z1: 2, z2: 2 });
  });

  it("hard balance leaves an instance unplaced rather than overfill a zone, and says which zone needs room", () => {
    const agents = [agent("a", {}, { zone: "z0" }), agent("b", { cpus: 0 }, { zone: "z1" })];
    const r = place(
      input({
        agents,
        requests: requests(
          "web",
          2,
          {},
          { constraints: [{ kind: "balance", attribute: "zone", hard: true }] },
        ),
      }),
    );
    expect(r.placements.map((p) => p.agentId)).toEqual(["a"]);
    const u = r.unplaced[0];
    expect(u?.reasons.map((x) => x.reason)).toContain("balance zone (hard) wants zone z1");
    expect(u?.fixes.join("\n")).toMatch(/zone z1 has no room/);
  });

  it("soft balance spreads across zones but never blocks", () => {
    const agents = [agent("a", {}, { zone: "z0" }), agent("b", { cpus: 1 }, { zone: "z1" })];
    const r = place(
      input({
        agents,
        requests: requests(
          "web",
          4,
          {},
          { constraints: [{ kind: "balance", attribute: "zone", hard: false }] },
        ),
      }),
    );
    expect(byAgent(r.placements)).toEqual({ a: 3, b: 1 });
    expect(r.unplaced).toEqual([]);
  });
});

describe("explanations", () => {
  it("counts reasons per agent, lists the nearest agents, and finds the largest smaller request that fits", () => {
    const agents = [agent("a", { mem: 900 }), agent("b", { mem: 700 }), agent("c", { mem: 400 })];
    const r = place(input({ agents, requests: requests("web", 3, { mem: 512 }) }));
    expect(r.placements.map((p) => p.agentId).sort()).toEqual(["a", "b"]);
    const u = r.unplaced[0];
    expect(u?.reasons).toEqual([{ reason: "mem exhausted", agents: 3 }]);
    expect(u?.nearest.map((n) => [n.agentId, n.missing.mem])).toEqual([
      ["c", 112],
      ["a", 124],
      ["b", 324],
    ]);
    expect(u?.fixes).toEqual(["mem 512 → 400 would fit all 1"]);
  });

  it("explains a request larger than every agent without claiming a fix that does not exist", () => {
    const r = place(input({ agents: [agent("a", { gpus: 0 })], requests: requests("ml", 1, { gpus: 1 }) }));
    expect(r.unplaced[0]?.reasons).toEqual([{ reason: "gpus exhausted", agents: 1 }]);
    expect(r.unplaced[0]?.fixes).toEqual([]);
  });

  it("never advises a request below the smallest a manifest accepts (cpus 0.001, mem 1)", () => {
    // Every cpu is taken: only a request of 0 cpus would fit, which no manifest may ask for.
    const full = place(
      input({
        agents: [agent("a", { cpus: 1, mem: 4096 })],
        requests: requests("web", 20, { cpus: 0.1, mem: 64 }),
      }),
    );
    expect(full.unplaced[0]?.reasons).toEqual([{ reason: "cpus exhausted", agents: 1 }]);
    expect(full.unplaced[0]?.fixes).toEqual([]);
  });

  it("knows the smallest request as the manifest's limits have it", () => {
    expect(fromUnits(SMALLEST_REQUEST.cpus)).toBe(MIN_CPUS);
    expect(fromUnits(SMALLEST_REQUEST.mem)).toBe(MIN_MEM_MB);
  });

  it("advises the smallest valid request when only that fits", () => {
    const r = place(
      input({
        agents: [agent("a", { cpus: 1.005, mem: 4096 })],
        requests: requests("web", 15, { cpus: 0.1, mem: 64 }),
      }),
    );
    expect(r.unplaced[0]?.fixes).toEqual([
      expect.stringMatching(/^cpus 0\.1 → 0\.001, mem 64 → \d+ would fit all 5$/),
    ]);
  });

  it("says so when there are no agents at all", () => {
    const r = place(input({ requests: requests("web", 1) }));
    expect(r.unplaced[0]?.reasons).toEqual([{ reason: "no agents in the cluster", agents: 0 }]);
  });

  it("says so when every agent is being drained, not that there are none", () => {
    const agents = [{ ...agent("a"), draining: true }];
    const r = place(input({ agents, requests: requests("web", 1) }));
    expect(r.unplaced[0]?.reasons).toEqual([{ reason: "every agent is being drained", agents: 0 }]);
  });
});

describe("determinism", () => {
  it("gives the same placements for the same input and seed, whatever the agents' order", () => {
    const agents = zones(12, 3);
    const req = requests("web", 9, { cpus: 3 });
    const a = place(input({ agents, requests: req, seed: 7 }));
    const b = place(input({ agents: [...agents].reverse(), requests: req, seed: 7 }));
    expect(b.placements).toEqual(a.placements);
    expect(b.unplaced).toEqual(a.unplaced);
  });

  it("breaks a tie between agents whose ids hash alike the same way whatever their order", () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let k = 0; !pair; k++) {
      const id = `agent-${k}`;
      const h = seededHash(id, 1);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, id];
      seen.set(h, id);
    }
    const agents = pair.map((id) => agent(id));
    const req = requests("web", 1, { cpus: 1 });
    const forward = place(input({ agents, requests: req, seed: 1 }));
    const backward = place(input({ agents: [...agents].reverse(), requests: req, seed: 1 }));
    expect(backward.placements).toEqual(forward.placements);
    expect(forward.placements[0]?.agentId).toBe([...pair].sort()[0]);
  });
});

describe("empty agents a group walks", () => {
  // Binpack opens the largest empty agent first, so a group walks the empty agents largest first and keeps one per
  // instance; when a count limit discards the ones it kept, it must still reach the smaller agents further on.
  const racks = (): Agent[] => [
    agent("big-1", { cpus: 32, mem: 131072 }, { rack: "r0", zone: "z0" }),
    agent("big-2", { cpus: 32, mem: 131072 }, { rack: "r0", zone: "z0" }),
    agent("small-1", { cpus: 8 }, { rack: "r1", zone: "z0" }),
    agent("small-2", { cpus: 8 }, { rack: "r2", zone: "z1" }),
    agent("small-3", { cpus: 8 }, { rack: "r3", zone: "z1" }),
  ];

  it("reaches agents past the ones it kept when unique discards them", () => {
    const r = place(
      input({
        agents: racks(),
        requests: requests("web", 3, {}, { constraints: [{ kind: "unique", attribute: "rack" }] }),
      }),
    );
    expect(r.unplaced).toEqual([]);
    const used = r.placements.map((p) => p.agentId);
    expect(new Set(used).size).toBe(3);
    expect(used.filter((id) => id.startsWith("big"))).toHaveLength(1);
  });

  it("does the same per value of a balanced attribute", () => {
    const agents = [
      ...racks().slice(0, 3),
      agent("full-1", { cpus: 0.5 }, { rack: "r5", zone: "z1" }, { total: { cpus: 8 } }),
    ];
    const constraints: Constraint[] = [
      { kind: "unique", attribute: "rack" },
      { kind: "balance", attribute: "zone", hard: false },
    ];
    const r = place(input({ agents, requests: requests("web", 2, {}, { constraints }) }));
    expect(r.unplaced).toEqual([]);
    expect(r.placements.map((p) => p.agentId).filter((id) => id.startsWith("big"))).toHaveLength(1);
    expect(r.placements.map((p) => p.agentId)).toContain("small-1");
  });

  it("still opens the largest empty agent first", () => {
    const r = place(input({ agents: racks(), requests: requests("web", 2) }));
    expect(Object.keys(byAgent(r.placements))).toHaveLength(1);
    expect(r.placements[0]?.agentId.startsWith("big")).toBe(true);
  });
});
