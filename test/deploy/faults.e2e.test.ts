import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import {
  dataHome,
  events,
  FAST,
  home,
  liveTasks,
  peakLive,
  releaseOf,
  titan,
  writeWebApp,
} from "./harness.js";

/** An HTTP server that starts listening after `delayMs`, answering 500 on `failing` and 200 elsewhere. */
const lateServer = (delayMs: number, failing: string) =>
  `"exec node -e \\"setTimeout(()=>require('http').createServer((q,s)=>{s.statusCode=q.url==='${failing}'?500:200;s.end(process.env.VERSION??'')}).listen(process.env.PORT_HTTP),${delayMs})\\""`;

/** One entry of a titan.yaml's `apps:` list: one instance of `shell`, checked on `healthPath`. */
const listedApp = (name: string, shell: string, healthPath: string, version = "1") => `  - name: ${name}
    shell: ${shell}
    ports: [http]
    instances: 1
    resources: { cpus: 0.1, mem: 32Mi }
    env: { VERSION: "${version}" }
    health: { http: { port: http, path: ${healthPath} }, interval: 200ms, timeout: 150ms, grace: 30s, failures: 2 }
    update: { min_healthy_time: 200ms, healthy_deadline: 60s, progress_deadline: 90s }
`;

describe("titan deploy when things break", () => {
  it("refuses a second concurrent deploy of the app, naming the holder", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    const first = titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    const lockFile = join(dataHome(h), "titan", "state", "local", "apps", "web", "lock.json");
    for (let i = 0; i < 200 && !existsSync(lockFile); i++) await new Promise((r) => setTimeout(r, 10));
    const second = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/app web is locked by .*@.* \(pid \d+, deploy web/);
    expect(second.stderr).toContain("--force-unlock");
    expect((await first).code).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  }, 30_000);

  it("Ctrl-C exits 130 without a lock, and the re-run converges without duplicates or restarts", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 3, version: "2" });
    const abort = new AbortController();
    const run = titan(["deploy", "-f", file, "--master", local.url, "--yes"], { ...h, signal: abort.signal });
    for (let i = 0; i < 500; i++) {
      if ((await liveTasks(local.url)).some((t) => releaseOf(t.id) === 2 && t.state === "TASK_RUNNING"))
        break;
      await new Promise((r) => setTimeout(r, 10));
    }
    abort.abort();
    const interrupted = await run;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain("titan deploy -f");
    const lockFile = join(dataHome(h), "titan", "state", "local", "apps", "web", "lock.json");
    expect(existsSync(lockFile)).toBe(false);
    const atAbort = (await liveTasks(local.url)).filter((t) => releaseOf(t.id) === 2).map((t) => t.id);
    expect(atAbort.length).toBeGreaterThan(0);

    // The plan shows what the deploy will do with the unfinished release: resume it.
    const plan = await runCli(["plan", "-f", file, "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(plan.stderr).toContain(
      `note: release 2 of web did not finish (\`titan deploy -f ${file} --master ${local.url}\`): titan deploy resumes it, waits for its gates and records the outcome`,
    );

    const resumed = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(resumed.code).toBe(0);
    expect(events(resumed.stdout).find((e) => e.type === "release")).toMatchObject({
      release: 2,
      reused: true,
    });
    const live = (await liveTasks(local.url)).map((t) => t.id);
    expect(live).toHaveLength(3);
    expect(live.every((id) => releaseOf(id) === 2)).toBe(true);
    expect(new Set(live.map((id) => id.split(".")[2])).size).toBe(3);
    for (const id of atAbort) expect(live).toContain(id);
  }, 40_000);

  it("converges through a master failover and duplicated or delayed updates mid-deploy", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    await local.faults.duplicateUpdates(6);
    await local.faults.delayUpdates(300, 3);
    const run = titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    for (let i = 0; i < 500 && (await liveTasks(local.url)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await local.faults.failoverMaster();
    const result = await run;
    expect(result.code).toBe(0);
    const list = events(result.stdout);
    expect(list.some((e) => e.type === "reconnecting")).toBe(true);
    const launched = list.filter((e) => e.type === "launch").map((e) => e.task);
    expect(new Set(launched).size).toBe(launched.length);
    expect(peakLive(list)).toBeLessThanOrEqual(4);
    const live = (await liveTasks(local.url)).map((t) => t.id).sort();
    expect(live).toHaveLength(3);
    expect(new Set(live.map((id) => id.split(".")[2])).size).toBe(3);
  }, 40_000);

  it("replaces instances on an agent that is lost mid-deploy", async () => {
    // As on a real master, the lost agent's tasks stay unreachable (for weeks) and cannot be killed.
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500 },
    });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    const run = titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    let victim: string | undefined;
    for (let i = 0; i < 500 && victim === undefined; i++) {
      const res = await fetch(`${local.url}/master/tasks`);
      const body = (await res.json()) as { tasks: Array<{ slave_id: string; state: string }> };
      victim = body.tasks.find((t) => t.state === "TASK_RUNNING")?.slave_id;
      if (victim === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(victim).toBeDefined();
    await local.faults.stopAgent(victim ?? "");
    const result = await run;
    expect(result.code).toBe(0);
    const list = events(result.stdout);
    expect(list.some((e) => e.type === "lost" || e.type === "unreachable")).toBe(true);
    const live = await liveTasks(local.url);
    expect(live.filter((t) => t.state === "TASK_RUNNING")).toHaveLength(3);
    const lost = live.filter((t) => t.state === "TASK_UNREACHABLE").map((t) => t.id);
    expect(lost.length).toBeGreaterThan(0);
    expect(result.stderr).toContain(`web: ${lost.length} task(s) unreachable with their agents (`);
    for (const id of lost) expect(result.stderr).toContain(id);
    const done = list.find((e) => e.type === "done") as { instances: Array<{ task: string }> } | undefined;
    expect(done?.instances.map((i) => i.task).filter((t) => lost.includes(t))).toEqual([]);
  }, 40_000);
  it("registers a new framework when Mesos removed the old one after its failover timeout", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    const short = ["--master", local.url, "--yes", "--failover-timeout", "300ms"];
    const first = await titan(["deploy", "-f", file, ...short], h);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain("failover timeout 300ms is low");
    // titan has exited: once the failover timeout passes, Mesos removes the framework and kills its tasks.
    for (let i = 0; i < 500 && (await liveTasks(local.url)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await liveTasks(local.url)).toEqual([]);
    const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("registering a new one");
    expect((await liveTasks(local.url)).map((t) => t.state)).toEqual(["TASK_RUNNING"]);
  }, 30_000);
  it("relaunches a crashing task under new incarnations with backoff, then rolls back", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 1, shell: "exit 3", progressDeadline: "2s", healthyDeadline: "1500ms" });
    const crash = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(crash.code).toBe(5);
    const list = events(crash.stdout);
    const launches = list.filter((e) => e.type === "launch").map((e) => String(e.task));
    expect(launches.slice(0, 2)).toEqual(["web.2.0.1", "web.2.0.2"]);
    expect(list.filter((e) => e.type === "failed").length).toBeGreaterThanOrEqual(2);
    // Every relaunch is a new incarnation of the same instance of the same release: never the same id twice.
    expect(new Set(launches).size).toBe(launches.length);
    expect(launches.every((id, i) => id === `web.2.0.${i + 1}`)).toBe(true);
    expect((await liveTasks(local.url)).map((t) => t.id)).toEqual(["web.1.0.1"]);
  }, 30_000);

  it("gives up at --timeout with exit 7, releasing the lock and keeping what runs", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 1, version: "2", healthPath: "/broken" });
    const slow = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--timeout", "700ms"], h);
    expect(slow.code).toBe(7);
    expect(slow.stderr).toContain("--timeout");
    const lockFile = join(dataHome(h), "titan", "state", "local", "apps", "web", "lock.json");
    expect(existsSync(lockFile)).toBe(false);
    expect((await liveTasks(local.url)).map((t) => t.id)).toContain("web.1.0.1");
    const releases = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases;
    expect(releases.map((r: { outcome: string }) => r.outcome)).toEqual(["deployed", "pending"]);
  }, 30_000);

  it("gives up at --timeout counted once for every app of the deploy, not afresh for each", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    // "ready" answers its health check after about 4 s; "stuck" never does, and its deadlines are far off.
    const file = join(h.cwd, "apps.yaml");
    writeFileSync(
      file,
      `apps:\n${listedApp("ready", lateServer(4000, "/none"), "/")}${listedApp("stuck", lateServer(0, "/broken"), "/broken")}`,
    );
    const run = await titan(
      ["deploy", "-f", file, "--master", local.url, "--yes", "--json", "--timeout", "7s"],
      h,
    );
    expect(run.code, run.stderr).toBe(7);
    const list = events(run.stdout);
    expect(list.find((e) => e.type === "done" && e.app === "ready")).toMatchObject({ outcome: "deployed" });
    const times = list.filter((e) => typeof e.time === "string").map((e) => Date.parse(String(e.time)));
    // From the first event after the confirmation to the last: 7 s, where "stuck" counting 7 s of its own from
    // when "ready" finished would take 11 s and more.
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(9_500);
  }, 40_000);

  it("does not carry out an app's plan over a release a teammate made after it was planned", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = join(h.cwd, "apps.yaml");
    const apps = (version: string) =>
      `apps:\n${listedApp("slow", lateServer(3000, "/none"), "/", version)}${listedApp("api", lateServer(0, "/none"), "/", version)}`;
    writeFileSync(file, apps("1"));
    const target = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", file, ...target], h)).code).toBe(0);
    // Release 2 of both: "slow" first, for about 3 s, while a teammate deploys another spec of "api" alone.
    writeFileSync(file, apps("2"));
    const deploy = titan(["deploy", "-f", file, ...target, "--json"], h);
    for (let i = 0; i < 1000 && !(await liveTasks(local.url, "slow")).some((t) => releaseOf(t.id) === 2); i++)
      await new Promise((r) => setTimeout(r, 10));
    const teammate = join(h.cwd, "api.yaml");
    writeFileSync(teammate, `apps:\n${listedApp("api", lateServer(0, "/none"), "/", "3")}`);
    const theirs = await titan(["deploy", "-f", teammate, ...target], h);
    expect(theirs.code, theirs.stderr).toBe(0);
    const mine = await deploy;
    expect(mine.code, mine.stderr).toBe(1);
    expect(mine.stderr).toMatch(
      /error: api changed after this plan was made \(release 2, deployed, by [^)]+\)\n/,
    );
    expect(mine.stderr).toContain("hint: re-run the command to plan it again from what runs now");
    expect(events(mine.stdout).find((e) => e.type === "done" && e.app === "slow")).toMatchObject({
      outcome: "deployed",
    });
    // The teammate's release still runs, and no release of this deploy's "api" was recorded.
    expect((await liveTasks(local.url, "api")).map((t) => releaseOf(t.id))).toEqual([2]);
    const releases = JSON.parse((await titan(["releases", "api", "--json"], h)).stdout).releases;
    expect(releases.map((r: { number: number }) => r.number)).toEqual([1, 2]);
  }, 40_000);
});

