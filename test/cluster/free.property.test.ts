import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countPorts, subtractRanges } from "../../src/cluster/ranges.js";
import { parseSnapshot } from "../../src/cluster/snapshot.js";

const task = fc.record({
  cpus: fc.integer({ min: 0, max: 8 }),
  mem: fc.integer({ min: 0, max: 4096 }),
  port: fc.integer({ min: 31000, max: 31020 }),
  role: fc.constantFrom("*", "analytics", "titan"),
});

const agentWithTasks = fc.record({
  reserved: fc.record({ analytics: fc.integer({ min: 0, max: 8 }), titan: fc.integer({ min: 0, max: 8 }) }),
  tasks: fc.array(task, { maxLength: 6 }),
});

function snapshotText(agents: AgentCase[]): string {
  const slaves = agents.map((a, i) => ({
    id: `S${i}`,
    hostname: `h${i}`,
    resources: { cpus: 32, mem: 65536, disk: 0, gpus: 0, ports: "[31000-31020]" },
    reserved_resources: {
      analytics: { cpus: a.reserved.analytics, mem: 0, disk: 0, gpus: 0 },
      titan: { cpus: a.reserved.titan, mem: 0, disk: 0, gpus: 0 },
    },
    active: true,
  }));
  const tasks = agents.flatMap((a, i) =>
    a.tasks.map((t, k) => ({
      id: `t${i}-${k}`,
      slave_id: `S${i}`,
      state: "TASK_RUNNING",
      role: t.role,
      resources: { cpus: t.cpus, mem: t.mem, disk: 0, gpus: 0, ports: `[${t.port}-${t.port}]` },
    })),
  );
  return JSON.stringify({ slaves, frameworks: [{ id: "F", name: "f", tasks }] });
}

interface AgentCase {
  reserved: { analytics: number; titan: number };
  tasks: Array<{ cpus: number; mem: number; port: number; role: string }>;
}

describe("free resources (property)", () => {
  it("never exceed the total, never go negative, and never include a port a task holds", () => {
    fc.assert(
      fc.property(
        fc.array(agentWithTasks, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("*", "titan"),
        (agents, role) => {
          const snapshot = parseSnapshot(snapshotText(agents), "generated", { role });
          snapshot.agents.forEach((agent, i) => {
            const spec = agents[i];
            if (!spec) throw new Error("agent missing");
            for (const dim of ["cpus", "mem", "disk", "gpus"] as const) {
              expect(agent.free[dim]).toBeGreaterThanOrEqual(0);
              expect(agent.free[dim]).toBeLessThanOrEqual(agent.total[dim]);
            }
            const held = spec.tasks.map((t) => ({ begin: t.port, end: t.port }));
            expect(countPorts(subtractRanges(agent.freePorts, held))).toBe(countPorts(agent.freePorts));
            // Titan's own role may use its reservation; `*` may not use either.
            const usedCpus = spec.tasks.reduce((n, t) => n + t.cpus, 0);
            const blocked =
              role === "*" ? spec.reserved.analytics + spec.reserved.titan : spec.reserved.analytics;
            expect(agent.free.cpus).toBeLessThanOrEqual(Math.max(0, 32 - usedCpus));
            expect(agent.free.cpus).toBeGreaterThanOrEqual(Math.max(0, 32 - usedCpus - blocked));
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
