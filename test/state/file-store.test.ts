import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../../src/manifest/index.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { LockHeldError, LockLostError, StateStoreError } from "../../src/state/errors.js";
import { FileStateStore, processAlive } from "../../src/state/file-store.js";
import { breakLock } from "../../src/state/lock-break.js";
import type { LockOwner } from "../../src/state/types.js";
import { tempDir } from "../support/tmp.js";

function store(
  options: { now?: () => number; alive?: (pid: number) => boolean; hostname?: string; uid?: number } = {},
) {
  const dir = tempDir();
  const clock = { now: options.now ?? (() => 1_000_000) };
  return {
    dir,
    store: new FileStateStore(pathToFileURL(dir).href, {
      clock,
      hostname: options.hostname ?? "laptop",
      isAlive: options.alive ?? (() => true),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
    }),
  };
}

const owner: LockOwner = { user: "ana", host: "laptop", pid: 4242, purpose: "deploy api release 2" };
const specOf = (name: string): AppSpec => {
  const app = parseManifests([
    {
      file: "titan.yaml",
      text: `name: ${name}\nimage: r/${name}:1\nenv: { DB_PASSWORD: { secret: "file:/run/secrets/db" } }\n`,
    },
  ]).apps[0];
  if (!app) throw new Error("no app");
  return app;
};
const spec = specOf("api");

