import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WEEKDAYS } from "../../src/manifest/windows.js";
import { startTestCluster } from "../support/local-cluster.js";
import { events, home, liveTaskIds, titan, writeWebApp } from "./harness.js";

/** A window on one day that is neither yesterday, today nor tomorrow anywhere on Earth: closed for the whole test. */
function closedWindow(): string {
  const day = WEEKDAYS[(new Date().getUTCDay() + 3) % 7];
  return `{ windows: [{ days: [${day}], hours: "00:00-24:00" }] }`;
}

describe("disruption windows", () => {
  it("refuse replacing running instances outside them, and let an override through with its reason kept", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const disruption = closedWindow();
    const file = writeWebApp(h.cwd, { instances: 2, disruption });

    // A first deploy starts instances and takes none down: no window needed.
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);

    // The plan shows what a deploy now would meet, and still plans it.
    writeWebApp(h.cwd, { instances: 2, version: "2", disruption });
    const planned = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toMatch(
      /warning: web replaces 2 running instances outside its disruption window \((mon|tue|wed|thu|fri|sat|sun) 00:00-24:00 UTC\); the next opens \w{3} 00:00 UTC, in \d+h\d*m?: `titan deploy` refuses it until then without --override-disruption/,
    );

    // The deploy is refused after its plan, before anything changes, with exit 10.
    const refused = await titan(["deploy", "-f", file, ...m, "--json"], h);
    expect(refused.code).toBe(10);
    expect(events(refused.stdout).map((e) => e.type)).toEqual(["plan"]);
    expect(refused.stderr).toContain("web replaces 2 running instances outside its disruption window");
    expect(refused.stderr).toContain("nothing was changed");
    expect(refused.stderr).toContain('pass --override-disruption "<why>"');
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.1.1.1"]);
    const before = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout) as {
      releases: unknown[];
    };
    expect(before.releases).toHaveLength(1);

    // Scaling out replaces nothing; a restart replaces everything.
    expect((await titan(["scale", "web", "3", ...m], h)).code).toBe(0);
    const restart = await titan(["restart", "web", ...m], h);
    expect(restart.code).toBe(10);
    expect(restart.stderr).toContain("web replaces 3 running instances");

    // An override needs a reason, then goes ahead and the release keeps it.
    const bare = await titan(["deploy", "-f", file, ...m, "--override-disruption", "  "], h);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("--override-disruption needs a reason");
    const forced = await titan(["deploy", "-f", file, ...m, "--override-disruption", "hotfix for INC-7"], h);
    expect(forced.code).toBe(0);
    // The manifest says 2 again: two are replaced, the third (scaled out) stops as surplus.
    expect(forced.stderr).toContain(
      "warning: web replaces 2 running instances outside its disruption window (",
    );
    expect(forced.stderr).toContain("as --override-disruption asks: hotfix for INC-7");
    expect(await liveTaskIds(local.url)).toEqual(["web.3.0.1", "web.3.1.1"]);
    const releases = await titan(["releases", "web"], h);
    expect(releases.stdout).toMatch(/^3\s+deployed\s+2 .*outside its disruption windows: hotfix for INC-7$/m);
    const json = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout) as {
      releases: Array<{ number: number; disruption_override: string | null }>;
    };
    expect(json.releases.map((r) => [r.number, r.disruption_override])).toEqual([
      [1, null],
      [2, null],
      [3, "hotfix for INC-7"],
    ]);

    // Rolling back replaces instances too: the same gate, the same way through.
    const back = await titan(["rollback", "web", ...m], h);
    expect(back.code).toBe(10);
    expect(await liveTaskIds(local.url)).toEqual(["web.3.0.1", "web.3.1.1"]);
    expect(
      (await titan(["rollback", "web", ...m, "--override-disruption", "INC-7 fix was wrong"], h)).code,
    ).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.4.0.1", "web.4.1.1", "web.4.2.1"]);
  }, 60_000);
  it("refuse a scale that replaces a failed release's instances, and let scale's override through", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const disruption = closedWindow();
    const file = writeWebApp(h.cwd, { instances: 2, disruption });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    // A release that fails without rolling back leaves its instance running another spec than the running release's.
    const v2 = writeWebApp(h.cwd, {
      instances: 2,
      version: "2",
      disruption,
      healthPath: "/broken",
      maxSurge: 0,
      maxUnavailable: 1,
    });
    // A long health grace keeps the unhealthy instance running after its release failed.
    writeFileSync(v2, readFileSync(v2, "utf8").replace("grace: 1s", "grace: 60s"));
    const failed = await titan(
      ["deploy", "-f", file, ...m, "--no-auto-rollback", "--override-disruption", "trying v2"],
      h,
    );
    expect(failed.code).toBe(6);

    // Scaling puts the running release's spec back on that instance: a replacement, held by the windows.
    const refused = await titan(["scale", "web", "2", ...m], h);
    expect(refused.code).toBe(10);
    expect(refused.stderr).toContain("web replaces 1 running instance outside its disruption window");
    expect(refused.stderr).toContain('pass --override-disruption "<why>"');
    // The hint names a flag scale takes.
    const forced = await titan(["scale", "web", "2", ...m, "--override-disruption", "undo v2"], h);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain("as --override-disruption asks: undo v2");
  }, 60_000);
});

