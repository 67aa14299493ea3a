import { describe, expect, it } from "vitest";
import { secondSignalNote } from "../../src/cli/stopping.js";
import { holdLock } from "../../src/deploy/lock.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { tempDir } from "../support/tmp.js";

/**
 * The line a second Ctrl-C prints says what the command still does: only one that holds a deploy lock releases it
 * and records its progress (`titan validate` stuck on a FIFO said so though it holds nothing).
 */
describe("the second signal's line", () => {
  it("speaks of releasing the lock only while a deploy lock is held", async () => {
    expect(secondSignalNote()).toBe("stopping (again to exit at once)");
    const store = new FileStateStore(`file://${tempDir()}`, {
      clock: { now: () => Date.now() },
      hostname: "h",
    });
    const owner = { user: "ana", host: "h", pid: process.pid, purpose: "deploy api release 1" };
    const held = await holdLock(store, "api", owner, { leaseMs: 60_000, force: false, onLost: () => {} });
    expect(secondSignalNote()).toBe(
      "stopping: releasing the lock and recording progress (again to exit at once)",
    );
    await held.release();
    await held.release();
    expect(secondSignalNote()).toBe("stopping (again to exit at once)");
  });
});
