import { describe, expect, it } from "vitest";
import { titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a one-region command on a region whose cluster is down", () => {
  it("names the region as well as the master it could not reach, and announces and records nothing", async () => {
    const { h, clusters } = await threeRegions();
    const waves = "[[us-east, eu-west, ap-south]]";
    for (const version of ["1", "2"]) {
      const deploy = await titan(["deploy", "-f", writeRegionalApp(h.cwd, { version, waves }), "--yes"], h);
      expect(deploy.code, deploy.stderr).toBe(0);
    }
    const master = clusters["ap-south"].url.replace(/\/$/, "");
    await clusters["ap-south"].stop();
    const run = (argv: string[]) => runCli(argv, { env: h.vars, cwd: h.cwd });
    const commands = [
      ["scale", "web", "3", "--yes"],
      ["restart", "web", "--yes"],
      ["stop", "web", "--yes"],
      ["rollback", "web", "--yes"],
      ["logs", "web"],
    ];
    for (const argv of commands) {
      const result = await run([...argv, "--region", "ap-south"]);
      expect(result.code, `${argv[0]}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toContain(`error: region ap-south: cannot reach ${master}: connection refused`);
      expect(result.stdout).not.toContain("Rollback of");
    }
    // With every region down, the one error of logs names its region too.
    await Promise.all([clusters["us-east"].stop(), clusters["eu-west"].stop()]);
    const logs = await run(["logs", "web"]);
    expect(logs.stderr).toMatch(/^error: region us-east: cannot reach /m);
    const releases = await run(["releases", "web", "--region", "ap-south", "--json"]);
    expect(JSON.parse(releases.stdout).releases).toHaveLength(2);
  }, 90_000);
});