describe("--dry-run", () => {
  it("shows what rollback, restart, stop and deploy would do, runs their checks, and changes nothing", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url];
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...m, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 2, version: "2" });
    expect((await titan(["deploy", "-f", file, ...m, "--yes"], h)).code).toBe(0);
    const releasesNow = async (): Promise<number> =>
      (JSON.parse((await titan(["releases", "web", "--json"], h)).stdout) as { releases: unknown[] }).releases
        .length;

    // A preview of a rollback needs no --yes and no terminal: the line saying from what to what, then the plan.
    const rollback = await titan(["rollback", "web", ...m, "--dry-run"], h);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/^Rollback of web from release 2 .* to release 1 /m);
    expect(rollback.stdout).toContain("Plan:");
    expect(rollback.stderr).toContain(
      "Dry run: nothing changed. Without --dry-run, titan would now rollback web as planned above.",
    );

    const restart = await titan(["restart", "web", ...m, "--dry-run", "--json"], h);
    expect(restart.code).toBe(0);
    expect(events(restart.stdout).map((e) => e.type)).toEqual(["plan", "dry_run"]);
    expect(events(restart.stdout)[1]).toEqual({ type: "dry_run", apps: ["web"], time: expect.any(String) });

    const stop = await titan(["stop", "web", ...m, "--purge", "--dry-run"], h);
    expect(stop.code).toBe(0);
    expect(stop.stderr).toContain("Dry run: --purge would then remove the framework and records of web.");

    // The checks run as they would: a plan that does not fit still exits 4.
    writeWebApp(h.cwd, { instances: 2, version: "3", cpus: 64 });
    expect((await titan(["deploy", "-f", file, ...m, "--dry-run"], h)).code).toBe(4);
    const detached = await titan(["deploy", "-f", file, ...m, "--dry-run", "--detach", "--yes"], h);
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain("--dry-run changes nothing, so there is nothing to detach");

    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1", "web.2.1.1"]);
    expect(await releasesNow()).toBe(2);
  }, 60_000);
});

describe("disruption.max_per_hour", () => {
  it("paces replacements over the hour across commands, without failing the release's deadlines", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const disruption = "{ max_per_hour: 1 }";
    const file = writeWebApp(h.cwd, { instances: 2, disruption });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);

    writeWebApp(h.cwd, { instances: 2, version: "2", disruption });
    const planned = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(planned.stderr).toContain(
      "warning: web: 2 running instances replaced at max_per_hour 1: the rollout waits for the budget and takes at least 1h",
    );
    // One instance is replaced, the other waits: longer than progress_deadline (4s), which the wait does not eat.
    const first = await titan(["deploy", "-f", file, ...m, "--json", "--timeout", "9s"], h);
    expect(first.code, first.stderr).toBe(7);
    const waits = events(first.stdout).filter((e) => e.type === "waiting");
    expect(String(waits.at(-1)?.for)).toMatch(
      /^the disruption budget to replace instance\(s\) 1: max_per_hour 1 replaced in the last hour \(the next may start at \d\d:\d\d:\d\d UTC\)/,
    );
    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1", "web.1.1.1"].sort());

    // The next command counts the same hour: it resumes the release and waits too.
    const again = await titan(["deploy", "-f", file, ...m, "--timeout", "2s"], h);
    expect(again.code).toBe(7);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.1.1", "web.2.0.1"]);
    // Nothing carries the release out between commands: status says so rather than "deploying".
    const { runCli } = await import("../support/cli.js");
    const status = await runCli(["status", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(status.stdout).toMatch(
      /^web {2}interrupted {2}desired 2 {2}running 2 .* · no deploy carries release 2 out: its deploy was interrupted \(`titan deploy -f \S+web\.yaml --master http:\/\/127\.0\.0\.1:\d+` resumes it\)/,
    );

    // --override-disruption replaces the rest now.
    const forced = await titan(["deploy", "-f", file, ...m, "--override-disruption", "INC-9 needs both"], h);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain(
      "warning: web: 1 running instance replaced without waiting for max_per_hour, as --override-disruption asks: INC-9 needs both",
    );
    expect((await liveTaskIds(local.url)).map((t) => t.split(".")[1])).toEqual(["2", "2"]);
    // The release it resumed was recorded before the override: its outcome keeps the reason.
    const releases = await titan(["releases", "web"], h);
    expect(releases.stdout).toMatch(
      /^2\s+deployed\s+2 .*finished with --override-disruption: INC-9 needs both$/m,
    );
  }, 60_000);
});
