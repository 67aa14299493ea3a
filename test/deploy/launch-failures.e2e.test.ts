import { appendFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

describe("titan deploy when every launch fails the same way", () => {
  it("stops the release after three identical launch failures, with the agent's message", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "60s", progressDeadline: "120s" });
    // The local agents, as real ones, drop a task whose user does not exist on the machine.
    appendFileSync(file, "user: titan-no-such-user\n");
    const result = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(result.code).toBe(6);
    const launches = events(result.stdout).filter((e) => e.type === "launch");
    expect(launches.length).toBeGreaterThanOrEqual(3);
    expect(launches.length).toBeLessThan(6);
    expect(result.stderr).toContain("failed the same way before running");
    expect(result.stderr).toContain("Failed to chown directory to 'titan-no-such-user'");
    expect(await liveTasks(local.url)).toEqual([]);
  }, 60_000);
});
