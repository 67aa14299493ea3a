import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { home, titan } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";
import { masterTasks, startSupervisor, stopAll, until, writeCrashableApp } from "./harness.js";

afterEach(stopAll);

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

const FAST = { master: { allocationIntervalMs: 100 } };

async function running(url: string): Promise<string[]> {
  return (await masterTasks(url))
    .filter((t) => t.id.startsWith("web.") && t.state === "TASK_RUNNING")
    .map((t) => t.id)
    .sort();
}

describe("several supervisors", () => {
  it("one leads an app in a file store; the other takes over when it stops", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const first = startSupervisor(["web", "--master", local.url], h);
    await first.waitFor((r) => r.mode === "supervising", "the first supervising");
    const second = startSupervisor(["--all", "--master", local.url], h);
    await second.waitFor((r) => r.msg === "supervising" && r.app === "web", "the second contending");
    await until(async () => {
      const status = JSON.parse(
        (await runCli(["status", "web", "--json", "--master", local.url], { env: h.vars, cwd: h.cwd }))
          .stdout,
      );
      return status.supervisor?.supervisors === 2;
    }, "two supervisors covering web");
    expect(second.records().some((r) => r.msg === "leading")).toBe(false);

    expect((await first.stop()).code).toBe(0);
    await second.waitFor((r) => r.mode === "supervising", "the second supervising");
    const [victim] = await running(local.url);
    const task = (await masterTasks(local.url)).find((t) => t.id === victim);
    await fetch(`http://127.0.0.1:${task?.port}/exit`);
    await second.waitFor((r) => r.msg === "launch", "a relaunch by the new leader");
    await until(async () => (await running(local.url)).length === 2, "2 running");
    expect(first.records().filter((r) => r.msg === "launch")).toEqual([]);
  }, 60_000);

  it("supervises with a zk:// state store, electing its leader in ZooKeeper", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const dir = join(h.vars.XDG_CONFIG_HOME ?? h.cwd, "titan");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "config.yaml"),
      `current_context: team\nclusters:\n  shared:\n    masters: ["${local.url}"]\n    state: zk://${zk.hosts}/titan-supervise\ncontexts:\n  team: { cluster: shared }\n`,
      { mode: 0o600 },
    );
    const file = writeCrashableApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--yes"], h)).code).toBe(0);
    const supervisor = startSupervisor(["web"], h);
    await supervisor.waitFor((r) => r.mode === "supervising", "supervising");
    // The report names the leader once the supervisor wrote it after taking the lead.
    await until(async () => {
      const ps = await runCli(["ps", "--json"], { env: h.vars, cwd: h.cwd });
      const supervisor = JSON.parse(ps.stdout).regions[0].apps[0].supervisor;
      return supervisor?.supervisors === 1 && supervisor.leader?.pid === process.pid;
    }, "ps naming the leader");
    const [victim] = await running(local.url);
    const task = (await masterTasks(local.url)).find((t) => t.id === victim);
    await fetch(`http://127.0.0.1:${task?.port}/exit`);
    await supervisor.waitFor((r) => r.msg === "launch", "a relaunch");
    await until(async () => (await running(local.url)).length === 2, "2 running");
    expect((await supervisor.stop()).code).toBe(0);
    const after = await runCli(["status", "web"], { env: h.vars, cwd: h.cwd });
    expect(after.stdout).toContain("not supervised");
  }, 90_000);
});
