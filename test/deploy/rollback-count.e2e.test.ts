import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";
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

describe("titan rollback after a release that did not end deployed", () => {
  it("undoes a release that failed with --no-auto-rollback: back to the release that ran before it", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 2 }), ...m], h)).code).toBe(0);
    // Release 2's first instance is healthy and stays; its second never is: the release fails halfway.
    const shared = tempDir("titan-first-");
    chmodSync(shared, 0o777); // the task runs as the cluster's task user
    const server =
      "require('http').createServer((q,s)=>{s.statusCode=process.env.BROKEN?500:200;s.end()}).listen(process.env.PORT_HTTP)";
    const shell = `mkdir ${join(shared, "first")} 2>/dev/null || export BROKEN=1; exec node -e "${server}"`;
    const broken = writeWebApp(h.cwd, { instances: 2, version: "2", shell });
    const failed = await titan(["deploy", "-f", broken, ...m, "--no-auto-rollback"], h);
    expect(failed.code, failed.stderr).toBe(6);
    // The failure's hint names `titan rollback web`: it must go back to release 1, not before it.
    expect(failed.stderr).toContain("`titan rollback web`");
    expect((await liveTaskIds(local.url)).some((id) => id.startsWith("web.2."))).toBe(true);

    const back = await titan(["rollback", "web", ...m], h);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(
      /^Rollback of web from release 2 \(failed, 2 instances, command, spec \w{12}\) to release 1 \(2 instances, command, spec \w{12}\), to be deployed as a new release\.$/m,
    );
    const listed = await titan(["releases", "web", "--json", "--master", local.url], h);
    const { releases } = JSON.parse(listed.stdout) as {
      releases: Array<{ number: number; outcome: string; manifest_digest: string }>;
    };
    expect(releases.map((r) => [r.number, r.outcome])).toEqual([
      [1, "deployed"],
      [2, "failed"],
      [3, "deployed"],
    ]);
    expect(releases[2]?.manifest_digest).toBe(releases[0]?.manifest_digest);
    const live = await liveTaskIds(local.url);
    expect(live).toHaveLength(2);
    expect(live.every((id) => id.startsWith("web.1.") || id.startsWith("web.3."))).toBe(true);
  }, 60_000);
});
