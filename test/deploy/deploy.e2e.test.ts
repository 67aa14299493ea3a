import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import {
  dataHome,
  type Event,
  events,
  FAST,
  home,
  liveTasks,
  peakLive,
  releaseOf,
  titan,
  writeWebApp,
} from "./harness.js";

function done(list: readonly Event[]): Event | undefined {
  return list.find((e) => e.type === "done");
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("titan deploy against the local cluster", () => {
  it("deploys 3 healthy instances, and an identical re-deploy changes nothing", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd);
    const first = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const list = events(first.stdout);
    expect(done(list)?.outcome).toBe("deployed");
    expect(done(list)?.instances).toHaveLength(3);
    expect(list.filter((e) => e.type === "healthy")).toHaveLength(3);
    const ids = (await liveTasks(local.url)).map((t) => t.id).sort();
    expect(ids).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1"]);

    const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(again.code).toBe(0);
    expect(events(again.stdout).map((e) => e.type)).toEqual(["plan", "nothing_to_do"]);
    // Every line of the stream carries its time, the command's own lines as the deploy's events.
    for (const e of [...list, ...events(again.stdout)])
      expect(e, e.type).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect((await liveTasks(local.url)).map((t) => t.id).sort()).toEqual(ids);
    const releases = await titan(["releases", "web", "--json"], h);
    expect(JSON.parse(releases.stdout).releases).toHaveLength(1);
  }, 30_000);

  it("rolls a new release without ever exceeding instances + max_surge", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 4 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 4, version: "2" });
    const second = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(second.code).toBe(0);
    const list = events(second.stdout);
    expect(peakLive(list)).toBe(5);
    expect(list.filter((e) => e.type === "killing").map((e) => e.task)).toHaveLength(4);
    const live = await liveTasks(local.url);
    expect(live.map((t) => releaseOf(t.id))).toEqual([2, 2, 2, 2]);
    // Old tasks were stopped only after a replacement counted: the first kill follows the first healthy new task.
    const firstKill = list.findIndex((e) => e.type === "killing");
    const firstHealthy = list.findIndex((e) => e.type === "healthy" && releaseOf(String(e.task)) === 2);
    expect(firstHealthy).toBeGreaterThan(-1);
    expect(firstKill).toBeGreaterThan(firstHealthy);
  }, 30_000);

  it("rolls a release that fails its health check back to the previous one and exits 5", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, {
      instances: 2,
      version: "2",
      healthPath: "/broken",
      healthyDeadline: "1500ms",
      progressDeadline: "2s",
    });
    const bad = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/release 2 of web failed its health gates .* rolled back to release 1/);
    expect(bad.stderr).toContain(
      `hint: see why in \`titan logs web --release 2 --master ${local.url}\`, fix it and deploy again`,
    );
    const list = events(bad.stdout);
    expect(list.find((e) => e.type === "rollback")).toMatchObject({ from: 2, to: 1 });
    // The executor killed the failing task; what its check last said is read from the sandbox and reported.
    expect(list.find((e) => e.type === "killed" && e.cause === "health_check")).toBeDefined();
    expect(list.find((e) => e.type === "check_output")?.output).toBe(
      "HTTP health check failed: Unexpected HTTP response code: 500 Internal Server Error",
    );
    expect(done(list)?.outcome).toBe("rolled_back");
    const live = await liveTasks(local.url);
    expect(live).toHaveLength(2);
    expect(live.every((t) => releaseOf(t.id) === 1)).toBe(true);
    const releases = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases;
    expect(releases.map((r: { outcome: string }) => r.outcome)).toEqual(["deployed", "rolled_back"]);
  }, 40_000);

  it("with auto_rollback off, stops at the failure and exits 6", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, {
      instances: 2,
      version: "2",
      healthPath: "/broken",
      autoRollback: false,
      healthyDeadline: "1500ms",
      progressDeadline: "2s",
    });
    const bad = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(bad.code).toBe(6);
    expect(events(bad.stdout).some((e) => e.type === "rollback")).toBe(false);
    // The old instances are still there: none was stopped for a replacement that never counted.
    expect((await liveTasks(local.url)).filter((t) => releaseOf(t.id) === 1)).toHaveLength(2);
  }, 40_000);

  it("never writes a secret to output or the state store", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const canary = "canary-7f3e9b1c0d";
    const file = writeWebApp(h.cwd, {
      instances: 1,
      extraEnv: '  DB_PASSWORD: { secret: "env:TITAN_TEST_SECRET" }',
    });
    const vars = { ...h.vars, TITAN_TEST_SECRET: canary };
    const json = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], {
      ...h,
      vars,
    });
    expect(json.code).toBe(0);
    writeWebApp(h.cwd, {
      instances: 1,
      version: "2",
      extraEnv: '  DB_PASSWORD: { secret: "env:TITAN_TEST_SECRET" }',
    });
    const text = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, vars });
    expect(text.code).toBe(0);
    const releases = await titan(["releases", "web", "--json"], { ...h, vars });
    for (const output of [json, text, releases]) {
      expect(output.stdout).not.toContain(canary);
      expect(output.stderr).not.toContain(canary);
    }
    const stateFiles = filesUnder(join(dataHome(h), "titan"));
    expect(stateFiles.length).toBeGreaterThan(0);
    for (const f of stateFiles) expect(readFileSync(f, "utf8")).not.toContain(canary);
  }, 30_000);
});
