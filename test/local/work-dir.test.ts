import { chmodSync, existsSync, statSync } from "node:fs";
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
});
