import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
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
