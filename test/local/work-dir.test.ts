import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalAgent } from "../../src/local/agent/agent.js";
import { startLocalCluster } from "../../src/local/cluster.js";
import { tempDir } from "../support/tmp.js";

function searchableByOthers(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

describe("the agents' work dir", () => {
  it.skipIf(process.getuid?.() !== 0)(
    "as root under a private directory, lies where every task user can pass through, and goes at stop",
    async () => {
      // A state directory under a 0700 home, as root's is: task users could not reach their sandboxes there.
      const home = tempDir("titan-private-home-");
      chmodSync(home, 0o700);
      const seen: string[] = [];
      const cluster = await startLocalCluster({
        agents: 1,
        agentResources: { cpus: 1, mem: 256, disk: 0, ports: [] },
        zones: ["a"],
        port: 0,
        workDir: join(home, "work"),
        createAgent: (options) => {
          seen.push(options.workDir);
          return createLocalAgent(options);
        },
      });
      const agentDir = seen[0] ?? "";
      const agentsRoot = dirname(dirname(agentDir));
      try {
        expect(agentDir.startsWith(home)).toBe(false);
        expect(searchableByOthers(agentsRoot)).toBe(true);
      } finally {
        await cluster.stop();
      }
      expect(existsSync(agentsRoot)).toBe(false);
    },
  );

  it("an earlier cluster's agent directories stay after it stops, and go when the next one starts", async () => {
    const state = tempDir("titan-local-state-");
    // As the platform state directory is (0711): run as root, the agents then work right there.
    chmodSync(state, 0o711);
    const work = join(state, "work");
    const start = () =>
      startLocalCluster({
        agents: 2,
        agentResources: { cpus: 1, mem: 256, disk: 0, ports: [] },
        zones: ["a"],
        port: 0,
        workDir: work,
        createAgent: createLocalAgent,
      });
    const first = await start();
    const earlier = first.agents().map((a) => join(work, "agents", a.id));
    try {
      // What an agent keeps: a sandbox's output, a pulled layer in its image store.
      for (const dir of earlier) {
        mkdirSync(join(dir, "store", "docker", "blobs", "sha256"), { recursive: true });
        writeFileSync(join(dir, "store", "docker", "blobs", "sha256", "ab"), "a layer");
      }
    } finally {
      await first.stop();
    }
    expect(earlier.filter((dir) => existsSync(dir))).toEqual(earlier);
    const next = await start();
    try {
      expect(earlier.filter((dir) => existsSync(dir))).toEqual([]);
      expect(next.agents().filter((a) => earlier.includes(join(work, "agents", a.id)))).toEqual([]);
    } finally {
      await next.stop();
    }
    expect(readdirSync(join(work, "agents"))).toEqual([]);
  });
});