describe("failed attempts", () => {
  it("that fail before launching, again and again, leave no pile of pending releases", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const deploy = (...more: string[]) =>
      titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json", ...more], h);
    const outcomes = async (): Promise<Array<[number, string]>> =>
      JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases.map(
        (r: { number: number; outcome: string }) => [r.number, r.outcome],
      );
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await deploy()).code).toBe(0);

    // A secret that cannot be read: refused after the lock, before a release is recorded.
    writeWebApp(h.cwd, {
      instances: 2,
      version: "2",
      extraEnv: '  TOKEN: { secret: "env:TITAN_TEST_UNSET" }',
    });
    for (let i = 0; i < 3; i++) expect((await deploy()).code).not.toBe(0);
    // A plan that does not fit (one instance per host, three hosts): refused before the lock.
    writeWebApp(h.cwd, { instances: 5, version: "2", constraints: "[{ unique: hostname }]" });
    for (let i = 0; i < 3; i++) expect((await deploy()).code).toBe(4);
    expect(await outcomes()).toEqual([[1, "deployed"]]);

    // Attempts that stop at once (--timeout) leave their release pending, and each next attempt resumes it.
    writeWebApp(h.cwd, { instances: 2, version: "2" });
    for (let i = 0; i < 3; i++) expect((await deploy("--timeout", "1ms")).code).toBe(7);
    expect(await outcomes()).toEqual([
      [1, "deployed"],
      [2, "pending"],
    ]);
    const done = await deploy();
    expect(done.code).toBe(0);
    expect(await outcomes()).toEqual([
      [1, "deployed"],
      [2, "deployed"],
    ]);
  }, 60_000);
});

