import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { FileStateStore } from "../../src/state/file-store.js";
import type { SupervisorReport } from "../../src/state/types.js";
import { FileLeadership } from "../../src/supervisor/file-leadership.js";
import { tempDir } from "../support/tmp.js";

const identity = (pid: number) => ({ user: "ana", host: "box", pid, startedAt: 1000 + pid });

function contender(
  root: string,
  pid: number,
  options: { now?: () => number; alive?: (pid: number) => boolean } = {},
) {
  return new FileLeadership({
    root,
    identity: identity(pid),
    clock: { now: options.now ?? (() => Date.now()) },
    hostname: "box",
    isAlive: options.alive ?? (() => true),
    leaseMs: 1500,
    pollMs: 20,
  });
}

describe("leadership in a file store", () => {
  it("lets one contender lead an app; the next takes over when it resigns", async () => {
    const root = tempDir();
    const a = contender(root, 1);
    const b = contender(root, 2);
    const termA = await a.acquire("web", AbortSignal.timeout(5000));
    expect(await b.leader("web")).toEqual(identity(1));
    let bLeads = false;
    const waiting = b.acquire("web", AbortSignal.timeout(10_000)).then((term) => {
      bLeads = true;
      return term;
    });
    // Renewals keep the lead with A well past the lease's length.
    await new Promise((r) => setTimeout(r, 2000));
    expect(bLeads).toBe(false);
    expect(termA.lost.aborted).toBe(false);
    // Leads are per app: B leads another app meanwhile.
    const other = await b.acquire("api", AbortSignal.timeout(5000));
    await termA.resign();
    const termB = await waiting;
    expect(await a.leader("web")).toEqual(identity(2));
    await termB.resign();
    await other.resign();
    expect(await a.leader("web")).toBeUndefined();
    expect(existsSync(join(root, "leases", "web.json"))).toBe(false);
  });

  it("takes over a lease whose holder died on this host, and the old holder learns it lost the lead", async () => {
    const root = tempDir();
    const dead = new Set<number>();
    const a = contender(root, 1, { alive: (pid) => !dead.has(pid) });
    const termA = await a.acquire("web", AbortSignal.timeout(5000));
    dead.add(1);
    const b = contender(root, 2, { alive: (pid) => !dead.has(pid) });
    const termB = await b.acquire("web", AbortSignal.timeout(5000));
    await new Promise<void>((resolve) =>
      termA.lost.addEventListener("abort", () => resolve(), { once: true }),
    );
    expect(String(termA.lost.reason)).toContain("another supervisor took the lead of web");
    await termA.resign();
    expect(await b.leader("web")).toEqual(identity(2));
    await termB.resign();
  });

  it("gives a dead holder's lease to only one of many contenders taking it at once", async () => {
    for (let round = 0; round < 10; round++) {
      const root = tempDir();
      const dead = new Set<number>([1]);
      const alive = (pid: number) => !dead.has(pid);
      const first = await contender(root, 1, { alive }).acquire("web", AbortSignal.timeout(5000));
      const pids = [2, 3, 4, 5, 6, 7, 8, 9];
      const taken = await Promise.all(
        pids.map((pid) =>
          contender(root, pid, { alive })
            .acquire("web", AbortSignal.timeout(300))
            .then(
              (term) => ({ pid, term }),
              () => undefined,
            ),
        ),
      );
      const leaders = taken.filter((t) => t !== undefined);
      expect(leaders).toHaveLength(1);
      expect(await contender(root, 10).leader("web")).toEqual(identity(leaders[0]?.pid ?? 0));
      for (const t of leaders) await t?.term.resign();
      await first.resign();
    }
  });

  it("gives the lead up by itself when it cannot renew before two thirds of its lease", async () => {
    const root = tempDir();
    let skew = 0;
    const a = contender(root, 1, { now: () => Date.now() + skew });
    const term = await a.acquire("web", AbortSignal.timeout(5000));
    // The clock jumps past the lease: as if renewals had stalled that long.
    skew = 10_000;
    await new Promise<void>((resolve) =>
      term.lost.addEventListener("abort", () => resolve(), { once: true }),
    );
    expect(String(term.lost.reason)).toContain("could not renew the lead of web in time");
    await term.resign();
  });

  it("stops contending when the signal aborts", async () => {
    const root = tempDir();
    const term = await contender(root, 1).acquire("web", AbortSignal.timeout(5000));
    const stop = new AbortController();
    const waiting = contender(root, 2).acquire("web", stop.signal);
    stop.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    await term.resign();
  });
});

describe("supervisor reports in a file store", () => {
  const report = (id: string, over: Partial<SupervisorReport> = {}): SupervisorReport => ({
    id,
    user: "ana",
    host: "box",
    pid: 7,
    startedAt: 1,
    scope: "all",
    apps: [{ app: "web", mode: "supervising", leader: true, lastReconciledAt: 5 }],
    updatedAt: 10,
    expiresAt: 20,
    ...over,
  });

  it("saves, lists and removes reports, checked on read", async () => {
    const dir = tempDir();
    const store = new FileStateStore(pathToFileURL(dir).href, { clock: { now: () => 0 }, hostname: "box" });
    expect(await store.supervisorReports()).toEqual([]);
    await store.saveSupervisorReport(report("box-7-1"));
    await store.saveSupervisorReport(report("box-8-1", { scope: ["web"], listen: "http://127.0.0.1:9470" }));
    expect((await store.supervisorReports()).map((r) => r.id)).toEqual(["box-7-1", "box-8-1"]);
    await store.saveSupervisorReport(report("box-7-1", { updatedAt: 30 }));
    expect((await store.supervisorReports())[0]?.updatedAt).toBe(30);
    await store.removeSupervisorReport("box-7-1");
    await store.removeSupervisorReport("box-7-1");
    expect((await store.supervisorReports()).map((r) => r.id)).toEqual(["box-8-1"]);
    await expect(store.saveSupervisorReport(report("../escape"))).rejects.toThrow("is not a supervisor id");
    // Supervisor reports are not apps.
    expect(await store.apps()).toEqual([]);
  });
});