describe("file:// state store", () => {
  it("numbers releases per app and records their outcome", async () => {
    const { store: s } = store();
    const first = await s.addRelease({
      app: "api",
      image: "r/api:1",
      manifestDigest: "d1",
      spec,
      user: "ana",
    });
    const second = await s.addRelease({
      app: "api",
      image: "r/api:2",
      manifestDigest: "d2",
      spec,
      user: "ana",
    });
    await s.addRelease({
      app: "web",
      manifestDigest: "w1",
      spec: specOf("web"),
      user: "ana",
      command: "titan stop web",
      rollout: "sha256:r1",
    });
    expect([first.number, second.number]).toEqual([1, 2]);
    expect((await s.releases("web"))[0]).toMatchObject({ command: "titan stop web", rollout: "sha256:r1" });
    await s.finishRelease("api", 2, "rolled_back", "health checks failed");
    const releases = await s.releases("api");
    expect(releases.map((r) => [r.number, r.outcome])).toEqual([
      [1, "pending"],
      [2, "rolled_back"],
    ]);
    expect(releases[1]?.detail).toBe("health checks failed");
    expect((await s.releases("web")).length).toBe(1);
  });

  it("keeps secrets as references only", async () => {
    const { store: s, dir } = store();
    await s.addRelease({ app: "api", manifestDigest: "d1", spec, user: "ana" });
    const text = readFileSync(join(dir, "apps", "api", "releases", "000001.json"), "utf8");
    expect(text).toContain("file:/run/secrets/db");
  });

  it("remembers the framework id", async () => {
    const { store: s } = store();
    expect(await s.frameworkId("api")).toBeUndefined();
    await s.setFrameworkId("api", "fw-123");
    expect(await s.frameworkId("api")).toBe("fw-123");
    await s.forgetApp("api");
    expect(await s.frameworkId("api")).toBeUndefined();
  });

  it("refuses a second holder of the deploy lock and names the first", async () => {
    const { store: s } = store();
    const lock = await s.acquireLock("api", owner, 60_000);
    const other: LockOwner = { user: "bo", host: "ci-7", pid: 9, purpose: "deploy api release 3" };
    const refused = await s.acquireLock("api", other, 60_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockHeldError);
    expect((refused as Error).message).toContain("ana@laptop (pid 4242, deploy api release 2");
    await s.releaseLock("api", lock);
    const next = await s.acquireLock("api", other, 60_000);
    expect(next.user).toBe("bo");
  });

  it("takes over a lock whose lease expired", async () => {
    let now = 1_000_000;
    const { store: s, dir } = store({ now: () => now });
    const stale = await s.acquireLock("api", { ...owner, host: "elsewhere" }, 30_000);
    now += 31_000;
    const fresh = await s.acquireLock("api", { ...owner, user: "bo" }, 30_000);
    expect(fresh.user).toBe("bo");
    await expect(s.renewLock("api", stale, 30_000)).rejects.toBeInstanceOf(LockLostError);
    // A holder that lost the lock never removes the new holder's lock.
    await s.releaseLock("api", stale);
    expect((await s.currentLock("api"))?.token).toBe(fresh.token);
    expect(readdirSync(join(dir, "apps", "api")).sort()).toEqual(["lock.json"]);
  });

  it("takes over a lock whose holder died on this host, but not one held elsewhere", async () => {
    const { store: s } = store({ alive: (pid) => pid !== 4242 });
    await s.acquireLock("api", owner, 60_000);
    const mine = await s.acquireLock("api", { ...owner, pid: 77 }, 60_000);
    expect(mine.pid).toBe(77);
    const { store: t } = store({ alive: () => false });
    await t.acquireLock("api", { ...owner, host: "other-host" }, 60_000);
    await expect(t.acquireLock("api", owner, 60_000)).rejects.toBeInstanceOf(LockHeldError);
  });

  it("counts a killed holder not yet reaped (a zombie) as dead", () => {
    const child = spawn("sleep", ["30"]);
    const pid = child.pid ?? 0;
    try {
      expect(processAlive(pid)).toBe(true);
      process.kill(pid, "SIGKILL");
      // Busy, so this process cannot reap its child meanwhile: the child stays a zombie.
      const until = Date.now() + 300;
      while (Date.now() < until && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) {}
      expect(processAlive(pid)).toBe(false);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("lets --force-unlock take a live holder's lock", async () => {
    const { store: s } = store();
    await s.acquireLock("api", { ...owner, host: "ci-1" }, 60_000);
    const forced = await s.acquireLock("api", owner, 60_000, { force: true });
    expect((await s.currentLock("api"))?.token).toBe(forced.token);
  });

  it("renews a held lock's lease", async () => {
    let now = 1_000;
    const { store: s } = store({ now: () => now });
    const lock = await s.acquireLock("api", owner, 10_000);
    now = 9_000;
    const renewed = await s.renewLock("api", lock, 10_000);
    expect(renewed.expiresAt).toBe(19_000);
  });

  it("gives only one of many concurrent contenders the lock", async () => {
    const { store: s } = store();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => s.acquireLock("api", { ...owner, pid: 100 + i }, 60_000)),
    );
    expect(results.filter((r) => r.status === "fulfilled").length).toBe(1);
  });

  it("gives a stale lock to only one of many contenders taking it over at once", async () => {
    let now = 1_000_000;
    for (let round = 0; round < 10; round++) {
      const { store: s } = store({ now: () => now });
      await s.acquireLock("api", { ...owner, host: "elsewhere" }, 30_000);
      now += 31_000;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => s.acquireLock("api", { ...owner, pid: 100 + i }, 60_000)),
      );
      const holders = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(holders).toHaveLength(1);
      expect((await s.currentLock("api"))?.token).toBe(holders[0]?.token);
    }
  });

  it("never breaks a fresh lock taken after the stale one was judged, and puts it back", async () => {
    const { store: s, dir } = store();
    const file = join(dir, "apps", "api", "lock.json");
    await s.acquireLock("api", { ...owner, host: "elsewhere" }, 30_000);
    const judged = readFileSync(file, "utf8");
    // Another titan broke that stale lock and took a fresh one before this one got to break it.
    await s.acquireLock("api", owner, 30_000, { force: true });
    const fresh = readFileSync(file, "utf8");
    expect(await breakLock(file, judged)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(fresh);
    expect(await breakLock(file, fresh)).toBe(true);
    expect(readdirSync(join(dir, "apps", "api"))).toEqual([]);
  });

  it("reports a damaged record with a hint instead of a parse stack", async () => {
    const { store: s, dir } = store();
    await s.setFrameworkId("api", "fw-1");
    writeFileSync(join(dir, "apps", "api", "framework.json"), "{nope");
    const error = await s.frameworkId("api").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect((error as StateStoreError).hint).toMatch(/restore|remove/);
  });

  it("rejects app names that could escape the store", async () => {
    const { store: s } = store();
    await expect(s.frameworkId("../etc")).rejects.toBeInstanceOf(StateStoreError);
  });
});