describe("titan killed with SIGKILL mid-deploy", () => {
  it("leaves a lock the next run breaks, and the re-run converges without duplicates or restarts", async () => {
    const { spawn } = await import("node:child_process");
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 3, version: "2" });
    const child = spawn(
      process.execPath,
      [
        join(import.meta.dirname, "child.mjs"),
        JSON.stringify({
          files: [file],
          master: local.url,
          yes: true,
          json: true,
          forceUnlock: false,
          autoRollback: true,
          skipRegion: [],
          only: [],
        }),
      ],
      { cwd: h.cwd, env: { ...process.env, ...h.vars, NO_COLOR: "1" }, stdio: "ignore" },
    );
    try {
      for (let i = 0; i < 1000; i++) {
        if ((await liveTasks(local.url)).some((t) => releaseOf(t.id) === 2 && t.state === "TASK_RUNNING"))
          break;
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((r) => child.once("exit", r));
    const lockFile = join(dataHome(h), "titan", "state", "local", "apps", "web", "lock.json");
    expect(existsSync(lockFile)).toBe(true);
    const atKill = (await liveTasks(local.url)).filter((t) => releaseOf(t.id) === 2).map((t) => t.id);
    expect(atKill.length).toBeGreaterThan(0);

    const resumed = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(resumed.code).toBe(0);
    expect(events(resumed.stdout).find((e) => e.type === "release")).toMatchObject({
      release: 2,
      reused: true,
    });
    const live = (await liveTasks(local.url)).map((t) => t.id);
    expect(live).toHaveLength(3);
    expect(live.every((id) => releaseOf(id) === 2)).toBe(true);
    expect(new Set(live.map((id) => id.split(".")[2])).size).toBe(3);
    for (const id of atKill) expect(live).toContain(id);
    expect(existsSync(lockFile)).toBe(false);
  }, 40_000);
});
