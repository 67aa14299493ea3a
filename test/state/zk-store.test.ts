import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { holdLock } from "../../src/deploy/lock.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { lockGone } from "../../src/observe/deploy-wait.js";
import { LockHeldError, LockLostError, StateStoreError } from "../../src/state/errors.js";
import type { LockOwner, SupervisorReport } from "../../src/state/types.js";
import { ZkClient } from "../../src/state/zk-client.js";
import { ZkSessionExpiredError } from "../../src/state/zk-errors.js";
import { ZkStateStore, type ZkStoreOptions } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { freePortRange } from "../support/ports.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;
const stores: ZkStateStore[] = [];
let base = 0;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await zk?.stop();
});

/** A store on a fresh base path (one per test), so tests of this file never see each other's records. */
function freshUrl(userinfo = ""): string {
  base++;
  return `zk://${userinfo}${zk.hosts}/titan-${base}`;
}

function open(url: string, options: Partial<ZkStoreOptions> = {}): ZkStateStore {
  const store = new ZkStateStore(parseZkUrl(url), {
    clock: { now: () => Date.now() },
    hostname: "laptop",
    sessionTimeoutMs: 2000,
    isAlive: () => true,
    ...options,
  });
  stores.push(store);
  return store;
}

const owner: LockOwner = { user: "ana", host: "laptop", pid: 4242, purpose: "deploy api release 2" };
const spec = { name: "api", instances: 2 } as unknown as AppSpec;

