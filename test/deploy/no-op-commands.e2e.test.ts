import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTaskIds, titan, writeWebApp } from "./harness.js";

describe("a command that has nothing to change says so, and only that", () => {
  it("restart of a stopped app: nothing to restart, and how to start it", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    expect((await titan(["stop", "web", ...m], h)).code).toBe(0);

    const restarted = await titan(["restart", "web", ...m], h);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toBe("");
    expect(restarted.stderr).not.toContain("manifests");
    expect(restarted.stderr).toMatch(
      /^Nothing to do: web is stopped \(release 2 runs no instances\), so there is nothing to restart; start it with `titan scale web N`/,
    );
    const json = await titan(["restart", "web", ...m, "--json"], h);
    expect(json.code).toBe(0);
    expect(events(json.stdout)).toEqual([
      { type: "nothing_to_do", reason: "stopped", time: expect.any(String) },
    ]);
    expect(await liveTaskIds(local.url)).toEqual([]);
  }, 60_000);

  it("rollback to the release that runs: no rolling back announced, only that nothing changes", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    expect((await titan(["scale", "web", "3", ...m], h)).code).toBe(0);

    const same = await titan(["rollback", "web", "--to", "2", ...m], h);
    expect(same.code).toBe(0);
    expect(same.stdout).not.toContain("Rollback of");
    expect(same.stderr).toContain("Nothing to do: every instance already runs what this rollback asks for.");
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1", "web.2.2.1"]);

    // A rollback that changes something still says from what to what, above its plan.
    const back = await titan(["rollback", "web", ...m], h);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(
      /^Rollback of web from release 2 \(3 instances, .*\) to release 1 \(2 instances, /,
    );
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);
  }, 60_000);
});
