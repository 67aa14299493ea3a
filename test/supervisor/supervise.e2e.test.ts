import { spawnSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { home, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { gpuAgentResources, startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";
import { masterTasks, startSupervisor, stopAll, until, writeCrashableApp } from "./harness.js";

afterEach(stopAll);

const FAST = { master: { allocationIntervalMs: 100 } };
const TERMINAL = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/;

async function live(url: string) {
  return (await masterTasks(url)).filter((t) => t.id.startsWith("web.") && !TERMINAL.test(t.state));
}

function instanceOf(taskId: string): number {
  return Number(taskId.split(".")[2]);
}

async function runningInstances(url: string): Promise<number[]> {
  return (await live(url))
    .filter((t) => t.state === "TASK_RUNNING")
    .map((t) => instanceOf(t.id))
    .sort();
}

describe("titan supervise on the local cluster", () => {
  it("relaunches crashed instances with backoff and no duplicates, and leaves them running when it stops", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    expect(victim?.port).toBeDefined();
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    const relaunch = await supervisor.waitFor((r) => r.msg === "launch", "a relaunch");
    expect(relaunch).toMatchObject({ app: "web", instance: 1, task: "web.1.1.2" });
    await until(async () => (await runningInstances(local.url)).join() === "0,1,2", "3 running instances");
    expect((await live(local.url)).map((t) => t.id).sort()).toEqual(["web.1.0.1", "web.1.1.2", "web.1.2.1"]);

    const metrics = await (await fetch(`${await supervisor.url()}/metrics`)).text();
    expect(metrics).toMatch(/^titan_supervisor_relaunches_total\{app="web"\} 1$/m);
    expect(metrics).toMatch(/^titan_supervisor_leader\{app="web"\} 1$/m);
    const health = await fetch(`${await supervisor.url()}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", apps: { web: "supervising" } });

    // ps and status say who covers the app.
    const opts = { env: h.vars, cwd: h.cwd };
    await until(async () => {
      const ps = await runCli(["ps", "--master", local.url], opts);
      return /^web {2}desired 3 .*supervised by \S+@\S+ \(pid \d+, reconciled \d+s ago\)$/m.test(ps.stdout);
    }, "ps naming the supervisor");
    const status = await runCli(["status", "web", "--json", "--master", local.url], opts);
    expect(JSON.parse(status.stdout)).toMatchObject({
      supervisor: { supervisors: 1, leader: { mode: "supervising", pid: process.pid } },
    });

    const stopped = await supervisor.stop();
    expect(stopped.code).toBe(0);
    expect(await runningInstances(local.url)).toEqual([0, 1, 2]);
    const frameworks = (await (await fetch(`${local.url}/master/frameworks`)).json()) as {
      frameworks: unknown[];
      completed_frameworks: unknown[];
    };
    expect(frameworks.completed_frameworks).toEqual([]);
    // Its report went with it.
    const after = await runCli(["status", "web", "--master", local.url], opts);
    expect(after.stdout).toContain(" · not supervised");
  }, 60_000);

  it("relaunches an app that runs on GPU agents for want of other room, asking for their offers", async () => {
    // A master offers agents with GPUs only to frameworks with GPU_RESOURCES (hierarchical.cpp
    // isCapableOfReceivingAgent): the deploy put the app there, and the supervisor's relaunch needs them too.
    const local = await startTestCluster({
      ...FAST,
      agentResources: await gpuAgentResources(),
    });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    const relaunch = await supervisor.waitFor((r) => r.msg === "launch", "a relaunch");
    expect(relaunch).toMatchObject({ app: "web", instance: 1, task: "web.1.1.2" });
    await until(async () => (await runningInstances(local.url)).join() === "0,1", "2 running instances");
    expect((await supervisor.stop()).code).toBe(0);

    // Every instance gone while nothing supervised: only the ended tasks say the app lived on GPU agents.
    await until(async () => {
      const left = await live(local.url);
      for (const task of left) await fetch(`http://127.0.0.1:${task.port}/exit`).catch(() => undefined);
      return left.length === 0;
    }, "no live instance");
    const again = startSupervisor(["web", "--master", local.url], h);
    await until(async () => (await runningInstances(local.url)).join() === "0,1", "both relaunched");
    expect((await again.stop()).code).toBe(0);
  }, 60_000);

  it("supervises a stopped app without reading its secrets: it launches nothing", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = join(h.cwd, "web.yaml");
    writeFileSync(
      file,
      `name: web
shell: "exec sleep 600"
instances: 1
resources: { cpus: 0.1, mem: 32Mi }
env:
  DB_PASSWORD: { secret: "env:WEB_DB_PASSWORD" }
update: { min_healthy_time: 200ms }
kill_grace: 500ms
`,
    );
    const withSecret = { ...h, vars: { ...h.vars, WEB_DB_PASSWORD: "s3cret-value" } };
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], withSecret)).code).toBe(0);
    // The secret is gone from this machine; the app can still be stopped, and then supervised.
    expect((await titan(["stop", "web", "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising the stopped app");
    expect(await live(local.url)).toEqual([]);
    const stopped = await supervisor.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toContain("WEB_DB_PASSWORD");
  }, 60_000);

  it("ps warns of an app whose framework nothing held for its failover timeout", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 1 });
    const deploy = await titan(
      ["deploy", "-f", file, "--master", local.url, "--yes", "--failover-timeout", "1s"],
      h,
    );
    expect(deploy.code).toBe(0);
    const done = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, done + 1100 - Date.now())));
    const ps = await runCli(["ps", "web", "--master", local.url], { env: h.vars, cwd: h.cwd });
    expect(ps.stderr).toContain("warning: no titan has held the framework of web for");
    expect(ps.stderr).toContain("run `titan supervise web`");
  }, 30_000);
});