describe("zk:// state store", () => {
  it("keeps releases, outcomes, framework ids and progress", async () => {
    const s = open(freshUrl());
    expect(await s.apps()).toEqual([]);
    const first = await s.addRelease({
      app: "api",
      image: "r/api:1",
      manifestDigest: "d1",
      spec,
      user: "ana",
    });
    const second = await s.addRelease({ app: "api", manifestDigest: "d2", spec, user: "bo" });
    const web = { app: "web", manifestDigest: "w1", spec, user: "ana" };
    await s.addRelease({ ...web, command: "titan stop web", rollout: "sha256:r1" });
    expect([first.number, second.number]).toEqual([1, 2]);
    expect((await s.releases("web"))[0]).toMatchObject({ command: "titan stop web", rollout: "sha256:r1" });
    await s.finishRelease("api", 2, "rolled_back", "health checks failed");
    const releases = await s.releases("api");
    expect(releases.map((r) => [r.number, r.outcome, r.detail])).toEqual([
      [1, "pending", undefined],
      [2, "rolled_back", "health checks failed"],
    ]);
    await s.setFrameworkId("api", "fw-1");
    await s.setFrameworkId("api", "fw-2");
    expect(await s.frameworkId("api")).toBe("fw-2");
    await s.saveProgress("api", { release: 2, phase: "deploying", launched: ["api.2.0.0"], updatedAt: 1 });
    expect(await s.progress("api")).toMatchObject({ launched: ["api.2.0.0"] });
    expect(await s.apps()).toEqual(["api", "web"]);
    await s.forgetFrameworkId("api");
    expect(await s.frameworkId("api")).toBeUndefined();
    await s.forgetApp("api");
    expect(await s.apps()).toEqual(["web"]);
    expect(await s.releases("api")).toEqual([]);
  });

  it("creates nothing by reading: the base path appears with the first write", async () => {
    const s = open(freshUrl());
    expect(await s.apps()).toEqual([]);
    expect(await s.releases("api")).toEqual([]);
    expect(await s.frameworkId("api")).toBeUndefined();
    expect(await s.progress("api")).toBeUndefined();
    expect(await s.currentLock("api")).toBeUndefined();
    expect(await s.supervisorReports()).toEqual([]);
    expect(await s.exists()).toBe(false);
    await s.setFrameworkId("api", "fw-1");
    expect(await s.exists()).toBe(true);
    expect(await s.apps()).toEqual(["api"]);
    const imported = open(freshUrl());
    await imported.importApp({ app: "web", releases: [] });
    expect(await imported.apps()).toEqual(["web"]);
  });

  it("shares one history and one lock between two titans, and names the holder", async () => {
    const url = freshUrl();
    const ana = open(url);
    const bo = open(url, { hostname: "desktop" });
    const lock = await ana.acquireLock("api", owner, 30_000);
    await ana.addRelease({ app: "api", manifestDigest: "d1", spec, user: "ana" });
    const refused = bo.acquireLock("api", { ...owner, user: "bo", host: "desktop" }, 30_000);
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    await expect(refused).rejects.toThrow(/locked by ana@laptop \(pid 4242, deploy api release 2/);
    expect((await bo.releases("api")).map((r) => r.user)).toEqual(["ana"]);
    expect(await bo.currentLock("api")).toMatchObject({ user: "ana", token: lock.token });
    await ana.releaseLock("api", lock);
    expect(await bo.currentLock("api")).toBeUndefined();
    const taken = await bo.acquireLock("api", { ...owner, user: "bo" }, 30_000);
    expect(await ana.currentLock("api")).toMatchObject({ user: "bo", token: taken.token });
  });

  it("refuses an import while a deploy holds the app's lock, with the import's hint (it has no --force-unlock)", async () => {
    const url = freshUrl();
    const ana = open(url);
    const bo = open(url, { hostname: "desktop" });
    await ana.acquireLock("web", owner, 30_000);
    const refused = bo.importApp({ app: "web", releases: [] });
    await expect(refused).rejects.toThrow(/locked by ana@laptop/);
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).hint).not.toContain("--force-unlock");
    expect((error as LockHeldError).hint).toContain("import again");
    expect(await bo.currentLock("web")).toMatchObject({ user: "ana" });
  });

  it("shows every renewal of the lock to the others: a deploy longer than the lease still holds it", async () => {
    const url = freshUrl();
    let now = 1_000_000;
    const ana = open(url, { clock: { now: () => now } });
    const bo = open(url, { hostname: "desktop", clock: { now: () => now } });
    const lock = await ana.acquireLock("api", owner, 30_000);
    now += 25_000;
    const renewed = await ana.renewLock("api", lock, 30_000);
    expect(renewed.expiresAt).toBe(now + 30_000);
    // What a supervisor, `titan status` or a teammate's deploy read: the lease as last renewed, not as taken.
    expect(await bo.currentLock("api")).toMatchObject({ token: lock.token, expiresAt: now + 30_000 });
    now += 25_000;
    const live = { now, hostname: "elsewhere", isAlive: () => true };
    expect(lockGone(await bo.currentLock("api"), live)).toBeUndefined();
    // The holder's writes, guarded by its lock node, still go through after the node was rewritten.
    await ana.saveProgress("api", {
      release: 1,
      phase: "deploying",
      launched: ["api.1.0.1"],
      updatedAt: now,
    });
    await ana.addRelease({ app: "api", manifestDigest: "d1", spec, user: "ana" });
    expect((await bo.releases("api")).map((r) => r.number)).toEqual([1]);
    await ana.releaseLock("api", renewed);
  });

  it("never leaves the lock of a crashed titan behind", async () => {
    const url = freshUrl();
    const script = `
      const { ZkStateStore } = await import(${JSON.stringify(dist("state/zk-store.js"))});
      const { parseZkUrl } = await import(${JSON.stringify(dist("state/zk-url.js"))});
      const store = new ZkStateStore(parseZkUrl(${JSON.stringify(url)}), {
        clock: { now: () => Date.now() }, hostname: "ci-runner", sessionTimeoutMs: 1000 });
      await store.acquireLock("api", { user: "ci", host: "ci-runner", pid: process.pid, purpose: "deploy api" }, 30000);
      console.log("locked");
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
        child.once("exit", (code) => reject(new Error(`child exited ${code}`)));
      });
      const other = open(url);
      expect(await other.currentLock("api")).toMatchObject({ user: "ci" });
      child.kill("SIGKILL");
      // The crashed titan's session expires after its timeout, and its ephemeral lock node goes with it.
      await expect.poll(() => other.currentLock("api"), { timeout: 15_000, interval: 200 }).toBeUndefined();
      await expect(other.acquireLock("api", owner, 30_000)).resolves.toMatchObject({ user: "ana" });
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("breaks a lock whose holder is dead on this host, or with force", async () => {
    const url = freshUrl();
    const holder = open(url);
    await holder.acquireLock("api", owner, 30_000);
    const sameHost = open(url, { isAlive: (pid) => pid !== 4242 });
    await expect(sameHost.acquireLock("api", { ...owner, pid: 1 }, 30_000)).resolves.toMatchObject({
      pid: 1,
    });
    const forcing = open(url, { hostname: "elsewhere" });
    const forced = await forcing.acquireLock("api", { ...owner, user: "zed" }, 30_000, { force: true });
    expect(await holder.currentLock("api")).toMatchObject({ token: forced.token });
    // The titan whose lock was taken can no longer write that app's records.
    await expect(
      sameHost.saveProgress("api", { release: 1, phase: "deploying", launched: ["x"], updatedAt: 1 }),
    ).rejects.toBeInstanceOf(LockLostError);
    expect(await forcing.progress("api")).toBeUndefined();
  });

  /**
   * Holds the first two calls of `method` on ana's lock node (the first in the queue) until `open` lets each go,
   * so two titans can be stopped at the same step of taking the lock.
   */
  function gateOnHoldersNode(method: "get" | "delete") {
    const gates: Array<() => void> = [];
    const original = ZkClient.prototype[method] as (this: ZkClient, ...args: unknown[]) => Promise<unknown>;
    const spy = vi.spyOn(ZkClient.prototype, method).mockImplementation(async function (
      this: ZkClient,
      ...args: unknown[]
    ) {
      if (String(args[0]).endsWith("/locks/lock-0000000000") && gates.length < 2)
        await new Promise<void>((resolve) => gates.push(resolve));
      return original.apply(this, args);
    } as never);
    return {
      arrived: (n: number) => expect.poll(() => gates.length, { timeout: 5000, interval: 10 }).toBe(n),
      open: (i: number) => gates[i]?.(),
      restore: () => {
        spy.mockRestore();
        for (const open of gates) open();
      },
    };
  }

  it("never breaks the lock of a titan that took it after its holder released it: the queue is listed again", async () => {
    const url = freshUrl();
    const ana = open(url);
    const bo = open(url, { hostname: "desktop" });
    const cy = open(url, { hostname: "tower" });
    const released = await ana.acquireLock("api", owner, 30_000);
    // bo and cy queue behind ana, list the queue, and stop just before they read ana's node; ana releases then.
    const gate = gateOnHoldersNode("get");
    try {
      const boTakes = bo.acquireLock("api", { ...owner, user: "bo", host: "desktop" }, 30_000);
      await gate.arrived(1);
      const cyTakes = cy.acquireLock("api", { ...owner, user: "cy", host: "tower" }, 30_000).catch((e) => e);
      await gate.arrived(2);
      await ana.releaseLock("api", released);
      gate.open(0);
      const boLock = await boTakes;
      gate.open(1);
      const cyResult = await cyTakes;
      expect(String(cyResult)).toMatch(/locked by bo@desktop/);
      expect(cyResult).toBeInstanceOf(LockHeldError);
      expect(await ana.currentLock("api")).toMatchObject({ token: boLock.token });
      // bo still holds: its writes, guarded by its lock node, go through.
      await bo.saveProgress("api", { release: 1, phase: "deploying", launched: ["x"], updatedAt: 1 });
    } finally {
      gate.restore();
    }
  });

  it("breaks only the dead holder it judged, never the titan queued behind it that took the lock first", async () => {
    const url = freshUrl();
    const ana = open(url);
    await ana.acquireLock("api", owner, 30_000);
    // Both find ana's pid dead on this host; both stop before removing ana's node; bo breaks it and takes the lock.
    const dead = { isAlive: (pid: number) => pid !== 4242 };
    const bo = open(url, dead);
    const cy = open(url, dead);
    const gate = gateOnHoldersNode("delete");
    try {
      const boTakes = bo.acquireLock("api", { ...owner, user: "bo", pid: 1 }, 30_000);
      await gate.arrived(1);
      const cyTakes = cy.acquireLock("api", { ...owner, user: "cy", pid: 2 }, 30_000).catch((e) => e);
      await gate.arrived(2);
      gate.open(0);
      const boLock = await boTakes;
      gate.open(1);
      const cyResult = await cyTakes;
      expect(String(cyResult)).toMatch(/locked by bo@laptop/);
      expect(await ana.currentLock("api")).toMatchObject({ token: boLock.token });
      await bo.saveProgress("api", { release: 1, phase: "deploying", launched: ["x"], updatedAt: 1 });
    } finally {
      gate.restore();
    }
  });

  it("stops at once when the session expires mid-deploy: nothing half-written, a re-run resumes", async () => {
    const path = `/titan-${++base}`;
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    try {
      const s = open(`zk://127.0.0.1:${proxy.port}${path}`);
      const lock = await s.acquireLock("api", owner, 30_000);
      await s.saveProgress("api", { release: 1, phase: "deploying", launched: ["api.1.0.0"], updatedAt: 1 });
      const lost: Error[] = [];
      s.watchLock("api", lock, (error) => lost.push(error));
      // A partition longer than the session timeout (2 s): the ensemble expires the session and its lock.
      proxy.cut();
      await expect.poll(() => lost.length, { timeout: 10_000 }).toBe(1);
      expect(lost[0]).toBeInstanceOf(ZkSessionExpiredError);
      expect(lost[0]?.message).toMatch(
        /session .* expired, and the deploy lock of api with it; titan stopped acting/,
      );
      proxy.heal();
      const write = s.saveProgress("api", {
        release: 1,
        phase: "deploying",
        launched: ["api.1.0.0", "api.1.1.0"],
        updatedAt: 2,
      });
      await expect(write).rejects.toBeInstanceOf(StateStoreError);
      await expect(write).rejects.toThrow(/expired/);
      const rerun = open(`zk://${zk.hosts}${path}`);
      await expect.poll(() => rerun.currentLock("api"), { timeout: 10_000 }).toBeUndefined();
      await rerun.acquireLock("api", owner, 30_000);
      expect(await rerun.progress("api")).toMatchObject({ launched: ["api.1.0.0"] });
    } finally {
      await proxy.close();
    }
  });

  it("opens a new session after its session expired, when it holds no lock (a supervisor's store)", async () => {
    const path = `/titan-${++base}`;
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    try {
      const s = open(`zk://127.0.0.1:${proxy.port}${path}`);
      await s.addRelease({ app: "api", manifestDigest: "d1", spec, user: "ana" });
      // A partition longer than the session timeout (2 s): the ensemble expires the session.
      proxy.cut();
      await expect(s.releases("api")).rejects.toBeInstanceOf(StateStoreError);
      await new Promise((r) => setTimeout(r, 3000));
      proxy.heal();
      await expect
        .poll(
          () =>
            s
              .releases("api")
              .then((r) => r.length)
              .catch(() => -1),
          { timeout: 15_000 },
        )
        .toBe(1);
      const now = Date.now();
      const report: SupervisorReport = {
        id: "after-expiry",
        user: "ana",
        host: "laptop",
        pid: 4242,
        startedAt: now,
        scope: ["api"],
        apps: [],
        updatedAt: now,
        expiresAt: now + 30_000,
      };
      await s.saveSupervisorReport(report);
      expect((await s.supervisorReports()).map((r) => r.id)).toContain("after-expiry");
    } finally {
      await proxy.close();
    }
  });

  it("makes a deploy's lock holder stop at once on expiry, long before its next renewal", async () => {
    const proxy = await startTcpProxy(zk.servers[0]?.port ?? 0);
    try {
      const s = open(`zk://127.0.0.1:${proxy.port}/titan-${++base}`);
      const lost: unknown[] = [];
      const held = await holdLock(s, "api", owner, {
        leaseMs: 600_000,
        force: false,
        onLost: (e) => lost.push(e),
      });
      proxy.cut();
      // The renewal would come after 200 s; the expiry is reported once the session timeout (2 s) has passed.
      await expect.poll(() => lost.length, { timeout: 10_000 }).toBe(1);
      expect(lost[0]).toBeInstanceOf(ZkSessionExpiredError);
      await held.release();
    } finally {
      await proxy.close();
    }
  });

  it("keeps records private behind a digest ACL", async () => {
    const url = freshUrl("titan:env:ZK_SECRET@");
    const owned = open(url, { password: "s3cret" });
    await owned.addRelease({ app: "api", manifestDigest: "d1", spec, user: "ana" });
    const anonymous = open(url.replace("titan:env:ZK_SECRET@", ""));
    await expect(anonymous.releases("api")).rejects.toThrow(/not authorised to use .*titan-\d+\/apps\/api/);
    await expect(anonymous.releases("api")).rejects.toMatchObject({
      hint: expect.stringContaining("name the digest user of the nodes' ACL in the URL"),
    });
    const wrong = open(url, { password: "guess" });
    const refused = await wrong.releases("api").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StateStoreError);
    // The URL names the user: what failed is its password, which the hint points at by reference only.
    const { message, hint } = refused as StateStoreError;
    expect(message).toMatch(/not authorised to use .*titan-\d+\/apps\/api/);
    expect(hint).toBe(
      "ZooKeeper refused the credentials of digest user titan: check the secret env:ZK_SECRET holds, and that the nodes' ACL is for titan",
    );
    expect(`${message} ${hint}`).not.toMatch(/guess|s3cret/);
    expect((await owned.releases("api")).length).toBe(1);
  });

  it("says clearly when ZooKeeper is unreachable", async () => {
    const { begin } = await freePortRange(1);
    const s = open(`zk://127.0.0.1:${begin}/titan`, { connectTimeoutMs: 500 });
    const attempt = s.releases("api");
    await expect(attempt).rejects.toBeInstanceOf(StateStoreError);
    await expect(attempt).rejects.toThrow(
      `cannot reach the ZooKeeper state store zk://127.0.0.1:${begin}/titan`,
    );
  });
});

function dist(module: string): string {
  return fileURLToPath(new URL(`../../dist/${module}`, import.meta.url));
}
