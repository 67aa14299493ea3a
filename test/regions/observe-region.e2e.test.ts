import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FAST, home, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";

describe("ps and status with a --region on one cluster", () => {
  it("read the region its tasks run in, and refuse one no task runs in and no config maps", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = join(h.cwd, "titan.yaml");
    writeFileSync(
      file,
      'name: web\nshell: "sleep 600"\nresources: { cpus: 0.1, mem: 32Mi }\nregions: { us-east: 1 }\nupdate: { min_healthy_time: 200ms }\n',
    );
    const deployed = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(deployed.code, deployed.stderr).toBe(0);
    const opts = { env: h.vars, cwd: h.cwd };

    const ps = await runCli(["ps", "--region", "us-east", "--master", local.url], opts);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/web {2}desired 1 {2}running 1/);

    const typo = await runCli(["ps", "--region", "us-eats", "--master", local.url], opts);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "error: --region us-eats: no titan app of the cluster runs in it and the config maps no cluster to it\n" +
        "hint: did you mean --region us-east?\n",
    );
    expect(typo.stdout).toBe("");

    const status = await runCli(["status", "web", "--region", "eu-west", "--master", local.url], opts);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("hint: the regions known here: us-east");

    const plain = await runCli(["status", "web", "--region", "us-east", "--master", local.url], opts);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^web {2}ok {2}desired 1/);
  }, 60_000);
});
