import { describe, expect, it } from "vitest";
import { holdLocksAhead } from "../../src/deploy/lock.js";
import { LockHeldError } from "../../src/state/errors.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { LockOwner } from "../../src/state/types.js";
import { tempDir } from "../support/tmp.js";

function store(): FileStateStore {
  return new FileStateStore(`file://${tempDir("titan-locks-ahead-")}`, {
    clock: { now: () => Date.now() },
    hostname: "test-host",
  });
}

const owner = (app: string): LockOwner => ({
  user: "ana",
  host: "test-host",
  pid: process.pid,
  purpose: `drain ${app}`,
});

describe("locks taken before the deploys that use them (titan drain)", () => {
  it("holds every app's lock until its deploy takes it, and gives back the rest", async () => {
    const s = store();
    const locks = await holdLocksAhead(s, ["api", "web"], owner, { leaseMs: 30_000, force: false });
    expect((await s.currentLock("api"))?.purpose).toBe("drain api");
    expect((await s.currentLock("web"))?.purpose).toBe("drain web");
    const api = locks.take("api", () => {});
    expect(api?.record.purpose).toBe("drain api");
    // Taken once: a second deploy of it takes its own.
    expect(locks.take("api", () => {})).toBeUndefined();
    await api?.release();
    await locks.releaseRest();
    expect(await s.currentLock("api")).toBeUndefined();
    expect(await s.currentLock("web")).toBeUndefined();
  });

  it("refuses when one is held by another titan, giving back those it took, with nothing else done", async () => {
    const s = store();
    await s.acquireLock("web", { ...owner("web"), user: "bo", purpose: "deploy web" }, 30_000);
    await expect(
      holdLocksAhead(s, ["api", "web"], owner, { leaseMs: 30_000, force: false }),
    ).rejects.toBeInstanceOf(LockHeldError);
    expect(await s.currentLock("api")).toBeUndefined();
    expect((await s.currentLock("web"))?.user).toBe("bo");
  });

  it("tells a deploy at once of a lock lost before it took it", async () => {
    const s = store();
    const locks = await holdLocksAhead(s, ["web"], owner, { leaseMs: 150, force: false });
    // Another titan forces the lock while the drain moves another app; the next renewal (every 50 ms) finds it.
    await s.acquireLock("web", { ...owner("web"), user: "bo", purpose: "deploy web" }, 30_000, {
      force: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lost: unknown[] = [];
    const lock = locks.take("web", (error) => lost.push(error));
    expect(lock).toBeDefined();
    expect(lost).toHaveLength(1);
    await locks.releaseRest();
    expect((await s.currentLock("web"))?.user).toBe("bo");
  });
});
