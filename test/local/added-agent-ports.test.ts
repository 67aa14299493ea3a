import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RangeJson } from "../../src/local/agent/api.js";
import type { LocalCluster } from "../../src/local/cluster.js";
import { claimPorts, claimsDir, overlaps } from "../../src/local/port-claims.js";
import { runCluster } from "../../src/local/runner.js";
import { freePortRange } from "../support/ports.js";

/**
 * Another local cluster starting at the very instant `titan local agents add` picks a block: it claims the block
 * right after this cluster looked at the claims and found it free.
 */
const race = vi.hoisted(() => ({ armed: false, claimedByOther: [] as RangeJson[] }));

vi.mock("../../src/local/host-ports.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/local/host-ports.js")>();
  return {
    ...original,
    freePortBlock: async (...args: Parameters<typeof original.freePortBlock>) => {
      const block = await original.freePortBlock(...args);
      if (race.armed && block !== undefined) {
        race.armed = false;
        race.claimedByOther.push(block);
        // The parent of this test process: a live process other than the cluster's.
        claimPorts([block], process.ppid);
      }
      return block;
    },
  };
});

describe("agents added to a running cluster", () => {
  let base: string;
  let savedTmp: string | undefined;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "titan-claims-"));
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = base;
  });

  afterEach(() => {
    race.armed = false;
    race.claimedByOther = [];
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(base, { recursive: true, force: true });
  });

  it("claim their block first and look after: a block another cluster claims at that instant is left to it", async () => {
    const controller = new AbortController();
    let cluster: LocalCluster | undefined;
    const running = runCluster(
      {
        agents: 1,
        agentResources: { cpus: 1, mem: 256, disk: 100, ports: [await freePortRange(10)] },
        zones: ["a"],
        port: 0,
        workDir: join(base, "work"),
        stateFile: join(base, "state", "cluster.json"),
      },
      controller.signal,
      (c) => {
        cluster = c;
      },
    );
    try {
      for (let i = 0; i < 500 && cluster === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      if (cluster === undefined) throw new Error("the cluster did not start");
      race.armed = true;
      const [added] = await cluster.addAgents({
        count: 1,
        resources: { cpus: 1, mem: 256, disk: 0, gpus: 0 },
      });
      expect(race.claimedByOther).toHaveLength(1);
      const ports = added?.resources.ports ?? [];
      expect(ports).toHaveLength(1);
      expect(
        overlaps(ports, race.claimedByOther),
        JSON.stringify({ ports, other: race.claimedByOther }),
      ).toBe(false);
      // The cluster's claim holds its first agent's range and the added agent's block, nothing of the other's.
      const own = JSON.parse(readFileSync(join(claimsDir(), String(process.pid)), "utf8")) as RangeJson[];
      expect(own).toContainEqual(ports[0]);
      expect(overlaps(own, race.claimedByOther)).toBe(false);
    } finally {
      claimPorts([], process.ppid)();
      controller.abort();
      await running;
    }
  });
});
