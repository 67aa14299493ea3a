import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

describe("titan deploy across a master failover whose agents re-register late", () => {
  it("plans only once the master knows its agents again, and never launches their instances twice", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const app = { instances: 3, healthyDeadline: "60s", progressDeadline: "60s" };
    const file = writeWebApp(h.cwd, app);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    // The new master shows neither the agents nor their tasks until they re-register (Master::_recover).
    await local.faults.failoverMaster(8000);
    writeWebApp(h.cwd, { ...app, instances: 4 });
    const plan = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(plan.stderr).toMatch(
      /warning: \d agent\(s\) have not re-registered since the master failed over; .*this plan would launch them again/,
    );
    const scaled = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(scaled.code).toBe(0);
    expect(scaled.stderr).toMatch(/waiting for the master: \d agent\(s\) have not re-registered/);
    const list = events(scaled.stdout);
    expect(list.filter((e) => e.type === "launch").map((e) => e.task)).toEqual(["web.2.3.1"]);
    expect(list.filter((e) => e.type === "killing")).toEqual([]);
    const live = (await liveTasks(local.url)).map((t) => t.id).sort();
    expect(live).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1", "web.2.3.1"]);
  }, 120_000);
});
