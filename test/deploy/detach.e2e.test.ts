import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HANDOFF_VAR, readHandoff } from "../../src/commands/deploy/detach.js";
import { until } from "../supervisor/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { FAST, home, liveTasks, writeWebApp } from "./harness.js";

/** Detached deploys this file started: stopped if a test leaves one running. */
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("titan deploy --detach", () => {
  it("returns once the release is underway; the deploy goes on alone and status --wait follows it to its end", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    const run = await runCli(["deploy", "-f", file, "--master", local.url, "--yes", "--detach"], {
      env: h.vars,
      cwd: h.cwd,
    });
    const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)?.[1]);
    if (Number.isInteger(pid)) started.push(pid);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("+ app web: +2 launch");
    expect(run.stderr).toMatch(/^web: release 1 is deploying in the background \(pid \d+\)$/m);
    expect(run.stderr).toContain("follow: titan status web --wait");
    // Progress goes to stderr, as an attached deploy's does; stdout carries the plan alone.
    expect(run.stdout).not.toContain("deploying release");
    const log = /log: +(\S+)/.exec(run.stderr)?.[1] ?? "";
    const output = /output: +(\S+)/.exec(run.stderr)?.[1] ?? "";
    expect(existsSync(log)).toBe(true);

    const waited = await runCli(["status", "web", "--master", local.url, "--wait"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(waited.code).toBe(0);
    expect(waited.stdout).toMatch(/^web {2}ok {2}desired 2 {2}running 2 {2}healthy 2/);
    expect(await liveTasks(local.url)).toHaveLength(2);
    await until(async () => !alive(pid), "the detached deploy's exit");
    expect(readFileSync(output, "utf8")).toContain("web: release 1 deployed");
    expect(readFileSync(log, "utf8")).toContain("web: deploying release 1");

    // Started detached, a deploy says it is ending before it shows its outcome (a scale-down may end at once).
    const handoff = join(h.cwd, "handoff.json");
    const smaller = writeWebApp(h.cwd, { instances: 1 });
    const scaled = await runCli(["deploy", "-f", smaller, "--master", local.url, "--yes"], {
      env: { ...h.vars, [HANDOFF_VAR]: handoff },
      cwd: h.cwd,
    });
    expect(scaled.code).toBe(0);
    expect(readHandoff(handoff, "web")).toEqual({ release: 2, ending: true });
  }, 60_000);

  it("shows a deploy that ends before it starts whole, with its exit code, and refuses what it cannot do", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const huge = writeWebApp(h.cwd, { instances: 1, cpus: 64 });
    const unfit = await runCli(["deploy", "-f", huge, "--master", local.url, "--yes", "--detach"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(unfit.code).toBe(4);
    expect(unfit.stdout).toContain("does not fit");
    expect(await liveTasks(local.url)).toEqual([]);

    const file = writeWebApp(h.cwd, { instances: 1 });
    const unasked = await runCli(["deploy", "-f", file, "--master", local.url, "--detach"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain("error: a detached deploy cannot ask for confirmation");
    const api = writeWebApp(h.cwd, { name: "api", instances: 1 });
    const many = await runCli(["deploy", "-f", file, "-f", api, "--master", local.url, "--yes", "--detach"], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(many.code).toBe(2);
    expect(many.stderr).toContain("error: --detach deploys one app, and the manifests name 2");
  }, 60_000);
});

describe("titan status APP… --wait", () => {
  it("follows several detached deploys to their ends and exits as the first listed that did not end deployed", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], { env: h.vars, cwd: h.cwd });
    const web = writeWebApp(h.cwd, { instances: 1 });
    const api = writeWebApp(h.cwd, {
      name: "api",
      instances: 1,
      healthPath: "/broken",
      progressDeadline: "3s",
    });
    for (const file of [web, api]) {
      const run = await cli(["deploy", "-f", file, "--yes", "--detach"]);
      const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)?.[1]);
      if (Number.isInteger(pid)) started.push(pid);
      expect(run.code, run.stderr).toBe(0);
    }

    // api's first release never gets healthy and has nothing to roll back to: it fails (exit 6).
    const waited = await cli(["status", "web", "api", "--wait"]);
    expect(waited.code, waited.stderr).toBe(6);
    expect(waited.stdout).toMatch(/^web {2}ok {2}desired 1 {2}running 1 {2}healthy 1/m);
    expect(waited.stdout).toMatch(/^api {2}unknown .* last deploy: release 1 failed /m);
    expect(waited.stderr).toContain("error: release 1 of api failed");

    const json = await cli(["status", "web", "api", "--json"]);
    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout) as { apps: Array<{ app: string; status: string }> };
    expect(document.apps.map((a) => [a.app, a.status])).toEqual([
      ["web", "ok"],
      ["api", "unknown"],
    ]);
    // One app keeps its own document; an unknown one among several prints nothing and exits 2.
    expect(JSON.parse((await cli(["status", "web", "--json"])).stdout)).toMatchObject({ app: "web" });
    const unknown = await cli(["status", "web", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
  }, 60_000);
});

