import { afterEach, describe, expect, it } from "vitest";
import { writeWebApp } from "../deploy/harness.js";
import { killLocalClusters, localHome } from "../support/local-home.js";
import { freePortRange } from "../support/ports.js";

afterEach(killLocalClusters);

describe("the local cluster restarted under deployed apps", () => {
  it("local down says the releases stay; status and ps say why nothing runs after the next up", async () => {
    const { dir, run } = localHome("titan-restart-");
    const ports = await freePortRange(100);
    const up = ["local", "up", "--port", "0", "--agents", "1"];
    up.push("--agent-resources", `cpus:4;mem:8192;disk:20000;ports:[${ports.begin}-${ports.end}]`);
    expect((await run(up)).code).toBe(0);
    try {
      const deployed = await run(["deploy", "-f", writeWebApp(dir, { instances: 1 }), "--yes"]);
      expect(deployed.code, deployed.stderr).toBe(0);
      const down = await run(["local", "down"]);
      expect(down.code).toBe(0);
      expect(down.stderr).toContain("its apps' releases stay in the state store");
      expect(down.stderr).toContain("`titan stop APP --purge` forgets an app");

      expect((await run(up)).code).toBe(0);
      const note =
        "the local cluster was restarted since release 1 was deployed: its instances are gone; `titan deploy` starts them again";
      const status = await run(["status", "web"]);
      expect(status.stdout).toContain("web  degraded  desired 1  running 0");
      expect(status.stdout).toContain(note);
      const json = JSON.parse((await run(["status", "web", "--json"])).stdout) as { note: string | null };
      expect(json.note).toBe(note);
      const ps = await run(["ps"]);
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stderr).toContain(`note: web: ${note}`);
    } finally {
      expect((await run(["local", "down"])).code).toBe(0);
    }
  }, 120_000);
});
