import { afterEach, describe, expect, it } from "vitest";
import { writeWebApp } from "../deploy/harness.js";
import { killLocalClusters, localHome } from "../support/local-home.js";
import { freePortRange } from "../support/ports.js";

afterEach(killLocalClusters);

describe("scale-in advice on the local context", () => {
  it("is left out of plan, deploy and stop unless plan's --scale-in asks", async () => {
    const { dir, run } = localHome("titan-scale-in-", { NO_COLOR: "1" });
    const ports = await freePortRange(100);
    const up = await run([
      "local",
      "up",
      "--port",
      "0",
      "--agent-resources",
      `cpus:4;mem:8192;disk:20000;ports:[${ports.begin}-${ports.end}]`,
    ]);
    expect(up.code, up.stderr).toBe(0);
    try {
      const file = writeWebApp(dir, { instances: 1 });
      const plan = await run(["plan", "-f", file]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain("Scheduler dry-run");
      expect(plan.stdout + plan.stderr).not.toContain("Scale-in");
      const json = JSON.parse((await run(["plan", "-f", file, "--json"])).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ scale_in: null, scale_in_skipped: null });

      const asked = await run(["plan", "-f", file, "--scale-in"]);
      expect(asked.stdout).toMatch(/Scale-in: 2 agents could be drained after this plan/);

      const deployed = await run(["deploy", "-f", file, "--yes"]);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect(deployed.stdout + deployed.stderr).not.toContain("Scale-in");
      const stopped = await run(["stop", "web", "--yes"]);
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout + stopped.stderr).not.toContain("Scale-in");
    } finally {
      expect((await run(["local", "down"])).code).toBe(0);
    }
  }, 120_000);
});
