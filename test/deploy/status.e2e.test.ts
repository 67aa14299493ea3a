import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { otherReleasesOf, statusJson, statusLine, verdictOf } from "../../src/observe/app-status.js";
import type { Release } from "../../src/state/types.js";
import { until } from "../supervisor/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";
import { home, lockFile, titan, writeWebApp } from "./harness.js";

const release = (over: Partial<Release>): Release => ({
  app: "web",
  number: 1,
  manifestDigest: "sha256:0123456789abcdef",
  spec: { name: "web", instances: 3 } as Release["spec"],
  createdAt: 0,
  user: "me",
  outcome: "deployed",
  ...over,
});

describe("titan status", () => {
  it.each([
    [{ desired: 3, running: 3, healthy: 3 }, "ok"],
    [{ desired: 3, running: 3, healthy: 2 }, "degraded"],
    [{ desired: 3, running: 2, healthy: 2 }, "degraded"],
    [{ desired: 0, running: 0, healthy: 0 }, "stopped"],
    [{ desired: 0, running: 0, stopping: 0, healthy: 0 }, "stopped"],
    [{ desired: 0, running: 0, stopping: 2, healthy: 0 }, "stopping"],
    [{ running: 1, healthy: 1 }, "unknown"],
    [{ desired: 3, running: 3, healthy: 3, lastDeploy: release({ outcome: "pending" }) }, "deploying"],
    [{ desired: 3, running: 3, healthy: 3, otherReleases: [{ release: 2, instances: 1 }] }, "degraded"],
    [{ desired: 3, running: 3, healthy: 3, otherReleases: [] }, "ok"],
  ])("%o is %s", (counts, verdict) => {
    expect(verdictOf({ app: "web", ...counts })).toBe(verdict);
  });

  it("words the last deploy with its outcome, age and reason", () => {
    const line = statusLine(
      {
        app: "web",
        verdict: "degraded",
        desired: 3,
        running: 3,
        healthy: 1,
        release: release({ number: 4, image: "r/web:1" }),
        lastDeploy: release({ number: 5, outcome: "rolled_back", finishedAt: 60_000, detail: "unhealthy" }),
      },
      180_000,
    );
    expect(line).toBe(
      "web  degraded  desired 3  running 3  healthy 1 · release 4 (r/web:1, spec 0123456789ab) · last deploy: release 5 rolled back 2m ago (unhealthy)",
    );
  });

  it("counts the tasks still being killed apart, as an interrupted stop leaves them", () => {
    const status = {
      app: "web",
      verdict: "interrupted" as const,
      desired: 0,
      running: 0,
      stopping: 3,
      healthy: 0,
      lastDeploy: release({ number: 6, outcome: "pending" }),
    };
    expect(statusLine(status, 180_000)).toMatch(
      /^web {2}interrupted {2}desired 0 {2}running 0 \(3 stopping\) {2}healthy 0 · /,
    );
    expect(statusJson(status, Date.now())).toMatchObject({ running: 0, stopping: 3, healthy: 0 });
  });

  it("calls an app stopping, with the count, until the tasks it no longer wants have ended", () => {
    const base = {
      app: "web",
      desired: 0,
      running: 0,
      healthy: 0,
      lastDeploy: release({
        number: 6,
        outcome: "deployed",
        spec: { name: "web", instances: 0 } as Release["spec"],
      }),
    };
    const stopping = { ...base, stopping: 2 };
    expect(verdictOf(stopping)).toBe("stopping");
    expect(statusLine({ ...stopping, verdict: verdictOf(stopping) }, 180_000)).toMatch(
      /^web {2}stopping {2}desired 0 {2}running 0 \(2 stopping\) {2}healthy 0 · /,
    );
    expect(statusJson({ ...stopping, verdict: verdictOf(stopping) }, Date.now())).toMatchObject({
      status: "stopping",
      ok: false,
      stopping: 2,
    });
    expect(verdictOf(base)).toBe("stopped");
  });

  it("shows control characters of a stored or remote reason, of what a deploy waits for, as escapes", () => {
    const line = statusLine(
      {
        app: "web",
        verdict: "deploying",
        desired: 1,
        running: 0,
        healthy: 0,
        lastDeploy: release({
          number: 5,
          outcome: "failed",
          finishedAt: 60_000,
          detail: "TASK_FAILED: \x1b]0;PWNED\x07\x1b[2J",
        }),
        waiting: { for: "offers\r\x9b2J", at: 60_000 },
      },
      180_000,
    );
    expect(
      [...line].filter(
        (ch) => ch.charCodeAt(0) < 0x20 || (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f),
      ),
    ).toEqual([]);
    expect(line).toContain("(TASK_FAILED: \\x1b]0;PWNED\\x07\\x1b[2J)");
    expect(line).toContain("waiting for offers\\r\\x9b2J (said 2m ago)");
  });

  it("counts the running instances off the deployed release's spec per release, and words them", () => {
    const deployed = release({ number: 4 });
    const task = (n: number | undefined, digest: string) => ({ release: n, digest }) as TitanTask;
    const releases = [release({ number: 3 }), deployed, release({ number: 5, outcome: "failed" })];
    const others = otherReleasesOf(
      [task(5, "sha256:5"), task(4, deployed.manifestDigest), task(3, "sha256:3"), task(5, "sha256:5")],
      deployed,
      releases,
    );
    expect(others).toEqual([
      { release: 3, outcome: "deployed", instances: 1 },
      { release: 5, outcome: "failed", instances: 2 },
    ]);
    const line = statusLine(
      {
        app: "web",
        verdict: "degraded",
        desired: 3,
        running: 4,
        healthy: 4,
        release: deployed,
        otherReleases: others,
      },
      0,
    );
    expect(line).toContain(
      " · 1 instance runs release 3 (deployed), 2 run release 5 (failed), not release 4",
    );
  });

  it("answers in one line against a live cluster, with --json, and refuses an unknown app", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const opts = { env: h.vars, cwd: h.cwd };

    const line = await runCli(["status", "web", "--master", local.url], opts);
    expect(line.code).toBe(0);
    expect(line.stdout).toMatch(
      /^web {2}ok {2}desired 2 {2}running 2 {2}healthy 2 · release 1 \(command, spec \w{12}\) · last deploy: release 1 deployed \d+s ago · not supervised\n$/,
    );
    const json = await runCli(["status", "web", "--json", "--master", local.url], opts);
    expect(JSON.parse(json.stdout)).toMatchObject({
      app: "web",
      status: "ok",
      ok: true,
      desired: 2,
      running: 2,
      healthy: 2,
      release: { number: 1, outcome: "deployed" },
      last_deploy: { number: 1 },
    });
    const unknown = await runCli(["status", "nope", "--master", local.url], opts);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('titan knows no app named "nope"');
  }, 60_000);
  it("answers for every app the state store knows when none is named", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const opts = { env: h.vars, cwd: h.cwd };
    const none = await runCli(["status", "--master", local.url], opts);
    expect(none.code, none.stderr).toBe(0);
    // A fresh context's default store does not exist yet: status names it, so a mistyped one would show.
    expect(none.stderr).toMatch(
      /^No apps: the state store file:\/\/\S+ does not exist: nothing was ever deployed/,
    );
    expect(JSON.parse((await runCli(["status", "--json", "--master", local.url], opts)).stdout)).toEqual({
      apps: [],
    });
    for (const name of ["web", "api"]) {
      const file = writeWebApp(h.cwd, { name, instances: 1 });
      expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    }
    const lines = await runCli(["status", "--master", local.url], opts);
    expect(lines.code, lines.stderr).toBe(0);
    expect(
      lines.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("  ")[0]),
    ).toEqual(["api", "web"]);
    const json = JSON.parse((await runCli(["status", "--json", "--master", local.url], opts)).stdout);
    expect(json.apps.map((a: { app: string; status: string }) => [a.app, a.status])).toEqual([
      ["api", "ok"],
      ["web", "ok"],
    ]);
  }, 60_000);

  it("is degraded, naming the release they run, while instances run a release that failed", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    // Release 2's first instance is healthy, every later one fails its check: the release fails midway and, with
    // --no-auto-rollback, leaves one instance of it running healthy beside two of release 1.
    const server =
      "require('http').createServer((q,s)=>{s.statusCode=process.env.BROKEN?500:200;s.end()}).listen(process.env.PORT_HTTP)";
    const shared = tempDir("titan-first-");
    chmodSync(shared, 0o777); // the task runs as the cluster's task user
    const shell = `mkdir ${join(shared, "first")} 2>/dev/null || export BROKEN=1; exec node -e "${server}"`;
    writeWebApp(h.cwd, { instances: 3, shell, version: "2" });
    const failed = await titan(
      ["deploy", "-f", file, "--master", local.url, "--yes", "--no-auto-rollback"],
      h,
    );
    expect(failed.code, failed.stderr).toBe(6);
    const opts = { env: h.vars, cwd: h.cwd };
    let status: Record<string, unknown> = {};
    await until(async () => {
      const json = await runCli(["status", "web", "--json", "--master", local.url], opts);
      status = JSON.parse(json.stdout);
      return status.healthy === 3 && status.running === 3;
    }, "three healthy instances");
    expect(status).toMatchObject({
      status: "degraded",
      ok: false,
      release: { number: 1 },
      last_deploy: { number: 2, outcome: "failed" },
      other_releases: [{ release: 2, outcome: "failed", instances: 1 }],
    });
    const line = await runCli(["status", "web", "--master", local.url], opts);
    expect(line.stdout).toMatch(
      /^web {2}degraded {2}desired 3 {2}running 3 {2}healthy 3 · release 1 .* · 1 instance runs release 2 \(failed\), not release 1 · /,
    );
  }, 60_000);
});

