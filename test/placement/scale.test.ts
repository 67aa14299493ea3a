import { describe, expect, it } from "vitest";
import { adviseScaleIn, adviseScaleOut, parseShape, place, shapesOf } from "../../src/placement/index.js";
import type { Agent, Constraint, PlacementInput } from "../../src/placement/types.js";
import { agent, requests, runningTask } from "./builders.js";
import { moveViolations } from "./check.js";

const input = (p: Partial<PlacementInput>): PlacementInput => ({
  agents: [],
  running: [],
  requests: [],
  seed: 1,
  ...p,
});

describe("parseShape", () => {
  it.each([
    { text: "16cpu,64Gi", total: { cpus: 16, mem: 65536, disk: 0, gpus: 0 }, attributes: {} },
    { text: "8cpus, 32768", total: { cpus: 8, mem: 32768, disk: 0, gpus: 0 }, attributes: {} },
    {
      text: "4cpu,16Gi,disk=200Gi,gpus=1",
      total: { cpus: 4, mem: 16384, disk: 204800, gpus: 1 },
      attributes: {},
    },
    {
      text: "cpus=2.5,mem=512Mi,zone=a",
      total: { cpus: 2.5, mem: 512, disk: 0, gpus: 0 },
      attributes: { zone: "a" },
    },
  ])("reads $text", ({ text, total, attributes }) => {
    const shape = parseShape(text);
    expect(shape.total).toEqual(total);
    expect(shape.attributes).toEqual(attributes);
    expect(shape.ports).toEqual([{ begin: 31000, end: 32000 }]);
  });

  it("reads choices and port ranges", () => {
    const shape = parseShape("8cpu,32Gi,zone=a|b|c,ports=20000-20010");
    expect(shape.choices).toEqual({ zone: ["a", "b", "c"] });
    expect(shape.name).toBe("8cpu,32Gi,ports=20000-20010");
    expect(shape.ports).toEqual([{ begin: 20000, end: 20010 }]);
  });

  it.each([
    { text: "64Gi", why: /missing cpus/ },
    { text: "16cpu", why: /missing memory/ },
    { text: "16cpu,64Xi", why: /cannot read size "64Xi"/ },
    { text: "16cpu,64Gi,gpus=1.5", why: /gpus must be a whole number/ },
    { text: "16cpu,64Gi,ports=9-1", why: /bad port range/ },
    { text: "16cpu,64Gi,zone=", why: /empty value for zone/ },
    { text: "0cpu,0Gi", why: /: cpus must be more than 0, got 0 \(/ },
    { text: "0.0cpu,8Gi", why: /: cpus must be more than 0, got 0 \(/ },
    { text: "cpus=0,8Gi", why: /: cpus must be more than 0, got 0 \(/ },
    { text: "4cpu,0Gi", why: /: memory must be more than 0, got 0Gi \(/ },
    { text: "4cpu,mem=0", why: /: memory must be more than 0, got 0 \(/ },
    { text: "-4cpu,8Gi", why: /: cpus must be more than 0, got -4 \(/ },
    { text: "cpus=-1,8Gi", why: /: cpus must be more than 0, got -1 \(/ },
    { text: "4cpu,-8Gi", why: /: memory must be more than 0, got -8Gi \(/ },
    { text: "4cpu,8Gi,disk=-1Gi", why: /: disk must not be negative, got -1Gi \(/ },
    { text: "4cpu,8Gi,gpus=-1", why: /: gpus must not be negative, got -1 \(/ },
  ])("rejects $text with a clear message", ({ text, why }) => {
    expect(() => parseShape(text)).toThrow(why);
  });
});

describe("shapesOf", () => {
  it("groups agents by size; shared attributes stay, varying pools become choices", () => {
    const agents = [
      agent("a", { cpus: 8 }, { instance_type: "m5", zone: "z1", serial: "1" }),
      agent("b", { cpus: 8 }, { instance_type: "m5", zone: "z2", serial: "2" }),
      agent("c", { cpus: 8 }, { instance_type: "m5", zone: "z1", serial: "3" }),
      agent("d", { cpus: 8 }, { instance_type: "m5", zone: "z2", serial: "4" }),
      agent("e", { cpus: 32 }, { instance_type: "r4", zone: "z1" }),
    ];
    const shapes = shapesOf(agents);
    expect(shapes.map((s) => [s.name, s.attributes, s.choices])).toEqual([
      ["m5 (8cpu,32Gi,disk=100000Mi)", { instance_type: "m5" }, { zone: ["z1", "z2"] }],
      ["r4 (32cpu,32Gi,disk=100000Mi)", { instance_type: "r4", zone: "z1" }, {}],
    ]);
  });
});

describe("adviseScaleOut", () => {
  it("recommends nothing when everything fits", () => {
    const advice = adviseScaleOut(input({ agents: [agent("a")], requests: requests("web", 2) }), []);
    expect(advice).toEqual({ add: [], agents: [], impossible: [] });
  });

  it("picks the fewest agents of the offered shapes, and the result really places everything", () => {
    const base = input({
      agents: [agent("a", { cpus: 2, mem: 4096 })],
      requests: requests("web", 10, { cpus: 2, mem: 4096 }),
    });
    const advice = adviseScaleOut(base, [parseShape("4cpu,8Gi"), parseShape("16cpu,32Gi")]);
    // 9 pending: one large agent takes 8, and the last one needs only the small shape.
    expect(advice.add.map((a) => [a.shape.name, a.count])).toEqual([
      ["16cpu,32Gi", 1],
      ["4cpu,8Gi", 1],
    ]);
    expect(place({ ...base, agents: [...base.agents, ...advice.agents] }).unplaced).toEqual([]);
  });

  it("gives new agents distinct hostnames for unique hostname and chooses zones for hard balance", () => {
    const agents = [agent("a", { cpus: 1 }, { zone: "z0" }), agent("b", { cpus: 1 }, { zone: "z1" })];
    const constraints = [
      { kind: "unique", attribute: "hostname" } as const,
      { kind: "balance", attribute: "zone", hard: true } as const,
    ];
    const base = input({ agents, requests: requests("web", 6, { cpus: 1, mem: 512 }, { constraints }) });
    const advice = adviseScaleOut(base, [parseShape("8cpu,32Gi,zone=z0|z1")]);
    expect(advice.agents).toHaveLength(4);
    expect(new Set(advice.agents.map((a) => a.hostname)).size).toBe(4);
    expect(advice.agents.map((a) => a.attributes.zone).sort()).toEqual(["z0", "z0", "z1", "z1"]);
    expect(place({ ...base, agents: [...agents, ...advice.agents] }).unplaced).toEqual([]);
  });

  it("names an agent to add as its shape, a space, then the attribute values chosen, however they were chosen", () => {
    const total = { total: { cpus: 8, mem: 32768, disk: 0 } };
    const m5 = (rack: string, zone: string) =>
      agent(`${rack}-${zone}`, { cpus: 0, mem: 0 }, { instance_type: "m5.large", rack, zone }, total);
    const balanced = [{ kind: "balance", attribute: "rack", hard: true } as const];
    const names = (agents: Agent[], constraints: Constraint[]) =>
      adviseScaleOut(
        input({ agents, requests: requests("web", 2, { cpus: 8, mem: 32768 }, { constraints }) }),
        [],
      ).add.map((a) => a.shape.name);
    // Only counted choices (the rack a balance picks per agent).
    expect(names([m5("r1", "a"), m5("r2", "a")], balanced)).toEqual([
      "m5.large (8cpu,32Gi) rack=r1",
      "m5.large (8cpu,32Gi) rack=r2",
    ]);
    // A value a filter asks for, then the counted ones.
    const zoneB = { kind: "attribute", attribute: "zone", op: "equals", value: "b" } as const;
    expect(names([m5("r1", "a"), m5("r2", "a"), m5("r1", "b"), m5("r2", "b")], [...balanced, zoneB])).toEqual(
      ["m5.large (8cpu,32Gi) zone=b,rack=r1", "m5.large (8cpu,32Gi) zone=b,rack=r2"],
    );
  });

  it("reports requests that no shape can ever hold as impossible", () => {
    const base = input({
      agents: [agent("a", { cpus: 0 })],
      requests: [
        ...requests("huge", 1, { cpus: 64 }),
        ...requests(
          "pinned",
          1,
          {},
          { constraints: [{ kind: "attribute", attribute: "zone", op: "equals", value: "mars" }] },
        ),
        ...requests("web", 1),
      ],
    });
    const advice = adviseScaleOut(base, [parseShape("8cpu,32Gi,zone=earth")]);
    expect(advice.impossible.map((r) => r.app)).toEqual(["huge", "pinned"]);
    expect(advice.add.map((a) => a.count)).toEqual([1]);
  });
});

describe("adviseScaleIn", () => {
  it("drains the emptiest agents whose tasks fit elsewhere, and no more", () => {
    const agents = [
      agent("full", { cpus: 2, mem: 8192 }, {}, { total: { cpus: 8, mem: 32768 } }),
      agent("light", { cpus: 7, mem: 31744 }, {}, { total: { cpus: 8, mem: 32768 } }),
      agent("idle"),
    ];
    const running = [
      ...Array.from({ length: 6 }, (_, k) => runningTask("web", "full", k)),
      runningTask("api", "light", 0),
    ];
    const advice = adviseScaleIn({ agents, running, seed: 1 }, {});
    expect(advice.drain.map((d) => [d.agentId, d.tasksMoved])).toEqual([
      ["idle", 0],
      ["light", 1],
    ]);
    expect(advice.moves).toEqual([{ app: "api", instance: 0, from: "light", to: "full" }]);
    expect(advice.tasksMoved).toBe(1);
  });

  it("keeps an agent whose tasks would break a hard constraint elsewhere", () => {
    const agents = [agent("a"), agent("b")];
    const running = [runningTask("web", "a", 0), runningTask("web", "b", 1)];
    const unique = { web: [{ kind: "unique", attribute: "hostname" } as const] };
    expect(adviseScaleIn({ agents, running, seed: 1 }, unique).drain).toEqual([]);
    expect(adviseScaleIn({ agents, running, seed: 1 }, {}).drain).toHaveLength(1);
  });

  describe("keeps the values a balanced app spreads over", () => {
    const zoned = (ids: string[], zones: string[]) =>
      ids.map((id, k) => agent(id, {}, { zone: zones[k] as string }));
    const balanced = (hard: boolean) => ({ web: [{ kind: "balance", attribute: "zone", hard } as const] });

    it("never drains the last agent of a zone while the app runs an instance per zone, soft or hard", () => {
      const agents = zoned(["a1", "b1", "c1"], ["a", "b", "c"]);
      const running = [runningTask("web", "a1", 0), runningTask("web", "b1", 1), runningTask("web", "c1", 2)];
      // Without a balance the three instances fit on one agent.
      expect(adviseScaleIn({ agents, running, seed: 1 }, {}).drain).toHaveLength(2);
      expect(adviseScaleIn({ agents, running, seed: 1 }, balanced(false)).drain).toEqual([]);
      expect(adviseScaleIn({ agents, running, seed: 1 }, balanced(true)).drain).toEqual([]);
    });

    it("drains within a zone, keeping one agent of each", () => {
      const agents = zoned(["a1", "a2", "b1", "b2", "c1", "c2"], ["a", "a", "b", "b", "c", "c"]);
      const running = [runningTask("web", "a1", 0), runningTask("web", "b1", 1), runningTask("web", "c1", 2)];
      for (const hard of [false, true]) {
        const advice = adviseScaleIn({ agents, running, seed: 1 }, balanced(hard));
        const kept = agents.filter((a) => !advice.drain.some((d) => d.agentId === a.id));
        expect(kept.map((a) => a.attributes.zone).sort()).toEqual(["a", "b", "c"]);
        expect(moveViolations(agents, running, balanced(hard), advice.moves)).toEqual([]);
      }
    });

    it("lets a zone go when the app has fewer instances than the zones left", () => {
      const agents = zoned(["a1", "b1", "c1"], ["a", "b", "c"]);
      const running = [runningTask("web", "a1", 0), runningTask("web", "b1", 1)];
      const advice = adviseScaleIn({ agents, running, seed: 1 }, balanced(false));
      expect(advice.drain.map((d) => d.agentId)).toEqual(["c1"]);
    });
  });

  it("leaves where they are the tasks of apps whose constraints it is not told", () => {
    const agents = [
      agent("a1", {}, { zone: "a" }),
      agent("b1", {}, { zone: "b" }),
      agent("c1", {}, { zone: "c" }),
    ];
    const running = [runningTask("web", "a1", 0), runningTask("web", "b1", 1), runningTask("api", "c1", 0)];
    // Told nothing of web, its instances might be balanced over zones: neither a1 nor b1 is drained, c1 is.
    const advice = adviseScaleIn({ agents, running, seed: 1 }, { api: [] }, { unknown: new Set(["web"]) });
    expect(advice.drain.map((d) => d.agentId)).toEqual(["c1"]);
    expect(advice.moves.map((m) => m.app)).toEqual(["api"]);
    expect(adviseScaleIn({ agents, running, seed: 1 }, { api: [] }).drain).toHaveLength(2);
  });

  it("refills a large agent drained first when that lets two smaller agents drain instead", () => {
    const large = { total: { cpus: 8, mem: 32768 } };
    const small = { total: { cpus: 2, mem: 8192 } };
    const agents = [
      agent("big", { cpus: 4, mem: 31744 }, {}, large),
      agent("anchor", { cpus: 4, mem: 28672 }, {}, large),
      agent("k1", { cpus: 0, mem: 6144 }, {}, small),
      agent("k2", { cpus: 0, mem: 6144 }, {}, small),
    ];
    const running = [
      runningTask("batch", "big", 0, { cpus: 4 }),
      ...Array.from({ length: 4 }, (_, k) => runningTask("web", "anchor", k)),
      runningTask("api", "k1", 0),
      runningTask("api", "k1", 1),
      runningTask("api", "k2", 2),
      runningTask("api", "k2", 3),
    ];
    const advice = adviseScaleIn({ agents, running, seed: 1 }, {});
    // Emptiest first drains "big" alone (its task fills "anchor"); reopening it drains both small agents.
    expect(advice.drain.map((d) => d.agentId).sort()).toEqual(["k1", "k2"]);
    expect(advice.moves[0]).toEqual({ app: "batch", instance: 0, from: "big", to: "anchor" });
    expect(advice.moves.slice(1).map((m) => m.to)).toEqual(["big", "big", "big", "big"]);
    expect(moveViolations(agents, running, {}, advice.moves)).toEqual([]);
  });

  it("moves unpinned tasks off an agent that stays to make room for a pinned task", () => {
    const large = { total: { cpus: 8, mem: 32768 } };
    const small = { total: { cpus: 2, mem: 8192 } };
    const c5 = { instance_type: "c5.large" };
    const agents = [
      agent("big", { cpus: 4, mem: 31744 }, {}, large),
      agent("anchor", { cpus: 4, mem: 28672 }, {}, large),
      agent("k1", { cpus: 0, mem: 6144 }, c5, small),
      agent("k2", { cpus: 0, mem: 6144 }, c5, small),
      agent("k3", { cpus: 0, mem: 6144 }, c5, small),
    ];
    const running = [
      runningTask("batch", "big", 0, { cpus: 4 }),
      ...Array.from({ length: 4 }, (_, k) => runningTask("web", "anchor", k)),
      runningTask("pinned", "k1", 0),
      runningTask("a", "k1", 0),
      runningTask("pinned", "k2", 1),
      runningTask("b", "k2", 0),
      runningTask("c", "k3", 0),
      runningTask("c", "k3", 1),
    ];
    const constraints = {
      pinned: [{ kind: "attribute", attribute: "instance_type", op: "equals", value: "c5.large" } as const],
    };
    const advice = adviseScaleIn({ agents, running, seed: 1 }, constraints);
    const drained = new Set(advice.drain.map((d) => d.agentId));
    expect(drained.size).toBe(2);
    expect(drained.has("big") || drained.has("anchor")).toBe(false);
    // A pinned task can only go to another small agent: one that stays gave up an unpinned task for it.
    const evictions = advice.moves.filter((m) => !drained.has(m.from) && m.from !== "big");
    expect(evictions.length).toBeGreaterThan(0);
    expect(evictions.every((m) => m.app !== "pinned")).toBe(true);
    expect(moveViolations(agents, running, constraints, advice.moves)).toEqual([]);
  });
});
