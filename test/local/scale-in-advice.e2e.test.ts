import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isAlive, localPaths } from "../../src/local/control.js";
import { readClusterState } from "../../src/local/runner.js";
import { writeWebApp } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { freePortRange } from "../support/ports.js";
import { tempDir } from "../support/tmp.js";

const stateDirs: string[] = [];
afterEach(() => {
  for (const stateDir of stateDirs.splice(0)) {
    const state = readClusterState(localPaths(stateDir).stateFile);
    if (state && isAlive(state.pid)) process.kill(state.pid, "SIGKILL");
  }
});

describe("scale-in advice on the local context", () => {
  it("is left out of plan, deploy and stop unless plan's --scale-in asks", async () => {
    const dir = tempDir("titan-scale-in-");
    const env = {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_STATE_HOME: join(dir, "state"),
      XDG_CACHE_HOME: join(dir, "cache"),
      NO_COLOR: "1",
    };
    stateDirs.push(join(dir, "state", "titan"));
    const run = (args: string[]) => runCli(args, { env, cwd: dir });
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