describe("titan status APP --wait during a first detached deploy", () => {
  it("waits for it while it waits for a failed-over master's agents, before it recorded any release", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], { env: h.vars, cwd: h.cwd });
    const file = writeWebApp(h.cwd, { instances: 1 });
    // The new master knows no agent until they re-register: the deploy waits before it plans.
    await local.faults.failoverMaster(6000);
    const detaching = cli(["deploy", "-f", file, "--yes", "--detach"]);
    const logs = join(h.cwd, "state", "titan", "deploys");
    const waiting = (): boolean =>
      existsSync(logs) &&
      readdirSync(logs).some(
        (f) => f.endsWith(".log") && readFileSync(join(logs, f), "utf8").includes("waiting for the master"),
      );
    await until(async () => waiting(), "the detached deploy waiting for the master");
    const waited = await cli(["status", "web", "--wait"]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(
      /^web: deploy starting \(detached, pid \d+\), no release recorded yet: waiting for the master: \d agent\(s\) have not re-registered/m,
    );
    expect(waited.stdout).toMatch(/^web {2}ok {2}desired 1 {2}running 1 {2}healthy 1/);
    const run = await detaching;
    const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)?.[1]);
    if (Number.isInteger(pid)) started.push(pid);
    expect(run.code, run.stderr).toBe(0);
  }, 90_000);
});

/** One file with two apps (`apps:`), each one instance of a process that waits. */
function writeTwoApps(dir: string): string {
  const file = join(dir, "shop.yaml");
  writeFileSync(
    file,
    `defaults:
  shell: "exec sleep 600"
  resources: { cpus: 0.1, mem: 32Mi }
  update: { min_healthy_time: 200ms, healthy_deadline: 3s, progress_deadline: 4s }
  kill_grace: 500ms
apps:
  - name: web
    instances: 1
  - name: api
    instances: 1
`,
  );
  return file;
}

describe("titan plan and deploy --app", () => {
  it("detaches one app of a file that names several, and leaves the others alone", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const cli = (argv: string[]) => runCli([...argv, "--master", local.url], { env: h.vars, cwd: h.cwd });
    const file = writeTwoApps(h.cwd);

    const both = await cli(["deploy", "-f", file, "--yes", "--detach"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("error: --detach deploys one app, and the manifests name 2");
    expect(both.stderr).toContain("hint: pick one with --app (e.g. --app web)");

    const run = await cli(["deploy", "-f", file, "--app", "api", "--yes", "--detach"]);
    const pid = Number(/\(pid (\d+)\)/.exec(run.stderr)?.[1]);
    if (Number.isInteger(pid)) started.push(pid);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("+ app api: +1 launch");
    expect(run.stdout).not.toContain("app web");
    expect(run.stderr).toMatch(/^api: release 1 is deploying in the background/m);

    const waited = await cli(["status", "api", "--wait"]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/^api {2}ok {2}desired 1 {2}running 1 {2}healthy 1/);
    expect(await liveTasks(local.url, "api")).toHaveLength(1);
    expect(await liveTasks(local.url, "web")).toEqual([]);

    const typo = await cli(["deploy", "-f", file, "--app", "apii", "--yes"]);
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe("");
    expect(typo.stderr).toContain(`error: --app apii: the manifests (${file}) name no app apii`);
    expect(typo.stderr).toContain("hint: did you mean --app api?");
  }, 60_000);

  it("saves a plan of the apps picked, says the deploy that applies it, and refuses it for other apps", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const cli = (argv: string[]) => runCli(argv, { env: h.vars, cwd: h.cwd });
    const file = writeTwoApps(h.cwd);
    const out = join(h.cwd, "web plan.json");

    const planned = await cli(["plan", "-f", file, "--app", "web", "--master", local.url, "--out", out]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("+ app web: +1 launch");
    expect(planned.stdout).not.toContain("app api");
    expect(planned.stderr).toContain(
      `apply exactly this plan with: titan deploy -f ${file} --app web --master ${local.url} --plan '${out}'`,
    );

    const all = await cli(["deploy", "-f", file, "--master", local.url, "--plan", out, "--yes"]);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain(`error: ${out} plans web, and this deploy names web, api`);
    expect(await liveTasks(local.url, "api")).toEqual([]);

    const web = await cli([
      "deploy",
      "-f",
      file,
      "--app",
      "web",
      "--master",
      local.url,
      "--plan",
      out,
      "--yes",
    ]);
    expect(web.code, web.stderr).toBe(0);
    expect(await liveTasks(local.url, "web")).toHaveLength(1);
    expect(await liveTasks(local.url, "api")).toEqual([]);
  }, 60_000);
});