describe("titan status --wait", () => {
  it("waits for a running deploy to end and exits as it did, saying meanwhile what it waits for", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "30s", progressDeadline: "30s" });
    await local.faults.withholdOffers(true);
    const deploy = titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    await until(async () => existsSync(lockFile(h)), "the deploy's lock");
    // Not done yet, and the deploy goes on: --timeout stops the waiting only.
    const early = await runCli(["status", "web", "--master", local.url, "--wait", "--timeout", "300ms"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(early.code).toBe(7);
    expect(early.stderr).toMatch(/^web: release 1 deploying \(\S+@\S+, pid \d+\)$/m);
    expect(early.stderr).toContain("is still deploying after --timeout 300ms");

    const waited = runCli(["status", "web", "--master", local.url, "--wait"], { env: h.vars, cwd: h.cwd });
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await local.faults.withholdOffers(false);
    expect((await deploy).code).toBe(0);
    const done = await waited;
    expect(done.code).toBe(0);
    expect(done.stderr).toMatch(
      /web: release 1 deploying \(.*\): waiting for offers to place instance\(s\) 0 .*, 1 /,
    );
    expect(done.stdout).toMatch(
      /^web {2}ok {2}desired 2 {2}running 2 {2}healthy 2 .*last deploy: release 1 deployed/,
    );

    // Nothing pending: it answers at once, with the last deploy's outcome.
    const again = await runCli(["status", "web", "--master", local.url, "--wait"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe("");
  }, 60_000);

  it("exits 5 for a deploy that was rolled back, and 130 for a pending release no deploy carries out", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    expect(
      (await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 1 }), "--master", local.url, "--yes"], h))
        .code,
    ).toBe(0);
    const broken = writeWebApp(h.cwd, { instances: 1, version: "2", healthPath: "/broken" });
    expect((await titan(["deploy", "-f", broken, "--master", local.url, "--yes"], h)).code).toBe(5);
    const rolledBack = await runCli(["status", "web", "--master", local.url, "--wait"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(rolledBack.code).toBe(5);
    expect(rolledBack.stderr).toContain("error: release 2 of web was rolled back");

    await local.faults.withholdOffers(true);
    const stop = new AbortController();
    const third = writeWebApp(h.cwd, { instances: 1, version: "3" });
    const interrupted = titan(["deploy", "-f", third, "--master", local.url, "--yes"], {
      ...h,
      signal: stop.signal,
    });
    await until(async () => existsSync(lockFile(h)), "the deploy's lock");
    stop.abort();
    expect((await interrupted).code).toBe(130);
    const abandoned = await runCli(["status", "web", "--master", local.url, "--wait"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(abandoned.code).toBe(130);
    expect(abandoned.stderr).toContain(
      "error: release 3 of web is pending, but no deploy carries it out: its deploy was interrupted",
    );
    // The command that resumes it, as the release recorded it: the same deploy, wherever status runs.
    expect(abandoned.stderr).toContain(
      `hint: re-run \`titan deploy -f ${third} --master ${local.url}\` to resume it`,
    );
  }, 60_000);
});
