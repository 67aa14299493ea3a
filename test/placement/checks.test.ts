import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHECKERS, type Checker } from "../../src/placement/checks.js";
import { ClusterState } from "../../src/placement/cluster.js";
import { compileChecks } from "../../src/placement/compile.js";
import { RegexCache } from "../../src/placement/constraints.js";
import { EligibilityCache } from "../../src/placement/eligibility.js";
import { groupRequests, type RequestGroup } from "../../src/placement/groups.js";
import { bindRules } from "../../src/placement/rules.js";
import { placeGroup } from "../../src/placement/select.js";
import type { Agent, Constraint, TaskRequest } from "../../src/placement/types.js";
import { toUnits } from "../../src/placement/units.js";
import { agent, requests, runningTask } from "./builders.js";

const constraintArb: fc.Arbitrary<Constraint> = fc.constantFrom<Constraint>(
  { kind: "unique", attribute: "hostname" },
  { kind: "max_per", attribute: "rack", count: 2 },
  { kind: "attribute", attribute: "type", op: "like", value: "m5\\..*" },
  { kind: "attribute", attribute: "zone", op: "unlike", value: "z[01]" },
  { kind: "balance", attribute: "zone", hard: true },
  { kind: "balance", attribute: "rack", hard: false },
);

const clusterArb = fc.record({
  agents: fc.array(
    fc.record({
      cpus: fc.integer({ min: 0, max: 8 }),
      gpus: fc.constantFrom(0, 0, 1),
      zone: fc.option(fc.constantFrom("z0", "z1", "z2"), { nil: undefined }),
      rack: fc.option(fc.constantFrom("r0", "r1"), { nil: undefined }),
      type: fc.constantFrom("m5.large", "c5.large"),
      ports: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 12 },
  ),
  running: fc.array(fc.nat(11), { maxLength: 10 }),
  drained: fc.array(fc.nat(11), { maxLength: 3 }),
  constraints: fc.uniqueArray(constraintArb, { maxLength: 3, selector: (c) => JSON.stringify(c) }),
  cpus: fc.constantFrom(1, 2, 4),
  gpus: fc.constantFrom(0, 0, 1),
  ports: fc.integer({ min: 0, max: 2 }),
  allowGpuAgents: fc.boolean(),
});

type ClusterCase = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function setUp(x: ClusterCase): {
  state: ClusterState;
  group: RequestGroup;
  eligible: Uint8Array;
} {
  const agents: Agent[] = x.agents.map((a, i) => {
    const attributes: Record<string, string> = { type: a.type };
    if (a.zone) attributes.zone = a.zone;
    if (a.rack) attributes.rack = a.rack;
    return agent(`a${i}`, { cpus: a.cpus, gpus: a.gpus }, attributes, {
      ports: a.ports === 0 ? [] : [[31000, 31000 + a.ports - 1]],
      hostname: `h${i >> 1}`,
    });
  });
  const running = x.running
    .filter((i) => i < agents.length)
    .map((i, k) => runningTask("app", `a${i}`, k, { cpus: 0, mem: 0 }));
  const state = new ClusterState(agents, running, 1);
  for (const i of x.drained) if (i < agents.length) state.disable(i);
  const [group] = groupRequests(
    requests(
      "app",
      1,
      { cpus: x.cpus, gpus: x.gpus },
      {
        constraints: x.constraints,
        ports: Array.from({ length: x.ports }, (_, p) => `p${p}`),
      },
    ),
    new RegexCache(),
  );
  const g = group as RequestGroup;
  const eligible = new EligibilityCache(state).get(g.compiled.filters, g.compiled.filterKey);
  return { state, group: g, eligible };
}

describe("the declared checks", () => {
  it("compile into predicates that agree with the checks' own rejections", () => {
    fc.assert(
      fc.property(clusterArb, (x) => {
        const { state, group, eligible } = setUp(x);
        const rules = bindRules(state, group, eligible);
        const checks = compileChecks({ state, group, eligible, rules, allowGpuAgents: x.allowGpuAgents });
        for (let i = 0; i < state.n; i++) {
          const rejected = checks.rejection(i);
          // Hard balance chooses among the candidates; every other check decides whether an agent is one.
          expect(checks.passes(i)).toBe(checks.rejection(i, "hard balance") === undefined);
          if (rejected === undefined) expect(checks.choosable(i)).toBe(true);
          if (rejected?.check === "hard balance") expect(checks.choosable(i)).toBe(false);
          // Only resources and count limits change as instances are placed: they alone are checked again.
          if (checks.passes(i)) expect(checks.stillPasses(i)).toBe(true);
          if (rejected?.check === "resources" || rejected?.check === "count limit")
            expect(checks.stillPasses(i)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("say why as data, each under its checker's name, in declared order", () => {
    const agents = [
      agent("a0", { cpus: 8 }, { type: "c5.large", zone: "z0" }),
      agent("a1", { cpus: 8 }, { type: "m5.large" }),
      agent("a2", { cpus: 1 }, { type: "m5.large", zone: "z1" }),
      agent("a3", { cpus: 8, gpus: 1 }, { type: "m5.large", zone: "z2" }),
      agent("a4", { cpus: 8 }, { type: "m5.large", zone: "z2" }),
    ];
    const state = new ClusterState(agents, [], 1);
    state.disable(4);
    const constraints: Constraint[] = [
      { kind: "attribute", attribute: "type", op: "equals", value: "m5.large" },
      { kind: "balance", attribute: "zone", hard: true },
    ];
    const [group] = groupRequests(requests("app", 1, { cpus: 2 }, { constraints }), new RegexCache());
    const g = group as RequestGroup;
    const eligible = new EligibilityCache(state).get(g.compiled.filters, g.compiled.filterKey);
    const checks = compileChecks({
      state,
      group: g,
      eligible,
      rules: bindRules(state, g, eligible),
      allowGpuAgents: false,
    });
    expect(checks.rejection(0)).toEqual({ check: "attribute", filter: "attribute type equals m5.large" });
    expect(checks.rejection(1)).toEqual({ check: "counted attribute", attribute: "zone" });
    expect(checks.rejection(2)).toEqual({
      check: "resources",
      short: ["cpus"],
      missing: { cpus: 1 },
      shortfall: 0.5,
    });
    expect(checks.rejection(3)).toEqual({ check: "gpu agent reserved" });
    expect(checks.rejection(4)).toEqual({ check: "drained" });
  });

  it("take a new check written once: placement, first fit and explanations all obey it", () => {
    // A check with no fast form: the compiled predicates ask it through its rejection.
    const evenOnly: Checker = {
      name: "count limit",
      stage: "agent",
      bind: () => ({
        reject: (i) =>
          i % 2 === 0 ? undefined : { check: "count limit", limit: "even agents", unique: false },
      }),
    };
    const state = new ClusterState([agent("a0"), agent("a1"), agent("a2"), agent("a3")], [], 1);
    const [group] = groupRequests(requests("app", 1), new RegexCache());
    const g = group as RequestGroup;
    const eligible = new Uint8Array(4).fill(1);
    const checks = compileChecks(
      { state, group: g, eligible, rules: bindRules(state, g, eligible), allowGpuAgents: true },
      [...CHECKERS, evenOnly],
    );
    expect([0, 1, 2, 3].map((i) => checks.passes(i))).toEqual([true, false, true, false]);
    expect(checks.rejection(3)).toEqual({ check: "count limit", limit: "even agents", unique: false });
  });
});

describe("first fit", () => {
  it("is asked for as an option, and takes the first agent of the order that passes every check", () => {
    const agents = [agent("a0", { cpus: 8 }), agent("a1", { cpus: 2 }), agent("a2", { cpus: 4 })];
    const running = agents.map((a) => runningTask("other", a.id, 0, { cpus: 0, mem: 0 }));
    const state = new ClusterState(agents, running, 1);
    const work: TaskRequest[] = requests(
      "app",
      3,
      { cpus: 2 },
      { constraints: [{ kind: "unique", attribute: "hostname" }] },
    );
    const [group] = groupRequests(work, new RegexCache());
    const g = group as RequestGroup;
    const eligible = new Uint8Array(3).fill(1);
    const at = (outcome: ReturnType<typeof placeGroup>): string[] =>
      outcome.placed.map((b) => agents[b.agent]?.id ?? "");

    state.begin();
    const best = placeGroup(state, g, g.requests, eligible, bindRules(state, g, eligible), {
      allowGpuAgents: true,
    });
    state.rollback();
    // Best fit: the tightest agent first.
    expect(at(best)).toEqual(["a1", "a2", "a0"]);

    const first = placeGroup(state, g, g.requests.slice(0, 2), eligible, bindRules(state, g, eligible), {
      allowGpuAgents: true,
      preferredOrder: Int32Array.from([2, 0, 1]),
    });
    expect(at(first)).toEqual(["a2", "a0"]);
    expect(state.cpus[2]).toBe(toUnits({ cpus: 2, mem: 0, disk: 0, gpus: 0 }).cpus);
  });
});
