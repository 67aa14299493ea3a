import { describe, expect, it } from "vitest";
import { liveTasks, titan } from "../deploy/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

describe("a multi-region deploy with --timeout", () => {
  it("counts it over the whole rollout: a soak longer than what is left stops at the deadline", async () => {
    const { h, clusters } = await threeRegions();
    const app = writeRegionalApp(h.cwd, {
      version: "1",
      regions: "{ us-east: 1, eu-west: 1 }",
      waves: "[[us-east], [eu-west]]",
      soak: "10m",
    });
    const run = await titan(["deploy", "-f", app, "--yes", "--timeout", "3s"], h);
    expect(run.code, run.stderr).toBe(7);
    expect(run.stderr).toContain(
      "deploy did not finish before --timeout: us-east deployed, eu-west not started",
    );
    expect(run.stderr).toMatch(/hint: re-run `titan deploy -f \S+` to continue/);
    expect((await liveTasks(clusters["us-east"].url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
    expect(await liveTasks(clusters["eu-west"].url)).toEqual([]);
  }, 30_000);
});
