import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterState } from "../../src/placement/cluster.js";
import { RegexCache } from "../../src/placement/constraints.js";
import { runOn } from "../../src/placement/engine.js";
import { groupRequests } from "../../src/placement/groups.js";
import {
  adviseScaleIn,
  adviseScaleOut,
  PlacementSession,
  place,
  shapesOf,
} from "../../src/placement/index.js";
import type {
  Agent,
  Constraint,
  Placement,
  PlacementInput,
  PlacementResult,
  RunningTask,
  TaskRequest,
} from "../../src/placement/types.js";
import { leftovers, moveViolations, violations } from "./check.js";

const ZONES = ["z0", "z1", "z2"];
const TYPES = ["m5.large", "m5.xlarge", "c5.large"];

const agentArb = (i: number): fc.Arbitrary<Agent> =>
  fc
    .record({
      cpus: fc.integer({ min: 0, max: 16 }),
      mem: fc.integer({ min: 0, max: 16 }).map((x) => x * 1024),
      gpus: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 2 })),
      zone: fc.constantFrom(...ZONES),
      type: fc.constantFrom(...TYPES),
      ports: fc.integer({ min: 0, max: 4 }),
      sharedHost: fc.boolean(),
    })
    .map((x) => ({
      id: `agent-${i}`,
      hostname: x.sharedHost ? `host-${i >> 1}` : `host-${i}`,
      attributes: { zone: x.zone, instance_type: x.type, rack: `r${i % 3}` },
      total: { cpus: 16, mem: 16384, disk: 1000, gpus: x.gpus },
      free: { cpus: x.cpus, mem: x.mem, disk: 1000, gpus: x.gpus },
      freePorts:
        x.ports === 0
          ? []
          : [
              { begin: 31000, end: 31000 + x.ports - 1 },
              { begin: 32000, end: 32000 + x.ports },
            ],
    }));

const constraintArb: fc.Arbitrary<Constraint> = fc.oneof(
  fc.constant<Constraint>({ kind: "unique", attribute: "hostname" }),
  fc.constant<Constraint>({ kind: "unique", attribute: "zone" }),
  fc.integer({ min: 1, max: 3 }).map<Constraint>((count) => ({ kind: "max_per", attribute: "rack", count })),
  fc.constantFrom<Constraint>(
    { kind: "attribute", attribute: "instance_type", op: "like", value: "m5\\..*" },
    { kind: "attribute", attribute: "instance_type", op: "equals", value: "c5.large" },
    { kind: "attribute", attribute: "zone", op: "unlike", value: "z[01]" },
  ),
  fc.boolean().map<Constraint>((hard) => ({ kind: "balance", attribute: "zone", hard })),
);

const appArb = (name: string): fc.Arbitrary<TaskRequest[]> =>
  fc
    .record({
      count: fc.integer({ min: 1, max: 8 }),
      cpus: fc.constantFrom(0.5, 1, 2, 3.25, 6),
      mem: fc.constantFrom(256, 1024, 3000, 8192),
      gpus: fc.constantFrom(0, 0, 0, 1),
      ports: fc.integer({ min: 0, max: 2 }),
      constraints: fc.uniqueArray(constraintArb, { maxLength: 2, selector: (c) => JSON.stringify(c) }),
      spread: fc.boolean(),
    })
    .map((x) =>
      Array.from({ length: x.count }, (_, instance) => ({
        app: name,
        instance,
        demand: { cpus: x.cpus, mem: x.mem, disk: 10, gpus: x.gpus },
        ports: Array.from({ length: x.ports }, (_, p) => `p${p}`),
        constraints: x.constraints,
        strategy: x.spread ? ("spread" as const) : ("binpack" as const),
      })),
    );

