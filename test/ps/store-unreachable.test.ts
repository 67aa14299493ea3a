import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { homeWithDeadStore } from "../support/state-home.js";

describe("titan ps with the state store unreachable", () => {
  it("shows the cluster's tasks at once, says on stderr that the store could not be read, and exits 1", async () => {
    const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1" }]);
    const { env, store } = await homeWithDeadStore(cluster.master.url);
    for (const argv of [["ps"], ["ps", "web"]]) {
      const started = Date.now();
      const ps = await runCli(argv, { env });
      const took = Date.now() - started;
      expect(ps.stdout, ps.stderr).toMatch(/web\s+desired -\s+running 1/);
      const warnings = ps.stderr.split("\n").filter((line) => line.startsWith("warning:"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`cannot reach the ZooKeeper state store ${store}`);
      expect(warnings[0]).toMatch(/\(check that the ensemble runs.*\); desired counts are unknown/);
      // ps changes nothing: its warning does not say nothing was changed.
      expect(warnings[0]).not.toContain("nothing was changed");
      expect(ps.code).toBe(1);
      // One short connection attempt, not a deploy's 10 s per read.
      expect(took).toBeLessThan(8000);
    }
  }, 60_000);
});
