import type { ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkClient } from "../../src/state/zk-client.js";
import { sequentialNodes } from "../../src/state/zk-nodes.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { home, titan } from "../deploy/harness.js";
import { titanProcess } from "../support/cli-process.js";
import { startTestCluster } from "../support/local-cluster.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";
import { masterTasks, QUICK, until, writeCrashableApp } from "./harness.js";

const TERMINAL = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/;

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

/** A titan user with their own HOME and config: the cluster's masters and a shared zk:// state store. */
function teamUser(master: string, state: string): { cwd: string; vars: Record<string, string> } {
  const h = home();
  const dir = join(h.vars.XDG_CONFIG_HOME ?? h.cwd, "titan");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "config.yaml"),
    `current_context: team\nclusters:\n  shared:\n    masters: [${master}]\n    state: ${state}\ncontexts:\n  team: { cluster: shared }\n`,
    { mode: 0o600 },
  );
  return h;
}

interface SupervisorProcess {
  child: ChildProcess;
  records(): Array<Record<string, unknown>>;
  waitFor(predicate: (record: Record<string, unknown>) => boolean, what: string): Promise<void>;
}

/** `titan supervise web` as a process of its own (so it can be killed outright), logging JSON lines. */
function superviseProcess(user: { cwd: string; vars: Record<string, string> }): SupervisorProcess {
  const supervise = titanProcess(["supervise", "web", "--json", "--listen", "off"], user, {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...QUICK,
  });
  const { child } = supervise;
  const log = () => `${supervise.stdout()}\n${supervise.stderr()}`;
  const records = (): Array<Record<string, unknown>> =>
    supervise
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    child,
    records,
    waitFor: (predicate, what) =>
      until(
        async () => {
          if (child.exitCode !== null) throw new Error(`titan supervise exited before ${what}:\n${log()}`);
          return records().some(predicate);
        },
        `${what} (log so far:\n${log()})`,
        30_000,
      ),
  };
}

async function live(url: string) {
  return (await masterTasks(url)).filter((t) => t.id.startsWith("web.") && !TERMINAL.test(t.state));
}

const instanceOf = (taskId: string): number => Number(taskId.split(".")[2]);

/** The contenders queued for web's lead, as their pids. */
async function contenders(state: string): Promise<number[]> {
  const url = parseZkUrl(state);
  const client = await ZkClient.connect({ hosts: url.hosts });
  try {
    const dir = `${url.path}/leaders/web`;
    const pids: number[] = [];
    for (const name of await sequentialNodes(client, dir, "contender-")) {
      const node = await client.get(`${dir}/${name}`);
      if (node) pids.push((JSON.parse(node.data.toString()) as { pid: number }).pid);
    }
    return pids;
  } finally {
    await client.close();
  }
}

describe("two titan supervise processes on one zk:// store", () => {
  it("kill -9 the leader: the other takes over and keeps the app at its count, with no duplicates", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const state = `zk://${zk.hosts}/titan-supervise`;
    const ana = teamUser(local.url, state);
    const bo = teamUser(local.url, state);
    const file = writeCrashableApp(ana.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, "--yes"], ana)).code).toBe(0);

    const first = superviseProcess(ana);
    await first.waitFor(
      (r) => r.app === "web" && r.mode === "supervising",
      "the first supervisor supervising",
    );
    const second = superviseProcess(bo);
    // The second queues behind the first, which leads.
    await until(async () => (await contenders(state)).length === 2, "two contenders for web");
    expect(await contenders(state)).toEqual([first.child.pid, second.child.pid]);

    first.child.kill("SIGKILL");
    // An instance ends while nobody leads: the new leader must replace it, once.
    const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 1);
    expect(victim?.port).toBeDefined();
    await fetch(`http://127.0.0.1:${victim?.port}/exit`).catch(() => undefined);

    await second.waitFor((r) => r.app === "web" && r.msg === "leading", "the second supervisor leading");
    expect(await contenders(state)).toEqual([second.child.pid]);
    await until(async () => {
      const running = (await live(local.url)).filter((t) => t.state === "TASK_RUNNING");
      return (
        running
          .map((t) => instanceOf(t.id))
          .sort()
          .join() === "0,1"
      );
    }, "both instances running again");
    // Exactly one live task per instance, and still one framework for the app.
    expect((await live(local.url)).map((t) => instanceOf(t.id)).sort()).toEqual([0, 1]);
    const { frameworks } = (await (await fetch(`${local.url}/master/frameworks`)).json()) as {
      frameworks: Array<{ name: string }>;
    };
    expect(frameworks.filter((f) => f.name === "titan:web")).toHaveLength(1);
    // The new leader launched exactly the one replacement.
    const launches = second.records().filter((r) => r.msg === "launch");
    expect(launches).toEqual([expect.objectContaining({ app: "web", instance: 1 })]);
  }, 90_000);

  it("a leader cut off from ZooKeeper stops acting: the other leads and only it replaces instances", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    try {
      const path = "/titan-supervise-cut";
      const ana = teamUser(local.url, `zk://127.0.0.1:${proxy.port}${path}`);
      const bo = teamUser(local.url, `zk://${zk.hosts}${path}`);
      const file = writeCrashableApp(ana.cwd, { instances: 2 });
      expect((await titan(["deploy", "-f", file, "--yes"], ana)).code).toBe(0);
      const first = superviseProcess(ana);
      await first.waitFor((r) => r.app === "web" && r.mode === "supervising", "the first supervising");
      const second = superviseProcess(bo);
      await until(async () => (await contenders(`zk://${zk.hosts}${path}`)).length === 2, "two contenders");

      // The first still reaches Mesos, but no longer ZooKeeper.
      const cutAt = Date.now();
      proxy.cut();
      await second.waitFor((r) => r.app === "web" && r.msg === "leading", "the second leading");

      // The new leader keeps the app at its count: an instance that ends is replaced once, by the new leader
      // only, although the old one still holds its connection to Mesos.
      const victim = (await live(local.url)).find((t) => instanceOf(t.id) === 0);
      await fetch(`http://127.0.0.1:${victim?.port}/exit`).catch(() => undefined);
      await second.waitFor((r) => r.msg === "launch", "a relaunch by the new leader");
      await until(async () => {
        const running = (await live(local.url)).filter((t) => t.state === "TASK_RUNNING");
        return (
          running
            .map((t) => instanceOf(t.id))
            .sort()
            .join() === "0,1"
        );
      }, "both instances running again");
      await first.waitFor(
        (r) => r.app === "web" && String(r.msg).startsWith("lost the lead"),
        "the old leader giving up",
      );
      // It stopped at once, before ZooKeeper let the other take over: not once a store call it waited on gave up.
      const lostAt = Date.parse(
        String(first.records().find((r) => String(r.msg).startsWith("lost the lead"))?.time),
      );
      const ledAt = Date.parse(String(second.records().find((r) => r.msg === "leading")?.time));
      expect(lostAt).toBeLessThanOrEqual(ledAt);
      const launchedAfterCut = first
        .records()
        .filter((r) => r.msg === "launch" && Date.parse(String(r.time)) >= cutAt);
      expect(launchedAfterCut).toEqual([]);
      expect(second.records().filter((r) => r.msg === "launch")).toEqual([
        expect.objectContaining({ app: "web", instance: 0 }),
      ]);
      expect((await live(local.url)).map((t) => instanceOf(t.id)).sort()).toEqual([0, 1]);
    } finally {
      await proxy.close();
    }
  }, 90_000);
});
