import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppSpec } from "../../src/manifest/types.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { home, titan, writeWebApp } from "../deploy/harness.js";
import { runCli } from "../support/cli.js";
import { titanProcess } from "../support/cli-process.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

/** A titan user: own config dir, with the team's cluster: masters and state both in ZooKeeper. */
function teamUser(masters: string, state: string): { cwd: string; vars: Record<string, string> } {
  const h = home();
  const dir = join(h.vars.XDG_CONFIG_HOME ?? h.cwd, "titan");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "config.yaml"),
    `current_context: team\nclusters:\n  shared:\n    masters: ["${masters}"]\n    state: ${state}\ncontexts:\n  team: { cluster: shared }\n`,
    { mode: 0o600 },
  );
  return h;
}

async function frameworks(url: string): Promise<string[]> {
  const body = (await (await fetch(`${url}/master/frameworks`)).json()) as {
    frameworks: Array<{ name: string; active: boolean }>;
  };
  return body.frameworks.map((f) => f.name);
}

describe("a team sharing ZooKeeper", () => {
  it("two titan users see one history, one lock and one framework per app", async () => {
    const local = await startTestCluster({
      master: { allocationIntervalMs: 100 },
      zk: `zk://${zk.hosts}/mesos-team`,
    });
    const masters = `zk://${zk.hosts}/mesos-team`;
    const state = `zk://${zk.hosts}/titan-team`;
    const ana = teamUser(masters, state);
    const bo = teamUser(masters, state);

    const first = await titan(["deploy", "-f", writeWebApp(ana.cwd, { instances: 1 }), "--yes"], ana);
    expect(first.stderr).toContain(`Found leading master ${new URL(local.url).host}`);
    expect(first.code).toBe(0);

    const second = await titan(
      ["deploy", "-f", writeWebApp(bo.cwd, { instances: 2, version: "2" }), "--yes"],
      bo,
    );
    expect(second.code).toBe(0);
    // bo's deploy found ana's release history and framework id in ZooKeeper: release 2, the same framework.
    for (const user of [ana, bo]) {
      const releases = await titan(["releases", "web"], user);
      expect(releases.stdout).toMatch(/^2\s+deployed\s+2/m);
      expect(releases.stdout).toMatch(/^1\s+superseded|^1\s+deployed/m);
    }
    expect((await frameworks(local.url)).filter((name) => name === "titan:web")).toHaveLength(1);

    // One lock: while someone holds the app's lock, the other user's deploy is refused and names the holder.
    const holder = new ZkStateStore(parseZkUrl(state), {
      clock: { now: () => Date.now() },
      hostname: "ci-7",
    });
    try {
      await holder.acquireLock("web", { user: "ana", host: "ci-7", pid: 99, purpose: "deploy web" }, 30_000);
      const refused = await titan(["scale", "web", "3", "--yes"], bo);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("app web is locked by ana@ci-7 (pid 99, deploy web");
    } finally {
      await holder.close();
    }
    const scaled = await titan(["scale", "web", "3", "--yes"], bo);
    expect(scaled.code).toBe(0);

    // --master takes the same zk:// URL (its commas list the ensemble, not several masters).
    const unreachable = `127.0.0.1:${(await freePortRange(1)).begin}`;
    const ps = await runCli(
      ["ps", "web", "--master", `zk://${unreachable},${zk.hosts}/mesos-team`, "--json"],
      {
        env: ana.vars,
        cwd: ana.cwd,
      },
    );
    expect(ps.stderr).toContain(`Found leading master ${new URL(local.url).host}`);
    expect(ps.code).toBe(0);
    expect(JSON.stringify(JSON.parse(ps.stdout))).toContain("web.");
  }, 90_000);

  it("titan status of an app whose release did not finish prints and exits", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const state = `zk://${zk.hosts}/titan-status`;
    const ana = teamUser(local.url, state);
    const writer = new ZkStateStore(parseZkUrl(state), {
      clock: { now: () => Date.now() },
      hostname: "ci-7",
    });
    try {
      const spec = { name: "web", instances: 1 } as unknown as AppSpec;
      await writer.addRelease({
        app: "web",
        manifestDigest: "sha256:1",
        spec,
        user: "ana",
        command: "titan deploy",
      });
    } finally {
      await writer.close();
    }
    const status = titanProcess(["status", "web"], ana);
    const exited = await Promise.race([
      status.exit,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 15_000)),
    ]);
    expect(exited, status.stderr()).toBe(0);
    expect(status.stdout()).toMatch(/^web\s+interrupted/m);
  }, 60_000);

  it("follows the leading master through failovers while a session runs", async () => {
    const path = `zk://${zk.hosts}/mesos-failover`;
    const a = await startTestCluster({ agents: 1, zk: path });
    const announced: string[] = [];
    const cluster = MasterCluster.fromConfig(
      { masters: [path] },
      { announce: (line) => announced.push(line) },
    );
    try {
      expect((await cluster.discoverLeader()).origin).toBe(a.url);
      expect(announced).toEqual([
        expect.stringMatching(/^Found leading master 127\.0\.0\.1:\d+ \(id .*json\.info_\d{10}\) in zk:\/\//),
      ]);

      // The local master fails over: a new MasterInfo (new id) under a new sequence number.
      await a.faults.failoverMaster();
      await expect.poll(() => announced.length, { timeout: 10_000 }).toBe(2);
      expect(announced[1]).toMatch(/^Leading master changed to/);

      // A second master joins (a standby: higher sequence), then the leader goes away.
      const b = await startTestCluster({ agents: 1, zk: path });
      expect(cluster.knownLeader?.origin).toBe(a.url);
      await a.stop();
      await expect
        .poll(() => announced.at(-1), { timeout: 10_000 })
        .toContain(`changed to ${new URL(b.url).host}`);
      const response = await cluster.send("/master/state", (url) =>
        cluster.transport.fetch({ method: "GET", url, deadlineMs: 5000, maxBytes: 1 << 20, label: "state" }),
      );
      expect(response.url.origin).toBe(b.url);
    } finally {
      await cluster.close();
    }
  }, 60_000);
});
