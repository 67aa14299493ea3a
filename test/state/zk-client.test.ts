import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZkClient, type ZkHost, ZkUnreachableError } from "../../src/state/zk-client.js";
import { Code, CREATOR_ACL, CreateMode, OPEN_ACL, ZkError } from "../../src/state/zk-protocol.js";
import { freePortRange } from "../support/ports.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;
let hosts: ZkHost[];
const clients: ZkClient[] = [];

beforeAll(async () => {
  zk = await startZooKeeper(1);
  hosts = zk.servers.map((s) => ({ host: "127.0.0.1", port: s.port }));
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await zk?.stop();
});

async function open(options: Partial<Parameters<typeof ZkClient.connect>[0]> = {}): Promise<ZkClient> {
  const client = await ZkClient.connect({ hosts, sessionTimeoutMs: 4000, ...options });
  clients.push(client);
  return client;
}

describe("ZkClient against a real ZooKeeper", () => {
  it("creates, reads, versions and deletes nodes", async () => {
    const c = await open();
    await c.ensurePath("/t1/a/b", OPEN_ACL);
    expect(await c.children("/t1/a")).toEqual(["b"]);
    await c.create("/t1/a/b/x", Buffer.from("one"), OPEN_ACL, CreateMode.persistent);
    const got = await c.get("/t1/a/b/x");
    expect(got?.data.toString()).toBe("one");
    expect(got?.stat.version).toBe(0);
    await c.set("/t1/a/b/x", Buffer.from("two"), 0);
    await expect(c.set("/t1/a/b/x", Buffer.from("three"), 0)).rejects.toMatchObject({
      code: Code.badVersion,
    });
    expect((await c.get("/t1/a/b/x"))?.data.toString()).toBe("two");
    await expect(c.create("/t1/a/b/x", Buffer.alloc(0), OPEN_ACL, 0)).rejects.toMatchObject({
      code: Code.nodeExists,
    });
    await c.delete("/t1/a/b/x");
    expect(await c.get("/t1/a/b/x")).toBeUndefined();
    expect(await c.exists("/t1/a/b")).toMatchObject({ numChildren: 0 });
  });

  it("applies a multi-op transaction entirely or not at all, naming the op that failed", async () => {
    const c = await open();
    await c.ensurePath("/t2", OPEN_ACL);
    await c.create("/t2/v", Buffer.from("1"), OPEN_ACL, 0);
    const paths = await c.multi([
      { type: "check", path: "/t2/v", version: 0 },
      {
        type: "create",
        path: "/t2/seq-",
        data: Buffer.from("x"),
        acl: OPEN_ACL,
        mode: CreateMode.persistentSequential,
      },
      { type: "set", path: "/t2/v", data: Buffer.from("2"), version: 0 },
    ]);
    expect(paths[1]).toMatch(/^\/t2\/seq-\d{10}$/);
    const failed = c.multi([
      { type: "create", path: "/t2/new", data: Buffer.alloc(0), acl: OPEN_ACL, mode: 0 },
      { type: "set", path: "/t2/v", data: Buffer.from("3"), version: 0 },
    ]);
    await expect(failed).rejects.toBeInstanceOf(ZkError);
    await expect(failed).rejects.toMatchObject({ code: Code.badVersion, path: "/t2/v" });
    expect(await c.exists("/t2/new")).toBeUndefined();
    expect((await c.get("/t2/v"))?.data.toString()).toBe("2");
  });

  it("removes ephemeral nodes when the session closes and reports watches", async () => {
    const a = await open();
    const b = await open();
    await a.ensurePath("/t3", OPEN_ACL);
    const path = await a.create("/t3/lock-", Buffer.from("me"), OPEN_ACL, CreateMode.ephemeralSequential);
    const events: string[] = [];
    b.onWatch((e) => events.push(`${e.type} ${e.path}`));
    expect(await b.children("/t3", true)).toHaveLength(1);
    await a.close();
    await expect.poll(() => events).toContain("children /t3");
    expect(await b.exists(path)).toBeUndefined();
  });

  it("keeps the session across a dropped connection", async () => {
    const c = await open();
    await c.ensurePath("/t4", OPEN_ACL);
    const path = await c.create("/t4/e", Buffer.alloc(0), OPEN_ACL, CreateMode.ephemeral);
    const session = c.session;
    c.dropConnection();
    expect(await c.exists(path)).toBeDefined();
    expect(c.session).toBe(session);
    expect(c.currentState).toBe("connected");
  });

  it("tracks when the ensemble last confirmed the session, through pings, and which server it talks to", async () => {
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    try {
      const c = await open({ hosts: [{ host: "127.0.0.1", port: proxy.port }], pingIntervalMs: 200 });
      expect(c.server).toBe(`127.0.0.1:${proxy.port}`);
      const first = c.confirmedAt;
      expect(first).toBeLessThanOrEqual(performance.now());
      // Idle: only pings are answered, and each answer confirms the session anew.
      await expect.poll(() => c.confirmedAt, { timeout: 5000 }).toBeGreaterThan(first);
      proxy.cut();
      await expect.poll(() => c.server).toBeUndefined();
      const last = c.confirmedAt;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(c.confirmedAt).toBe(last);
    } finally {
      await proxy.close();
    }
  });

  it("abandons a session without ending it: its ephemeral nodes stay until the ensemble expires it", async () => {
    const watcher = await open();
    await watcher.ensurePath("/t6", OPEN_ACL);
    const closed = await open({ sessionTimeoutMs: 1000 });
    const abandoned = await open({ sessionTimeoutMs: 1000 });
    const gone = await closed.create("/t6/closed", Buffer.alloc(0), OPEN_ACL, CreateMode.ephemeral);
    const stays = await abandoned.create("/t6/abandoned", Buffer.alloc(0), OPEN_ACL, CreateMode.ephemeral);
    await Promise.all([closed.close(), abandoned.close({ abandon: true })]);
    expect(abandoned.currentState).toBe("closed");
    expect(await watcher.exists(gone)).toBeUndefined();
    expect(await watcher.exists(stays)).toBeDefined();
    await expect.poll(() => watcher.exists(stays), { timeout: 10_000 }).toBeUndefined();
  });

  it("protects nodes with a digest ACL and refuses other credentials", async () => {
    const owner = await open({ auth: { user: "titan", password: "s3cret" } });
    await owner.create("/t5", Buffer.from("private"), CREATOR_ACL, 0);
    const stranger = await open();
    await expect(stranger.get("/t5")).rejects.toMatchObject({ code: Code.noAuth });
    const other = await open({ auth: { user: "titan", password: "wrong" } });
    await expect(other.get("/t5")).rejects.toMatchObject({ code: Code.noAuth });
    expect((await owner.get("/t5"))?.data.toString()).toBe("private");
  });

  it("fails with a clear error when nothing listens", async () => {
    const { begin } = await freePortRange(1);
    const attempt = ZkClient.connect({ hosts: [{ host: "127.0.0.1", port: begin }], connectTimeoutMs: 500 });
    await expect(attempt).rejects.toBeInstanceOf(ZkUnreachableError);
    await expect(attempt).rejects.toThrow(/ECONNREFUSED/);
  });
});
