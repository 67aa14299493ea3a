import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

describe("titan deploy across a master failover whose agents re-register late", () => {
  it("waits on tasks the new master cannot report yet, saying so, and never launches them twice", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    // Deadlines long enough to sit out the agents' re-registration: the wait counts against them.
    const app = { instances: 3, healthyDeadline: "60s", progressDeadline: "60s" };
    const file = writeWebApp(h.cwd, app);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    // Longer than the 30 s after which titan used to take silence for "gone".
    await local.faults.failoverMaster(35_000);
    writeWebApp(h.cwd, { ...app, instances: 4 });
    const scaled = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(scaled.code).toBe(0);
    const list = events(scaled.stdout);
    expect(list.filter((e) => e.type === "launch").map((e) => e.task)).toEqual(["web.2.3.1"]);
    expect(list.filter((e) => e.type === "killing")).toEqual([]);
    const waiting = list.filter((e) => e.type === "waiting").map((e) => String(e.for));
    expect(waiting.some((w) => w.includes("web.1.0.1") && w.includes("not relaunched"))).toBe(true);
    expect(scaled.stderr).toMatch(/has not reported 3 task\(s\)/);
    const live = (await liveTasks(local.url)).map((t) => t.id).sort();
    expect(live).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1", "web.2.3.1"]);
  }, 120_000);
});
