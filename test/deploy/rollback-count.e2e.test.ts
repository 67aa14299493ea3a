import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { FAST, home, liveTaskIds, titan, writeWebApp } from "./harness.js";

describe("an automatic rollback", () => {
  it("runs the release it goes back to at that release's count, not the failed one's", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 2 }), ...m], h)).code).toBe(0);

    // A release of four that never gets healthy: rolled back to release 1, which runs two.
    const more = writeWebApp(h.cwd, { instances: 4, version: "2", healthPath: "/broken" });
    const up = await titan(["deploy", "-f", more, ...m], h);
    expect(up.code, up.stderr).toBe(5);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);

    // And one of one: rolled back to two instances of release 1 (one may be a fresh incarnation), none lost.
    const fewer = writeWebApp(h.cwd, { instances: 1, version: "3", healthPath: "/broken" });
    const down = await titan(["deploy", "-f", fewer, ...m], h);
    expect(down.code, down.stderr).toBe(5);
    const ids = await liveTaskIds(local.url);
    expect(ids.map((id) => id.split(".").slice(0, 3).join("."))).toEqual(["web.1.0", "web.1.1"]);
  }, 60_000);

  it("leaves a stopped app stopped", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 2 }), ...m], h)).code).toBe(0);
    expect((await titan(["stop", "web", ...m], h)).code).toBe(0);
    const broken = writeWebApp(h.cwd, { instances: 2, version: "2", healthPath: "/broken" });
    const run = await titan(["deploy", "-f", broken, ...m], h);
    expect(run.code, run.stderr).toBe(5);
    expect(await liveTaskIds(local.url)).toEqual([]);
  }, 60_000);

  it("is not what a stop after it keeps: the stop records the spec that ran", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 2 }), ...m], h)).code).toBe(0);
    const broken = writeWebApp(h.cwd, { instances: 2, version: "2", healthPath: "/broken" });
    expect((await titan(["deploy", "-f", broken, ...m], h)).code).toBe(5);
    expect((await titan(["stop", "web", ...m], h)).code).toBe(0);
    const listed = await titan(["releases", "web", "--json", "--master", local.url], h);
    const { releases } = JSON.parse(listed.stdout) as {
      releases: Array<{ number: number; manifest_digest: string }>;
    };
    const digestOf = (n: number) => releases.find((r) => r.number === n)?.manifest_digest;
    expect(digestOf(3)).toBe(digestOf(1));
    expect(digestOf(3)).not.toBe(digestOf(2));
    // Scaling the stopped app up runs the spec that worked.
    expect((await titan(["scale", "web", "2", ...m], h)).code).toBe(0);
    expect(await liveTaskIds(local.url)).toHaveLength(2);
  }, 60_000);
});
