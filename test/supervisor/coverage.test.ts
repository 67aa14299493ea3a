import { describe, expect, it } from "vitest";
import { coverageOf, coverageText, failoverWarning, lastHeldAt } from "../../src/observe/coverage.js";
import type { Liveness } from "../../src/observe/deploy-wait.js";
import type { Release, SupervisorReport } from "../../src/state/types.js";

const report = (id: string, over: Partial<SupervisorReport> = {}): SupervisorReport => ({
  id,
  user: "ana",
  host: "box",
  pid: 7,
  startedAt: 1,
  scope: "all",
  apps: [{ app: "web", mode: "supervising", leader: true, lastReconciledAt: 40_000 }],
  updatedAt: 50_000,
  expiresAt: 60_000,
  ...over,
});

const DAY = 24 * 3_600_000;

/** Seen from another machine than the reports': no pid of theirs can be looked at. */
const elsewhere = (now: number): Liveness => ({ now, hostname: "laptop", isAlive: () => false });

describe("supervisor coverage", () => {
  it("names the live leader, counts waiting supervisors and ignores expired reports", () => {
    const reports = [
      report("a"),
      report("b", { pid: 8, apps: [{ app: "web", mode: "standby", leader: false }] }),
      report("c", { pid: 9, expiresAt: 10_000, apps: [{ app: "api", mode: "supervising", leader: true }] }),
    ];
    const web = coverageOf("web", reports, elsewhere(55_000));
    expect(web).toMatchObject({ supervisors: 2, leader: { user: "ana", host: "box", pid: 7 } });
    expect(coverageText(web, 55_000)).toBe("supervised by ana@box (pid 7, reconciled 15s ago)");
    const api = coverageOf("api", reports, elsewhere(55_000));
    expect(coverageText(api, 55_000)).toBe("not supervised");
    const waiting = coverageOf("web", [reports[1] as SupervisorReport], elsewhere(55_000));
    expect(coverageText(waiting, 55_000)).toBe("supervisors: 1 waiting, none leads");
    const braked = coverageOf(
      "web",
      [
        report("a", {
          apps: [{ app: "web", mode: "holding", leader: true, brake: "3 of 4 instances lost within 60s" }],
        }),
      ],
      elsewhere(55_000),
    );
    expect(coverageText(braked, 55_000)).toBe(
      "supervised by ana@box (pid 7, holding, not reconciled yet, BRAKE: 3 of 4 instances lost within 60s)",
    );
  });

  it("counts no report of a supervisor of this machine whose process is gone, before its report expires", () => {
    const reports = [
      report("a", { pid: 7 }),
      report("b", { pid: 8, apps: [{ app: "web", mode: "standby", leader: false }] }),
    ];
    const here = (alive: readonly number[]): Liveness => ({
      now: 55_000,
      hostname: "box",
      isAlive: (pid) => alive.includes(pid),
    });
    expect(coverageOf("web", reports, here([7, 8]))).toMatchObject({ supervisors: 2, leader: { pid: 7 } });
    // The leader was killed with SIGKILL: its report stays in the store until it expires, its process does not.
    const leaderGone = coverageOf("web", reports, here([8]));
    expect(leaderGone).toEqual({ supervisors: 1 });
    expect(coverageText(leaderGone, 55_000)).toBe("supervisors: 1 waiting, none leads");
    expect(coverageOf("web", reports, here([]))).toEqual({ supervisors: 0 });
  });

  it("dates the last hold of a framework from releases, progress and leading supervisors", () => {
    const release = { number: 1, createdAt: 1000, finishedAt: 2000 } as Release;
    expect(lastHeldAt("web", [], undefined, [])).toBeUndefined();
    expect(lastHeldAt("web", [release], undefined, [])).toBe(2000);
    expect(
      lastHeldAt("web", [release], { release: 1, phase: "interrupted", launched: [], updatedAt: 3000 }, []),
    ).toBe(3000);
    expect(lastHeldAt("web", [release], undefined, [report("a")])).toBe(50_000);
    expect(lastHeldAt("api", [release], undefined, [report("a")])).toBe(2000);
  });

  it("warns in the last quarter of the failover timeout, unless a supervisor holds the framework", () => {
    const timeout = 7 * DAY;
    expect(failoverWarning("web", 0, timeout, false, 5 * DAY)).toBeUndefined();
    expect(failoverWarning("web", 0, timeout, false, 6 * DAY)).toBe(
      "no titan has held the framework of web for 6d: in 24h its failover timeout (7d) passes and Mesos kills every instance; run `titan supervise web` (it holds the framework), or any titan deploy of web",
    );
    expect(failoverWarning("web", 0, timeout, true, 6 * DAY)).toBeUndefined();
    expect(failoverWarning("web", 0, timeout, false, 8 * DAY)).toContain(
      "past its failover timeout of 7d: Mesos may have removed it and killed its instances",
    );
    expect(failoverWarning("web", undefined, timeout, false, 8 * DAY)).toBeUndefined();
  });
});
