import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a region dropped from an app's regions:", () => {
  it("is named by the plan and the deploy, with the stop that ends it there; nothing stops by itself", async () => {
    const { h, clusters } = await threeRegions();
    const both = { regions: "{ us-east: 1, ap-south: 2 }", waves: "[[us-east, ap-south]]" };
    const first = await titan(
      ["deploy", "-f", writeRegionalApp(h.cwd, { version: "1", ...both }), "--yes"],
      h,
    );
    expect(first.code, first.stderr).toBe(0);
    const app = writeRegionalApp(h.cwd, { version: "1", regions: "{ us-east: 1 }", waves: "[[us-east]]" });
    const note =
      "note: web runs 2 instances in ap-south, which its manifest no longer names: a deploy leaves them running there; `titan stop web --region ap-south` stops them";
    const plan = await titan(["plan", "-f", app], h);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain(note);
    const deploy = await titan(["deploy", "-f", app, "--yes"], h);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain(note);
    expect(await liveTasks(clusters["ap-south"].url)).toHaveLength(2);
    const stop = await titan(["stop", "web", "--region", "ap-south", "--yes"], h);
    expect(stop.code, stop.stderr).toBe(0);
    const after = await titan(["plan", "-f", app], h);
    expect(after.stderr).not.toContain("no longer names");
  }, 90_000);
});
