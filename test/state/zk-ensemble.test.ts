import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StateStoreError } from "../../src/state/errors.js";
import type { DeployProgress } from "../../src/state/types.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { home, titan, writeWebApp } from "../deploy/harness.js";
import { startTestCluster } from "../support/local-cluster.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(3);
}, 120_000);

afterAll(async () => {
  await zk?.stop();
});

function open(path: string): ZkStateStore {
  return new ZkStateStore(parseZkUrl(`zk://${zk.hosts}${path}`), {
    clock: { now: () => Date.now() },
    hostname: "laptop",
  });
}

async function restartKilled(): Promise<void> {
  for (const server of zk.servers) if (!server.running) await zk.restart(server.id);
}

describe("a 3-node ZooKeeper ensemble losing its leader", () => {
  it("keeps the deploy lock and never tears a record while writes go on", async () => {
    const store = open("/titan-writes");
    const observer = open("/titan-writes");
    try {
      const lock = await store.acquireLock(
        "api",
        { user: "ana", host: "laptop", pid: 1, purpose: "deploy api" },
        30_000,
      );
      const written: DeployProgress[] = [];
      const failures: unknown[] = [];
      const launched: string[] = [];
      for (let i = 0; i < 40; i++) {
        if (i === 10) await zk.kill(await zk.leader());
        launched.push(`api.1.${i}.0`);
        const progress: DeployProgress = {
          release: 1,
          phase: "deploying",
          launched: [...launched],
          updatedAt: i,
        };
        try {
          await store.saveProgress("api", progress);
          written.push(progress);
        } catch (error) {
          failures.push(error);
        }
      }
      // Every failure (if any) is a clean store error, never a lost lock; most writes went through.
      for (const failure of failures) expect(failure).toBeInstanceOf(StateStoreError);
      expect(written.length).toBeGreaterThanOrEqual(30);
      expect(await observer.currentLock("api")).toMatchObject({ token: lock.token });
      await vi.waitFor(async () => expect(await observer.progress("api")).toEqual(written.at(-1)), {
        timeout: 10_000,
        interval: 100,
      });
      await expect(store.renewLock("api", lock, 30_000)).resolves.toMatchObject({ token: lock.token });
      await store.releaseLock("api", lock);
      // ZooKeeper keeps each client's view in order, not every client's in step: the observer, served by another
      // server of the ensemble, may see the release a moment later, never the lock back after it saw it gone.
      await vi.waitFor(async () => expect(await observer.currentLock("api")).toBeUndefined(), {
        timeout: 10_000,
        interval: 100,
      });
    } finally {
      await Promise.all([store.close(), observer.close()]);
      await restartKilled();
    }
  }, 90_000);

  it("lets a deploy continue (or stop cleanly and resume) when the ZooKeeper leader dies mid-deploy", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const configDir = join(h.vars.XDG_CONFIG_HOME ?? h.cwd, "titan");
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, "config.yaml"),
      `current_context: team\nclusters:\n  shared:\n    masters: [${local.url}]\n    state: zk://${zk.hosts}/titan-deploy\ncontexts:\n  team: { cluster: shared }\n`,
    );
    const file = writeWebApp(h.cwd, { instances: 3 });
    const observer = open("/titan-deploy");
    try {
      const deploy = titan(["deploy", "-f", file, "--yes"], h);
      await expect.poll(() => observer.progress("web"), { timeout: 30_000, interval: 50 }).toBeDefined();
      const holder = await observer.currentLock("web");
      expect(holder).toMatchObject({ purpose: expect.stringContaining("deploy web") });
      await zk.kill(await zk.leader());
      // The lock stays the deploy's own while the ensemble elects a new leader: nobody else ever holds it.
      const holders = new Set<string>();
      let finished = false;
      const watching = (async () => {
        while (!finished) {
          const lock = await observer.currentLock("web").catch(() => undefined);
          if (lock !== undefined) holders.add(lock.token);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      let result = await deploy;
      finished = true;
      await watching;
      expect([...holders].filter((token) => token !== holder?.token)).toEqual([]);
      if (result.code !== 0) {
        // A clean stop names the state store; the re-run resumes from what was recorded.
        expect(result.stderr).toMatch(/ZooKeeper/);
        result = await titan(["deploy", "-f", file, "--yes"], h);
      }
      expect(result.code).toBe(0);
      const tasks = (await (await fetch(`${local.url}/master/tasks`)).json()) as {
        tasks: Array<{ id: string; state: string }>;
      };
      const live = tasks.tasks.filter((t) => t.state === "TASK_RUNNING").map((t) => t.id);
      expect(new Set(live.map((id) => id.split(".")[2])).size).toBe(3);
      expect(live).toHaveLength(3);
      expect(await observer.currentLock("web")).toBeUndefined();
      expect((await observer.releases("web")).map((r) => r.outcome)).toEqual(["deployed"]);
    } finally {
      await observer.close();
      await restartKilled();
    }
  }, 120_000);
});
