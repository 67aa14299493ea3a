import { afterEach, describe, expect, it } from "vitest";
import { titanProcess } from "../support/cli-process.js";
import { killLocalClusters, localHome } from "../support/local-home.js";
import { freePortRange } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

afterEach(killLocalClusters);

describe("two `titan local up` started at the same instant", () => {
  it("never both hand out the same agents' host ports: one claims them, the other is refused", async () => {
    // A claims directory of their own (the system's temporary directory is where claims live).
    const shared = { TMPDIR: tempDir("titan-claims-") };
    const homes = [localHome("titan-up-a-", shared), localHome("titan-up-b-", shared)];
    const ports = await freePortRange(20);
    const up = ["local", "up", "--port", "0", "--agents", "1"];
    up.push("--agent-resources", `cpus:1;mem:512;disk:100;ports:[${ports.begin}-${ports.end}]`);
    const runs = homes.map((h) => titanProcess(up, { cwd: h.dir, vars: h.env }));
    try {
      const codes = await Promise.all(runs.map((r) => r.exit));
      expect([...codes].sort()).toEqual([0, 1]);
      const refused = runs[codes.indexOf(1)];
      expect(refused?.stderr()).toContain(
        `error: the agents' range [${ports.begin}-${ports.end}] overlaps the host ports of another local cluster's agents`,
      );
    } finally {
      for (const h of homes) await h.run(["local", "down"]);
    }
  }, 60_000);
});
