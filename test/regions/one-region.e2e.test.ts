import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("an app that names one region, on a context that spans several", () => {
  it("is planned and deployed in that region without --region", async () => {
    const { h, clusters } = await threeRegions();
    const app = writeRegionalApp(h.cwd, { version: "1", regions: "{ eu-west: 2 }", waves: "[[eu-west]]" });
    const plan = await titan(["plan", "-f", app], h);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: region eu-west");
    expect(plan.stdout).not.toContain("region us-east");
    const deploy = await titan(["deploy", "-f", app, "--yes"], h);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect((await liveTasks(clusters["eu-west"].url)).map((t) => t.id).sort()).toEqual([
      "web.1.0.1",
      "web.1.1.1",
    ]);
    expect(await liveTasks(clusters["us-east"].url)).toEqual([]);
  }, 60_000);
});

describe("the releases of an app over several regions", () => {
  it("count the instances of the region asked about, not of every region", async () => {
    const { h } = await threeRegions();
    const app = writeRegionalApp(h.cwd, {
      version: "1",
      regions: "{ us-east: 2, eu-west: 1, ap-south: 1 }",
      waves: "[[us-east, eu-west, ap-south]]",
    });
    expect((await titan(["deploy", "-f", app, "--yes"], h)).code).toBe(0);
    const count = async (region: string) => {
      const listed = await titan(["releases", "web", "--region", region, "--json"], h);
      return (JSON.parse(listed.stdout) as { releases: Array<{ instances: number }> }).releases[0]?.instances;
    };
    expect(await count("us-east")).toBe(2);
    expect(await count("ap-south")).toBe(1);
    const table = await titan(["releases", "web", "--region", "ap-south"], h);
    expect(table.stdout).toMatch(/^1\s+deployed\s+1\s/m);
    const status = await runCli(["status", "web", "--json"], { env: h.vars, cwd: h.cwd });
    const regions = (
      JSON.parse(status.stdout) as { regions: Array<{ region: string; release: { instances: number } }> }
    ).regions;
    expect(Object.fromEntries(regions.map((r) => [r.region, r.release.instances]))).toEqual({
      "us-east": 2,
      "eu-west": 1,
      "ap-south": 1,
    });
  }, 60_000);
});
