import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

describe("a change whose plan does not fit", () => {
  it("exits 4 with an error line and a hint after the plan, and the error document with --json", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const huge = writeWebApp(h.cwd, { instances: 1, cpus: 64 });
    const text = await runCli(["deploy", "-f", huge, "--master", local.url, "--yes"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(text.code).toBe(4);
    expect(text.stdout).toContain("Scheduler dry-run: WARNING — not everything fits.");
    expect(text.stderr).toContain("error: the plan does not fit: 1 instance of web cannot be placed\nhint: ");
    expect(text.stderr).toMatch(/hint: .*fix: lines.*`titan plan`/);

    const json = await runCli(["deploy", "-f", huge, "--master", local.url, "--yes", "--json"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(json.code).toBe(4);
    const lines = json.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(events(json.stdout)[0]?.type).toBe("plan");
    expect(JSON.parse(lines[1] ?? "")).toEqual({
      error: {
        code: 4,
        message: "the plan does not fit: 1 instance of web cannot be placed",
        hint: expect.stringContaining("`titan plan`"),
      },
      // Every line of the stream carries its time, the error document that ends it too.
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
    });
    expect(await liveTasks(local.url)).toEqual([]);
  }, 30_000);

  it("says the same for a scale, with or without --dry-run", async () => {
    const local = await startTestCluster({
      ...FAST,
      agents: 1,
      agentResources: { cpus: 1, mem: 1024, disk: 1024, ports: [await freePortRange(20)] },
    });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1, cpus: 0.4 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    for (const dry of [["--dry-run"], []]) {
      const scale = await titan(["scale", "web", "5", "--master", local.url, "--yes", ...dry], h);
      expect(scale.code).toBe(4);
      expect(scale.stderr).toContain("error: the plan does not fit: 3 instances of web cannot be placed");
    }
    expect(await liveTasks(local.url)).toHaveLength(1);
  }, 30_000);
});
