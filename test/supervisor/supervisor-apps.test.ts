import { describe, expect, it } from "vitest";
import type { StateStore, SupervisorReport } from "../../src/state/types.js";
import type { AppSupervisorDeps } from "../../src/supervisor/app-supervisor.js";
import type { Leadership, LeaderTerm } from "../../src/supervisor/leadership.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { Supervisor } from "../../src/supervisor/supervisor.js";

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Resolves once `check` holds, letting timers and promises run in between. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A store of the given apps (each idle: no release recorded) and an election that `hello` wins at once while
 * `web` waits in the queue (another supervisor leads it); it tracks who leads, who waits and who left.
 */
function setup(scope: readonly string[] | "all") {
  const stored = { names: ["hello", "web"] };
  const reports: SupervisorReport[] = [];
  const store = {
    apps: async () => stored.names,
    currentLock: async () => undefined,
    releases: async () => [],
    frameworkId: async () => undefined,
    saveSupervisorReport: async (report: SupervisorReport) => {
      reports.push(report);
    },
    removeSupervisorReport: async () => {},
  } as unknown as StateStore;
  const contending = new Set<string>();
  const leadership: Leadership = {
    async acquire(app, signal): Promise<LeaderTerm> {
      contending.add(app);
      if (app === "hello")
        return { lost: new AbortController().signal, resign: async () => void contending.delete(app) };
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          contending.delete(app);
          reject(signal.reason);
        }),
      );
    },
    async leader() {
      return undefined;
    },
  };
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const appDeps = {
    store,
    leadership,
    settings: { lockPollMs: 5 },
    log: quiet,
    now: () => Date.now(),
    vars: {},
    sleep,
    readTasks: async () => ({ tasks: [], gpuAgents: new Set<string>() }),
  } as unknown as AppSupervisorDeps;
  const supervisor = new Supervisor({
    identity: { user: "ana", host: "box", pid: process.pid, startedAt: Date.now() },
    id: "sup-1",
    scope,
    store,
    appDeps,
    now: () => Date.now(),
    reportIntervalMs: 10,
  });
  return { stored, reports, contending, supervisor };
}

describe("titan supervise --all and apps the store no longer has", () => {
  it("stops contending for a purged app and drops it from /healthz, /metrics and the report", async () => {
    const { stored, reports, contending, supervisor } = setup("all");
    const stop = new AbortController();
    const running = supervisor.run(stop.signal);
    await until(
      () => supervisor.stats().some((s) => s.app === "hello" && s.mode === "idle") && contending.has("web"),
      "hello led (idle) and web waiting",
    );
    expect(supervisor.metrics()).toContain('titan_supervisor_leader{app="hello"} 1');

    stored.names = []; // titan stop hello web --purge
    await until(() => contending.size === 0, "both leaving the election");
    await until(() => supervisor.stats().length === 0, "both dropped");
    expect(supervisor.health().detail).toMatchObject({ apps: {} });
    expect(supervisor.metrics()).not.toContain('app="hello"');
    expect(supervisor.metrics()).not.toContain('app="web"');
    const reportsAfter = reports.length;
    await until(() => reports.length > reportsAfter, "a report written after");
    expect(reports.at(-1)?.apps).toEqual([]);

    stored.names = ["web"]; // deployed again: supervised again
    await until(() => contending.has("web"), "web contended for again");
    expect(supervisor.stats().map((s) => s.app)).toEqual(["web"]);

    stop.abort();
    await running;
    expect(contending.size).toBe(0);
  });

  it("keeps supervising an app named on the command line although the store no longer has it", async () => {
    const { stored, contending, supervisor } = setup(["hello"]);
    const stop = new AbortController();
    const running = supervisor.run(stop.signal);
    await until(() => supervisor.stats().some((s) => s.mode === "idle"), "hello led (idle)");
    stored.names = [];
    await new Promise((r) => setTimeout(r, 50));
    expect(supervisor.stats()).toEqual([expect.objectContaining({ app: "hello", leader: true })]);
    expect(contending.has("hello")).toBe(true);
    stop.abort();
    await running;
  });
});