const inputArb: fc.Arbitrary<PlacementInput> = fc
  .record({
    agentCount: fc.integer({ min: 0, max: 8 }),
    appCount: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain(({ agentCount, appCount, seed }) =>
    fc.record({
      agents: fc.tuple(...Array.from({ length: agentCount }, (_, i) => agentArb(i))),
      requests: fc
        .tuple(...Array.from({ length: appCount }, (_, i) => appArb(`app${i}`)))
        .map((apps) => apps.flat()),
      running: fc.constant<RunningTask[]>([]),
      seed: fc.constant(seed),
    }),
  );

/** Small and large agents, all free, and apps spread over them: a loosely filled cluster that scale-in can compact. */
const looseArb: fc.Arbitrary<PlacementInput> = fc
  .record({
    sizes: fc.array(fc.boolean(), { minLength: 4, maxLength: 12 }),
    appCount: fc.integer({ min: 2, max: 5 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain(({ sizes, appCount, seed }) =>
    fc.record({
      agents: fc.constant<Agent[]>(
        sizes.map((large, i) => {
          const total = large
            ? { cpus: 16, mem: 32768, disk: 1000, gpus: 0 }
            : { cpus: 4, mem: 8192, disk: 1000, gpus: 0 };
          return {
            id: `agent-${i}`,
            hostname: `host-${i}`,
            attributes: {
              zone: ZONES[i % 3] as string,
              instance_type: large ? "m5.xlarge" : "c5.large",
              rack: `r${i % 3}`,
            },
            total,
            free: total,
            freePorts: [{ begin: 31000, end: 31009 }],
          };
        }),
      ),
      requests: fc
        .tuple(
          ...Array.from({ length: appCount }, (_, a) =>
            fc
              .record({
                count: fc.integer({ min: 1, max: 8 }),
                cpus: fc.constantFrom(0.5, 1, 2),
                mem: fc.constantFrom(256, 1024, 2048),
                ports: fc.integer({ min: 0, max: 1 }),
                constraints: fc.uniqueArray(constraintArb, {
                  maxLength: 1,
                  selector: (c) => JSON.stringify(c),
                }),
              })
              .map((x) =>
                Array.from({ length: x.count }, (_, instance) => ({
                  app: `app${a}`,
                  instance,
                  demand: { cpus: x.cpus, mem: x.mem, disk: 10, gpus: 0 },
                  ports: Array.from({ length: x.ports }, (_, p) => `p${p}`),
                  constraints: x.constraints,
                  strategy: "spread" as const,
                })),
              ),
          ),
        )
        .map((apps) => apps.flat()),
      running: fc.constant<RunningTask[]>([]),
      seed: fc.constant(seed),
    }),
  );

/** Apps of the crowded layouts: one pinned to the small agents, two free to go anywhere, one unique per host. */
const CROWDED_APPS: ReadonlyArray<{ app: string; cpus: number; constraints: Constraint[] }> = [
  {
    app: "pinned",
    cpus: 1,
    constraints: [{ kind: "attribute", attribute: "instance_type", op: "equals", value: "c5.large" }],
  },
  { app: "small", cpus: 1, constraints: [] },
  { app: "medium", cpus: 2, constraints: [] },
  { app: "unique", cpus: 1, constraints: [{ kind: "unique", attribute: "hostname" }] },
];

/**
 * A layout given task by task: small agents (the only ones pinned tasks may use) and large ones, each holding a random
 * list of tasks as long as they fit and keep their constraints. Large agents often hold few tasks, so they are
 * drained first, into room on the small agents that their pinned tasks need later.
 */
const crowdedArb: fc.Arbitrary<{ input: PlacementInput; layout: PlacementResult }> = fc
  .record({
    agents: fc.array(
      fc.record({
        large: fc.boolean(),
        tasks: fc.array(fc.integer({ min: 0, max: CROWDED_APPS.length - 1 }), { maxLength: 8 }),
      }),
      { minLength: 3, maxLength: 10 },
    ),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ agents: specs, seed }) => {
    const agents: Agent[] = [];
    const requests: TaskRequest[] = [];
    const placements: Placement[] = [];
    const instances = new Map<string, number>();
    specs.forEach((spec, i) => {
      const total = spec.large
        ? { cpus: 16, mem: 32768, disk: 1000, gpus: 0 }
        : { cpus: 4, mem: 8192, disk: 1000, gpus: 0 };
      const a: Agent = {
        id: `agent-${i}`,
        hostname: `host-${i}`,
        attributes: { zone: ZONES[i % 3] as string, instance_type: spec.large ? "m5.xlarge" : "c5.large" },
        total,
        free: total,
        freePorts: [],
      };
      agents.push(a);
      let cpus = total.cpus;
      const here = new Set<string>();
      for (const k of spec.tasks) {
        const { app, cpus: need, constraints } = CROWDED_APPS[k] as (typeof CROWDED_APPS)[number];
        if (need > cpus || (app === "pinned" && spec.large) || (app === "unique" && here.has(app))) continue;
        cpus -= need;
        here.add(app);
        const instance = instances.get(app) ?? 0;
        instances.set(app, instance + 1);
        requests.push({
          app,
          instance,
          demand: { cpus: need, mem: 512, disk: 0, gpus: 0 },
          ports: [],
          constraints,
          strategy: "binpack",
        });
        placements.push({ app, instance, agentId: a.id, hostname: a.hostname, ports: {} });
      }
    });
    return {
      input: { agents, running: [], requests, seed },
      layout: { placements, unplaced: [], seed, metrics: { agentsEvaluated: 0 } },
    };
  });

const RESOURCE_REASONS = /exhausted$|^no free ports$/;

describe("placement properties", () => {
  it("never over-commits, never hands a port out twice, never breaks a hard constraint, always explains", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(violations(input, place(input))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic for the same input and seed, whatever the order of the agents", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = place(input);
        const b = place({ ...input, agents: [...input.agents].reverse() });
        expect(b.placements).toEqual(a.placements);
        expect(b.unplaced).toEqual(a.unplaced);
      }),
      { numRuns: 100 },
    );
  });

  it("leaves nothing unplaced that an agent could take, when only resources are the reason", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = place(input);
        const left = leftovers(input, result);
        for (const u of result.unplaced) {
          if (!u.reasons.every((r) => RESOURCE_REASONS.test(r.reason))) continue;
          const ports = input.requests.find((r) => r.app === u.app)?.ports.length ?? 0;
          for (const [id, l] of left) {
            const fits =
              l.cpus >= u.demand.cpus &&
              l.mem >= u.demand.mem &&
              l.disk >= u.demand.disk &&
              l.gpus >= u.demand.gpus &&
              l.ports >= ports;
            expect(fits, `${u.app} would fit on ${id}`).toBe(false);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("scale-out's recommendation places everything not reported impossible", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const advice = adviseScaleOut(input, []);
        expect(advice.agents.length).toBe(advice.add.reduce((n, a) => n + a.count, 0));
        const added: Agent[] = [...advice.agents];
        const after = place({ ...input, agents: [...input.agents, ...added] });
        const impossible = new Set(advice.impossible.map((r) => `${r.app}/${r.instance}`));
        const left = after.unplaced
          .flatMap((u) => u.instances.map((i) => `${u.app}/${i}`))
          .filter((k) => !impossible.has(k));
        expect(left).toEqual([]);
        // What only needs resources and fits an offered shape is never given up on.
        const shapes = shapesOf(input.agents);
        for (const r of advice.impossible) {
          const fitsAShape = shapes.some(
            (sh) =>
              r.demand.cpus <= sh.total.cpus &&
              r.demand.mem <= sh.total.mem &&
              r.demand.disk <= sh.total.disk &&
              r.demand.gpus <= sh.total.gpus &&
              r.ports.length <= sh.ports.reduce((n, p) => n + p.end - p.begin + 1, 0),
          );
          expect(r.constraints.length > 0 || !fitsAShape, `${r.app}/${r.instance} given up`).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("scale-in only drains agents whose tasks fit elsewhere, every move keeping the cluster valid", () => {
    fc.assert(
      fc.property(inputArb, (generated) => {
        checkScaleIn(generated);
      }),
      { numRuns: 150 },
    );
  });

  it("scale-in keeps every move valid on loosely filled clusters of mixed sizes", () => {
    fc.assert(
      fc.property(looseArb, (generated) => {
        checkScaleIn(generated);
      }),
      { numRuns: 150 },
    );
  });

  it("scale-in makes room on agents that stay, and every move still keeps the cluster valid", () => {
    // Evictions and refilled agents need small agents held by pinned tasks; count that those paths really ran.
    let madeRoom = 0;
    fc.assert(
      fc.property(crowdedArb, ({ input, layout }) => {
        if (checkScaleIn(input, layout)) madeRoom++;
      }),
      { numRuns: 300 },
    );
    expect(madeRoom).toBeGreaterThan(0);
  });
});

/** Many apps (so a pass sorts the empty agents and walks them), on agents that are often entirely free. */
const manyAppsArb: fc.Arbitrary<PlacementInput> = fc
  .record({
    agentCount: fc.integer({ min: 0, max: 12 }),
    appCount: fc.integer({ min: 16, max: 22 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain(({ agentCount, appCount, seed }) =>
    fc.record({
      agents: fc.tuple(
        ...Array.from({ length: agentCount }, (_, i) =>
          fc
            .tuple(agentArb(i), fc.boolean())
            .map(([a, empty]) => (empty ? { ...a, free: { ...a.total, disk: a.free.disk } } : a)),
        ),
      ),
      requests: fc
        .tuple(...Array.from({ length: appCount }, (_, i) => appArb(`app${i}`)))
        .map((apps) => apps.flat()),
      running: fc.constant<RunningTask[]>([]),
      seed: fc.constant(seed),
    }),
  );

describe("placement properties with many groups", () => {
  it("never over-commits, never breaks a hard constraint, always explains, and is deterministic", () => {
    fc.assert(
      fc.property(manyAppsArb, (input) => {
        const result = place(input);
        expect(violations(input, result)).toEqual([]);
        const reversed = place({ ...input, agents: [...input.agents].reverse() });
        expect(reversed.placements).toEqual(result.placements);
        expect(reversed.unplaced).toEqual(result.unplaced);
      }),
      { numRuns: 80 },
    );
  });
});

describe("a pass over many groups", () => {
  const choices = (input: PlacementInput, scanEveryAgent: boolean): unknown => {
    const state = new ClusterState(input.agents, input.running, input.seed);
    const run = runOn(state, groupRequests(input.requests, new RegexCache()), { scanEveryAgent });
    return {
      booked: run.booked.map((b) => [b.request.app, b.request.instance, b.agent, b.ports]),
      unplaced: run.unplaced.map((u) => [u.group.app, u.remaining.length]),
    };
  };

  it("chooses exactly what scoring every agent for every group chooses", () => {
    const withDrained = manyAppsArb.chain((input) =>
      fc
        .array(fc.boolean(), { minLength: input.agents.length, maxLength: input.agents.length })
        .map((drained) => ({
          ...input,
          agents: input.agents.map((a, i) => (drained[i] && i % 3 === 0 ? { ...a, draining: true } : a)),
        })),
    );
    fc.assert(
      fc.property(withDrained, (input) => {
        expect(choices(input, false)).toEqual(choices(input, true));
      }),
      { numRuns: 150 },
    );
  });
});

describe("placement session", () => {
  it("places, after releases, exactly what a fresh placement of the same cluster would", () => {
    fc.assert(
      fc.property(manyAppsArb, fc.integer({ min: 0, max: 1000 }), (input, pick) => {
        const session = new PlacementSession(input.agents, input.running, input.seed);
        const placedFirst = session.place(input.requests).placements;
        const requestOf = new Map(input.requests.map((r) => [`${r.app}/${r.instance}`, r]));
        // Stop a pseudo-random part of what was placed and place those instances again, as a rollout replaces them.
        const stopped = placedFirst.filter((_, k) => (k * 7 + pick) % 3 === 0);
        const kept = placedFirst.filter((_, k) => (k * 7 + pick) % 3 !== 0);
        for (const p of stopped) {
          const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
          session.release(p.agentId, p.app, r.demand, Object.values(p.ports));
        }
        const second = stopped.map((p) => requestOf.get(`${p.app}/${p.instance}`) as TaskRequest);
        const fresh = freshInput(input, kept, requestOf, second);
        const a = session.place(second);
        const b = place(fresh);
        expect(a.placements).toEqual(b.placements);
        expect(a.unplaced).toEqual(b.unplaced);
      }),
      { numRuns: 80 },
    );
  });
});

describe("a placement session over many small runs", () => {
  it("chooses at every step of a rolling update exactly what scoring every agent chooses", () => {
    fc.assert(
      fc.property(manyAppsArb, fc.integer({ min: 1, max: 3 }), (input, batch) => {
        // The same rollout on two sessions: one keeps its view of the agents from run to run, one scans every agent.
        const kept = new PlacementSession(input.agents, input.running, input.seed);
        const scanned = new PlacementSession(input.agents, input.running, input.seed, {
          scanEveryAgent: true,
        });
        const first = kept.place(input.requests);
        const firstScanned = scanned.place(input.requests);
        expect(first.placements).toEqual(firstScanned.placements);
        expect(first.unplaced).toEqual(firstScanned.unplaced);
        const requestOf = new Map(input.requests.map((r) => [`${r.app}/${r.instance}`, r]));
        const byApp = new Map<string, Placement[]>();
        for (const p of first.placements) byApp.set(p.app, [...(byApp.get(p.app) ?? []), p]);
        let steps = 0;
        // Each app replaced a batch at a time: stop the old instances of the batch, place them anew, as a rollout does.
        for (const placed of byApp.values()) {
          for (let k = 0; k < placed.length; k += batch) {
            const old = placed.slice(k, k + batch);
            for (const session of [kept, scanned])
              for (const p of old) {
                const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
                session.release(p.agentId, p.app, r.demand, Object.values(p.ports));
              }
            const requests = old.map((p) => requestOf.get(`${p.app}/${p.instance}`) as TaskRequest);
            const a = kept.place(requests);
            const b = scanned.place(requests);
            expect(a.placements).toEqual(b.placements);
            expect(a.unplaced).toEqual(b.unplaced);
            steps++;
          }
        }
        expect(steps).toBeGreaterThanOrEqual(byApp.size);
      }),
      { numRuns: 60 },
    );
  });
});

/** The cluster after `kept` started: their demand and ports taken from their agents, and they run there. */
function freshInput(
  input: PlacementInput,
  kept: readonly Placement[],
  requestOf: ReadonlyMap<string, TaskRequest>,
  requests: readonly TaskRequest[],
): PlacementInput {
  const agents = input.agents.map((a) => {
    const mine = kept.filter((p) => p.agentId === a.id);
    if (mine.length === 0) return a;
    const free = { ...a.free };
    const taken = new Set<number>();
    for (const p of mine) {
      const d = (requestOf.get(`${p.app}/${p.instance}`) as TaskRequest).demand;
      free.cpus -= d.cpus;
      free.mem -= d.mem;
      free.disk -= d.disk;
      free.gpus -= d.gpus;
      for (const port of Object.values(p.ports)) taken.add(port);
    }
    const freePorts = a.freePorts.flatMap((r) => {
      const out: Array<{ begin: number; end: number }> = [];
      for (let port = r.begin; port <= r.end; port++) {
        if (taken.has(port)) continue;
        const last = out[out.length - 1];
        if (last && last.end === port - 1) last.end = port;
        else out.push({ begin: port, end: port });
      }
      return out;
    });
    return { ...a, free, freePorts };
  });
  const running: RunningTask[] = kept.map((p) => {
    const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
    return {
      app: p.app,
      agentId: p.agentId,
      instance: p.instance,
      demand: r.demand,
      portCount: r.ports.length,
    };
  });
  return { agents, running, requests: [...requests], seed: input.seed };
}

/**
 * Runs scale-in on the layout placement gives the input, replays its moves and checks every state on the way and the
 * final one. True when some task moved off an agent that stays (an eviction, or an agent drained first then refilled).
 */
function checkScaleIn(generated: PlacementInput, placed: PlacementResult = place(generated)): boolean {
  // Start from a valid cluster: what placement put there (or the given layout) becomes the running tasks.
  const left = leftovers(generated, placed);
  const requestOf = new Map(generated.requests.map((r) => [`${r.app}/${r.instance}`, r]));
  const running: RunningTask[] = placed.placements.map((p) => {
    const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
    return {
      app: p.app,
      agentId: p.agentId,
      instance: p.instance,
      demand: r.demand,
      portCount: r.ports.length,
    };
  });
  const agents = generated.agents.map((a) => {
    const l = left.get(a.id) as {
      cpus: number;
      mem: number;
      disk: number;
      gpus: number;
      ports: number;
    };
    const used = a.freePorts.reduce((s, r) => s + r.end - r.begin + 1, 0) - l.ports;
    return {
      ...a,
      // Agents of two sizes, as scale-in prefers keeping the large ones.
      total: { ...a.total, cpus: a.total.cpus * (1 + (Number(a.id.slice(6)) % 2)) },
      free: { cpus: l.cpus, mem: l.mem, disk: l.disk, gpus: l.gpus },
      freePorts:
        a.freePorts.length && l.ports > 0 ? [{ begin: 40000 + used, end: 40000 + used + l.ports - 1 }] : [],
    };
  });
  const constraintsByApp = Object.fromEntries(generated.requests.map((r) => [r.app, r.constraints]));
  const advice = adviseScaleIn({ agents, running, seed: generated.seed }, constraintsByApp);
  expect(advice.tasksMoved).toBe(advice.moves.length);
  expect(advice.drain.reduce((s, d) => s + d.tasksMoved, 0)).toBeLessThanOrEqual(advice.moves.length);
  // Replay the moves one by one: every state on the way is valid (capacity, host ports, hard constraints)...
  expect(moveViolations(agents, running, constraintsByApp, advice.moves)).toEqual([]);
  // ...and the final layout is a valid placement of every task on the agents that stay.
  const drained = new Set(advice.drain.map((d) => d.agentId));
  expect(drained.size).toBe(advice.drain.length);
  const where = new Map(running.map((t) => [`${t.app}/${t.instance}`, t.agentId]));
  const movedFrom = new Set<string>();
  for (const m of advice.moves) {
    where.set(`${m.app}/${m.instance}`, m.to);
    movedFrom.add(m.from);
  }
  const replay: PlacementInput = {
    agents: generated.agents.filter((a) => !drained.has(a.id)),
    running: [],
    requests: generated.requests.filter((r) => where.has(`${r.app}/${r.instance}`)),
    seed: 0,
  };
  const final = {
    placements: [...where].map(([key, agentId]) => {
      const [app, instance] = key.split("/") as [string, string];
      const r = requestOf.get(key) as TaskRequest;
      return {
        app,
        instance: Number(instance),
        agentId,
        hostname: "",
        ports: Object.fromEntries(r.ports.map((p, k) => [p, 50000 + k])),
      };
    }),
    unplaced: [],
    seed: 0,
    metrics: { agentsEvaluated: 0 },
  };
  for (const p of final.placements)
    expect(drained.has(p.agentId), `${p.app}/${p.instance} left on a drained agent`).toBe(false);
  const problems = violations(replay, final).filter(
    (v) => !v.startsWith("port ") && !v.includes("port names"),
  );
  expect(problems).toEqual([]);
  // ...and no balanced app is left fewer values of its attribute than it could spread over before.
  const instances = new Map<string, number>();
  for (const t of running) instances.set(t.app, (instances.get(t.app) ?? 0) + 1);
  const valuesAmong = (list: readonly Agent[], attribute: string): number =>
    new Set(list.filter((a) => !a.draining).map((a) => a.attributes[attribute] ?? null)).size -
    (list.some((a) => !a.draining && a.attributes[attribute] === undefined) ? 1 : 0);
  for (const [app, constraints] of Object.entries(constraintsByApp)) {
    if (constraints.some((c) => c.kind === "attribute")) continue;
    for (const c of constraints) {
      if (c.kind !== "balance") continue;
      const before = valuesAmong(agents, c.attribute);
      const after = valuesAmong(
        agents.filter((a) => !drained.has(a.id)),
        c.attribute,
      );
      expect(after, `${app} balanced over ${c.attribute}`).toBeGreaterThanOrEqual(
        Math.min(before, instances.get(app) ?? 0),
      );
    }
  }
  return [...movedFrom].some((id) => !drained.has(id));
}
