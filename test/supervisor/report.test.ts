import { describe, expect, it } from "vitest";
import { sleep } from "../../src/observe/sleep.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { SupervisorReport } from "../../src/state/types.js";
import type { AppSupervisorDeps } from "../../src/supervisor/app-supervisor.js";
import type { Leadership, LeaderTerm } from "../../src/supervisor/leadership.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { Supervisor } from "../../src/supervisor/supervisor.js";
import { tempDir } from "../support/tmp.js";

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A lead won `afterMs` after asking, as an election decided a moment after the supervisor started. */
function leadAfter(afterMs: number): Leadership {
  return {
    async acquire(_app, signal): Promise<LeaderTerm> {
      await sleep(afterMs, signal);
      if (signal.aborted) throw signal.reason;
      return { lost: new AbortController().signal, resign: async () => {} };
    },
    async leader() {
      return undefined;
    },
  };
}

describe("the supervisor's report in the store", () => {
  it("says it leads as soon as it does, not at its next refresh, and is removed at shutdown", async () => {
    const store = new FileStateStore(`file://${tempDir("titan-supervise-report-")}`, {
      clock: { now: () => Date.now() },
      hostname: "box",
    });
    const appDeps = {
      store,
      leadership: leadAfter(50),
      settings: { lockPollMs: 50 },
      log: quiet,
      now: () => Date.now(),
      vars: {},
      sleep: async (ms: number, signal: AbortSignal) => {
        await sleep(ms, signal);
      },
      readTasks: async () => ({ tasks: [], gpuAgents: new Set<string>() }),
    } as unknown as AppSupervisorDeps;
    const supervisor = new Supervisor({
      identity: { user: "ana", host: "box", pid: process.pid, startedAt: Date.now() },
      id: "sup-1",
      scope: ["web"],
      store,
      appDeps,
      now: () => Date.now(),
      // Far longer than the test: only a report on the change of lead can say it leads.
      reportIntervalMs: 60_000,
    });
    const stop = new AbortController();
    const running = supervisor.run(stop.signal);
    const leads = (reports: readonly SupervisorReport[]) =>
      reports.some((r) => r.apps.some((a) => a.app === "web" && a.leader));
    let reports: SupervisorReport[] = [];
    for (let i = 0; i < 200 && !leads(reports); i++) {
      await new Promise((r) => setTimeout(r, 10));
      reports = await store.supervisorReports();
    }
    expect(reports.map((r) => r.apps)).toEqual([[expect.objectContaining({ app: "web", leader: true })]]);
    stop.abort();
    await running;
    expect(await store.supervisorReports()).toEqual([]);
  });
});