describe("titan supervise through faults", () => {
  it("backs a crash-looping instance off, longer each time, and keeps it once it runs again", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    // Tasks may run as another user (nobody, under root): the flag file lives where they can see it.
    const flags = tempDir("titan-crash-");
    chmodSync(flags, 0o755);
    const crashFile = join(flags, "crash");
    const file = writeCrashableApp(h.cwd, { instances: 2, crashFile });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    writeFileSync(crashFile, "");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    // restart: { backoff: 200ms, factor: 2 }: the 2nd, 3rd and 4th relaunch each wait at least twice as long.
    await supervisor.waitFor((r) => r.msg === "launch" && r.task === "web.1.1.5", "the 4th relaunch");
    rmSync(crashFile);
    const at = (msg: string, task: string): number =>
      Date.parse(String(supervisor.records().find((r) => r.msg === msg && r.task === task)?.time));
    for (const [incarnation, backoff] of [
      [2, 200],
      [3, 400],
      [4, 800],
      [5, 1600],
    ] as const) {
      const failed = at("failed", `web.1.1.${incarnation - 1}`);
      expect(at("launch", `web.1.1.${incarnation}`) - failed).toBeGreaterThanOrEqual(backoff);
    }
    await until(async () => (await runningInstances(local.url)).join() === "0,1", "instance 1 running again");
    const launches = supervisor.records().filter((r) => r.msg === "launch");
    expect(new Set(launches.map((r) => r.task)).size).toBe(launches.length);
  }, 60_000);

  it("shows an instance in restart backoff in ps and status, with when it comes back, only while it supervises", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, {
      instances: 2,
      restart: "{ backoff: 40s, factor: 2, max_delay: 2m }",
    });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    await supervisor.waitFor((r) => r.msg === "failed" && r.relaunch_in !== undefined, "the failed line");
    const opts = { env: h.vars, cwd: h.cwd };
    const restarting = /^ {2}1 +1 +restarting in (\d+)s \(crashed 1×: exit 3\) +- +/m;
    let ps = await runCli(["ps", "--master", local.url], opts);
    await until(async () => {
      ps = await runCli(["ps", "--master", local.url], opts);
      return restarting.test(ps.stdout);
    }, "ps showing instance 1 restarting");
    // Counted down against the clock of the reader: at most the 40 s of its backoff.
    expect(Number(restarting.exec(ps.stdout)?.[1])).toBeLessThanOrEqual(40);
    expect(ps.stdout).not.toContain("ended instance");
    const json = JSON.parse((await runCli(["ps", "web", "--json", "--master", local.url], opts)).stdout);
    const [instance] = json.regions[0].apps[0].instances.filter(
      (i: { instance: number }) => i.instance === 1,
    );
    expect(instance).toMatchObject({
      state: "TASK_FAILED",
      state_text: expect.stringMatching(/^restarting in \d+s \(crashed 1×: exit 3\)$/),
      restart: { restarts: 1, last_state: "TASK_FAILED", reason: "exit 3" },
    });
    expect(instance.restart.in_seconds).toBeLessThanOrEqual(40);
    expect(Date.parse(instance.restart.next_launch_at)).toBeGreaterThan(Date.now());
    const status = await runCli(["status", "web", "--master", local.url], opts);
    expect(status.stdout).toMatch(/ · web\[1\] restarting in \d+s \(crashed 1×: exit 3\) · supervised by /);
    const statusJson = JSON.parse(
      (await runCli(["status", "web", "--json", "--master", local.url], opts)).stdout,
    );
    expect(statusJson.restarting).toMatchObject([{ instance: 1, restarts: 1, reason: "exit 3" }]);

    // A supervisor that stopped makes no promise: nothing says the instance comes back.
    expect((await supervisor.stop()).code).toBe(0);
    ps = await runCli(["ps", "--master", local.url], opts);
    expect(ps.stdout).not.toContain("restarting");
    expect(ps.stdout).toContain("1 ended instance not shown");
  }, 60_000);

  it("moves an instance off an agent scheduled for maintenance, its replacement healthy first, then accepts the inverse offer", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 0);
    const agent = local.cluster.agents().find((a) => a.id === victim?.slave_id);
    const startNs = BigInt(Date.now() + 3_600_000) * 1_000_000n;
    const machine = { hostname: agent?.hostname, ip: "127.0.0.1" };
    const schedule = {
      type: "UPDATE_MAINTENANCE_SCHEDULE",
      update_maintenance_schedule: {
        schedule: {
          windows: [{ machine_ids: [machine], unavailability: { start: { nanoseconds: `${startNs}` } } }],
        },
      },
    };
    const scheduled = await fetch(`${local.url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(schedule),
    });
    expect(scheduled.status).toBe(200);
    const evacuate = await supervisor.waitFor((r) => r.msg === "evacuate", "the evacuation");
    expect(evacuate.agent).toBe(agent?.hostname);
    const replacement = await supervisor.waitFor((r) => r.msg === "launch", "the replacement");
    expect(replacement).toMatchObject({ instance: 0 });
    expect(replacement.host).not.toBe(agent?.hostname);
    const killing = await supervisor.waitFor((r) => r.msg === "killing", "the original's kill");
    expect(killing.task).toBe(victim?.id);
    // The original kept serving until its replacement was healthy.
    const records = supervisor.records();
    const healthyAt = records.findIndex((r) => r.msg === "healthy" && r.task === replacement.task);
    expect(healthyAt).toBeGreaterThan(-1);
    expect(healthyAt).toBeLessThan(records.findIndex((r) => r.msg === "killing"));
    await supervisor.waitFor(
      (r) => r.msg === "inverse_offer" && r.answer === "ACCEPT",
      "the accepted inverse offer",
    );
    await until(async () => (await runningInstances(local.url)).join() === "0,1", "both instances running");
    expect((await live(local.url)).every((t) => t.slave_id !== agent?.id)).toBe(true);
  }, 60_000);

  it("replaces the instances of a lost agent, and re-subscribes through a master failover", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500, registryMaxAgentAgeMs: 500 },
      agents: 4,
      zones: ["a", "b", "c", "d"],
    });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url, "--unreachable-grace", "0s"], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    await until(async () => (await runningInstances(local.url)).length === 3, "3 running");

    await local.faults.failoverMaster();
    await supervisor.waitFor((r) => String(r.msg).startsWith("subscription lost"), "the lost subscription");
    await until(
      async () => supervisor.records().filter((r) => r.msg === "subscribed").length >= 2,
      "a second subscription",
    );
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 2);
    await local.faults.stopAgent(victim?.slave_id ?? "");
    await supervisor.waitFor((r) => r.msg === "launch" && r.instance === 2, "the lost instance's relaunch");
    await until(async () => (await runningInstances(local.url)).join() === "0,1,2", "3 running again");
    // The lost task stays unreachable until its agent leaves the master's registry: then exactly three are left.
    await until(async () => (await live(local.url)).length === 3, "the lost task gone, three left");
    expect(supervisor.records().filter((r) => r.msg === "launch")).toHaveLength(1);
  }, 60_000);

  it("starting while agents re-register after a master failover, relaunches none of their instances", async () => {
    const local = await startTestCluster({ ...FAST, agents: 4, zones: ["a", "b", "c", "d"] });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const deployed = (await live(local.url)).map((t) => t.id).sort();
    // The new master knows none of the tasks until their agents re-register (Master::_recover).
    await local.faults.failoverMaster(4000);
    expect(await live(local.url)).toEqual([]);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    await until(async () => (await live(local.url)).length >= 3, "the agents back with their tasks");
    const metrics = async () => (await fetch(`${await supervisor.url()}/metrics`)).text();
    await until(
      async () => (await metrics()).includes('titan_supervisor_tasks{app="web",state="TASK_RUNNING"} 3\n'),
      "the supervisor told of its 3 running tasks",
    );
    // Offers of the returned agents have come and gone: nothing was launched beside the tasks they hold.
    await new Promise((r) => setTimeout(r, 1500));
    expect(supervisor.records().filter((r) => r.msg === "launch")).toEqual([]);
    expect((await live(local.url)).map((t) => t.id).sort()).toEqual(deployed);
  }, 60_000);

  it("asks about each instance's last launch when the record names no task, while agents re-register", async () => {
    const local = await startTestCluster({ ...FAST, agents: 3, zones: ["a", "b", "c"] });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const deployed = (await live(local.url)).map((t) => t.id).sort();
    // A record as a finished deploy left it before the record kept every live task: no task ids.
    const store = new FileStateStore(
      pathToFileURL(join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "local")).href,
      { clock: systemClock, hostname: hostname() },
    );
    const progress = await store.progress("web");
    expect(progress).toBeDefined();
    if (progress !== undefined) await store.saveProgress("web", { ...progress, launched: [] });
    await store.close();
    await local.faults.failoverMaster(4000);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    await until(async () => (await live(local.url)).length >= 2, "the agents back with their tasks");
    const metrics = async () => (await fetch(`${await supervisor.url()}/metrics`)).text();
    await until(
      async () => (await metrics()).includes('titan_supervisor_tasks{app="web",state="TASK_RUNNING"} 2\n'),
      "the supervisor told of its 2 running tasks",
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(supervisor.records().filter((r) => r.msg === "launch")).toEqual([]);
    expect((await live(local.url)).map((t) => t.id).sort()).toEqual(deployed);
  }, 60_000);

  it("says which instances wait for an offer and why, when the cluster has no room for a relaunch", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500 },
      agents: 2,
      zones: ["a", "b"],
    });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url, "--unreachable-grace", "0s"], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    // The one agent left already runs instance 0: instance 1 may not go there.
    await local.faults.stopAgent(victim?.slave_id ?? "");
    const said = await supervisor.waitFor((r) => r.msg === "waiting for offers", "the wait said");
    expect(said).toMatchObject({ level: "warn", app: "web", instances: [1] });
    expect(String(said.why)).toMatch(/^the offers of \d\d:\d\d:\d\d UTC could not hold them: .*on 1 agent/);
    expect(supervisor.records().filter((r) => r.msg === "launch")).toHaveLength(0);
    const metrics = await (await fetch(`${await supervisor.url()}/metrics`)).text();
    expect(metrics).toContain('titan_supervisor_instances_awaiting_offers{app="web"} 1\n');
  }, 60_000);

  it("trips the disaster brake when most instances are lost at once, and releases it when they return", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500 },
      agents: 5,
      zones: ["a", "b", "c", "d", "e"],
    });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(
      [
        "web",
        "--master",
        local.url,
        "--unreachable-grace",
        "0s",
        "--brake-count",
        "2",
        "--brake-fraction",
        "50%",
      ],
      h,
    );
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    await until(async () => (await runningInstances(local.url)).length === 3, "3 running");
    const before = (await live(local.url)).map((t) => t.id).sort();
    const agents = [...new Set((await live(local.url)).map((t) => t.slave_id))].slice(0, 2);
    await Promise.all(agents.map((agent) => local.faults.partitionAgent(agent)));
    const brake = await supervisor.waitFor((r) => String(r.msg).startsWith("DISASTER BRAKE"), "the brake");
    expect(brake.level).toBe("error");
    expect(String(brake.msg)).toContain("2 of 3 instances lost");
    const url = await supervisor.url();
    const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();
    await until(
      async () => (await metrics()).includes('titan_supervisor_brake{app="web"} 1'),
      "the brake metric",
    );
    expect(await metrics()).toMatch(/^titan_supervisor_mode\{app="web",mode="holding"\} 1$/m);

    await Promise.all(agents.map((agent) => local.faults.healAgent(agent)));
    await supervisor.waitFor(
      (r) => String(r.msg).startsWith("disaster brake released"),
      "the brake released",
    );
    await until(
      async () => (await metrics()).includes('titan_supervisor_brake{app="web"} 0'),
      "brake metric 0",
    );
    // Nothing was relaunched while the brake held: the instances that came back are the ones that ran before.
    expect(supervisor.records().filter((r) => r.msg === "launch")).toEqual([]);
    await until(async () => (await runningInstances(local.url)).join() === "0,1,2", "3 running");
    expect((await live(local.url)).map((t) => t.id).sort()).toEqual(before);
  }, 60_000);

  it("replaces an unreachable instance after its grace and kills the surplus when the original returns", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100, agentUnreachableAfterMs: 500 },
      agents: 4,
      zones: ["a", "b", "c", "d"],
    });
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 3, constraints: "[{ unique: hostname }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url, "--unreachable-grace", "300ms"], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    await until(async () => (await runningInstances(local.url)).length === 3, "3 running");
    const original = (await live(local.url)).find((t) => instanceOf(t.id) === 0);
    await local.faults.partitionAgent(original?.slave_id ?? "");
    const unreachable = await supervisor.waitFor((r) => r.msg === "unreachable", "the unreachable task");
    const replaced = await supervisor.waitFor((r) => r.msg === "launch", "the replacement");
    expect(replaced).toMatchObject({ instance: 0, task: "web.1.0.2" });
    expect(Date.parse(String(replaced.time)) - Date.parse(String(unreachable.time))).toBeGreaterThanOrEqual(
      300,
    );
    await until(
      async () => (await runningInstances(local.url)).join() === "0,1,2",
      "the replacement running",
    );

    await local.faults.healAgent(original?.slave_id ?? "");
    const killing = await supervisor.waitFor((r) => r.msg === "killing", "the surplus killed");
    expect(killing).toMatchObject({ instance: 0, reason: "duplicate" });
    await until(async () => (await live(local.url)).length === 3, "one task per instance");
    expect(await runningInstances(local.url)).toEqual([0, 1, 2]);
  }, 60_000);

  it("does not step aside for a lock left by a deploy that died, and keeps relaunching", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    // A deploy killed with SIGKILL leaves its lock: held for its lease, by a process of this machine now gone.
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    const store = new FileStateStore(
      pathToFileURL(join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "local")).href,
      {
        clock: systemClock,
        hostname: hostname(),
      },
    );
    await store.acquireLock(
      "web",
      { user: "me", host: hostname(), pid: gone, purpose: "deploy web" },
      600_000,
    );
    await store.close();

    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    await supervisor.waitFor((r) => r.msg === "launch" && r.instance === 1, "a relaunch");
    expect(supervisor.records().some((r) => r.mode === "aside")).toBe(false);
  }, 60_000);

  it("keeps the count of an interrupted stop instead of relaunching what it killed", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = join(h.cwd, "web.yaml");
    // Instances that ignore SIGTERM: each kill takes its whole grace, so the stop can be interrupted midway.
    writeFileSync(
      file,
      `name: web\nshell: "trap '' TERM; while true; do sleep 1; done"\ninstances: 2\nresources: { cpus: 0.1, mem: 32Mi }\nkill_grace: 3s\nupdate: { min_healthy_time: 200ms }\n`,
    );
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const abort = new AbortController();
    const stop = titan(["stop", "web", "--master", local.url, "--yes"], { ...h, signal: abort.signal });
    await until(async () => (await live(local.url)).some((t) => t.state === "TASK_KILLING"), "the kills");
    abort.abort();
    expect((await stop).code).toBe(130);

    // Nothing carries release 2 (0 instances) out now; the supervisor keeps its count, not release 1's.
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor(
      (r) => r.msg === "supervising release 1: 0 instance(s) (the count of release 2, unfinished)",
      "supervising at the stop's count",
    );
    await until(async () => (await live(local.url)).length === 0, "the stopped instances to end", 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await live(local.url)).toEqual([]);
    expect(supervisor.records().filter((r) => r.msg === "launch")).toEqual([]);
  }, 60_000);

  it("steps aside while a deploy holds the app's lock and supervises the new release after", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web", "--master", local.url], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    const scaled = await titan(["scale", "web", "3", "--master", local.url, "--yes", "--json"], h);
    expect(scaled.code).toBe(0);
    await supervisor.waitFor((r) => r.mode === "aside", "stepping aside");
    await supervisor.waitFor((r) => String(r.msg).startsWith("supervising release 2"), "release 2");
    expect(await runningInstances(local.url)).toEqual([0, 1, 2]);
    // The supervisor launched nothing: the deploy did, once.
    expect(supervisor.records().filter((r) => r.msg === "launch")).toEqual([]);
    const launched = scaled.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { type: string; task?: string })
      .filter((e) => e.type === "launch");
    expect(launched.map((e) => e.task)).toEqual(["web.2.2.1"]);

    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 2);
    await fetch(`http://127.0.0.1:${victim?.port}/exit`);
    await supervisor.waitFor((r) => r.msg === "launch" && r.task === "web.2.2.2", "a relaunch of release 2");
    await until(async () => (await runningInstances(local.url)).join() === "0,1,2", "3 running");
  }, 60_000);
});
