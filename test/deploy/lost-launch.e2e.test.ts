import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

describe("titan deploy when the master loses a launch it answered", () => {
  it("asks the master about the silent launch, hears it is gone and launches it again, within healthy_deadline", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    // Shorter than a scheduler call's deadline: only asking the master about the launch can save the release.
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "9s", progressDeadline: "30s" });
    // The first ACCEPT is answered 202 and then lost, as with a master that fails over before the agent hears of it.
    await local.faults.loseAccepts(1);
    const result = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(result.code, result.stderr).toBe(0);
    const all = events(result.stdout);
    const launched = all.filter((e) => e.type === "launch").map((e) => e.task as string);
    // The master knew nothing of the lost launch when asked (unknown to the agent): it ended, and was launched again.
    const lost = all.filter((e) => e.type === "lost");
    expect(lost.length).toBeGreaterThanOrEqual(1);
    for (const end of lost) {
      expect(end.state).toBe("TASK_GONE");
      const instance = Number(end.instance);
      expect(launched).toContain(`web.1.${instance}.2`);
    }
    expect(all.at(-1)).toMatchObject({ type: "done", outcome: "deployed" });
    expect((await liveTasks(local.url)).length).toBe(2);
  }, 60_000);
});
