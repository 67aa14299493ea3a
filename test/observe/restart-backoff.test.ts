import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { type AppStatus, statusJson, statusLine } from "../../src/observe/app-status.js";
import { coverageOf } from "../../src/observe/coverage.js";
import type { Liveness } from "../../src/observe/deploy-wait.js";
import { groupByApp } from "../../src/observe/group.js";
import { psToJson, renderPs } from "../../src/observe/ps-view.js";
import { restartText } from "../../src/observe/restart-backoff.js";
import { endReason } from "../../src/observe/task-end.js";
import { diffRows, renderChange, snapshotRows } from "../../src/observe/watch-diff.js";
import { readSupervisorReport } from "../../src/state/records.js";
import type { InstanceBackoff, SupervisorReport } from "../../src/state/types.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const plain = new Chalk({ level: 0 });
/** Read on another machine than the supervisor's: its report is judged by its expiry alone. */
const elsewhere = (now: number): Liveness => ({ now, hostname: "laptop", isAlive: () => false });

const crashed: InstanceBackoff = {
  instance: 1,
  restarts: 3,
  nextLaunchAt: NOW + 25_000,
  lastState: "TASK_FAILED",
  reason: "exit 1",
};

function report(backoff: InstanceBackoff[], over: Partial<SupervisorReport> = {}): SupervisorReport {
  return {
    id: "sup-1",
    user: "ana",
    host: "box",
    pid: 42,
    startedAt: NOW - 600_000,
    scope: ["web"],
    apps: [{ app: "web", mode: "supervising", leader: true, lastReconciledAt: NOW - 12_000, backoff }],
    updatedAt: NOW - 2000,
    expiresAt: NOW + 13_000,
    ...over,
  };
}

function task(instance: number, state: TitanTask["state"], over: Partial<TitanTask> = {}): TitanTask {
  return {
    app: "web",
    instance,
    release: 4,
    taskId: `web.4.${instance}.1`,
    frameworkId: "f1",
    framework: "titan:web",
    digest: "sha256:4",
    demand: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
    agentId: "a1",
    state,
    health: "none",
    hostname: "agent-1",
    ports: [],
    startedAt: NOW - 300_000,
    since: NOW - 2000,
    ...over,
  };
}

function section(tasks: TitanTask[], reports: SupervisorReport[], options: { ended?: boolean } = {}) {
  const coverage = new Map([["web", coverageOf("web", reports, elsewhere(NOW))]]);
  return [
    {
      context: "prod",
      cluster: "prod",
      master: "http://m:5050",
      apps: groupByApp(tasks, { coverage, desired: new Map([["web", 3]]), ...options }),
    },
  ];
}

describe("why a task ended, in a few words", () => {
  it("shortens the command executor's wait status and says a health check's kill as such", () => {
    expect(endReason({ state: "TASK_FAILED", message: "Command exited with status 1" })).toBe("exit 1");
    expect(endReason({ state: "TASK_FAILED", message: "Command terminated with signal Killed" })).toBe(
      "signal Killed",
    );
    expect(
      endReason({ state: "TASK_KILLED", message: "Command exited with status 0", healthCheck: true }),
    ).toBe("failed its health check");
    expect(endReason({ state: "TASK_LOST" })).toBe("lost");
    expect(endReason({ state: "TASK_FAILED", message: "x".repeat(500) })).toHaveLength(120);
  });
});

describe("an instance a supervisor holds in restart backoff", () => {
  it("is counted down against the reader's clock, crashes and other ends said apart", () => {
    expect(restartText(crashed, NOW)).toBe("restarting in 25s (crashed 3×: exit 1)");
    expect(restartText(crashed, NOW + 24_001)).toBe("restarting in 1s (crashed 3×: exit 1)");
    expect(restartText({ ...crashed, nextLaunchAt: NOW + 100_000 }, NOW)).toBe(
      "restarting in 1m40s (crashed 3×: exit 1)",
    );
    // Its time came: the supervisor launches it as an offer holds it.
    expect(restartText(crashed, NOW + 30_000)).toBe("restarting now (crashed 3×: exit 1)");
    expect(restartText({ ...crashed, restarts: 1, lastState: "TASK_LOST", reason: "lost" }, NOW)).toBe(
      "restarting in 25s (ended 1×: lost)",
    );
  });

  it("is a row of ps with its last run, also without --all, as text and JSON", () => {
    const tasks = [task(0, "TASK_RUNNING"), task(1, "TASK_FAILED"), task(2, "TASK_FINISHED")];
    const sections = section(tasks, [report([crashed])]);
    const text = renderPs(sections, NOW, plain).join("\n");
    expect(text).toMatch(/^ {2}1 +4 +restarting in 25s \(crashed 3×: exit 1\) +- +agent-1 +- +5m$/m);
    // Instance 2 ended and nothing launches it again: hidden as before.
    expect(text).toContain("1 ended instance not shown (--all shows them)");
    const json = psToJson(sections, NOW) as {
      regions: Array<{ apps: Array<{ instances: Array<Record<string, unknown>> }> }>;
    };
    const instances = json.regions[0]?.apps[0]?.instances ?? [];
    expect(instances.map((i) => i.instance)).toEqual([0, 1]);
    expect(instances[0]).toMatchObject({ state_text: "running", restart: null });
    expect(instances[1]).toEqual(
      expect.objectContaining({
        task_id: "web.4.1.1",
        state: "TASK_FAILED",
        state_text: "restarting in 25s (crashed 3×: exit 1)",
        restart: {
          next_launch_at: new Date(NOW + 25_000).toISOString(),
          in_seconds: 25,
          restarts: 3,
          last_state: "TASK_FAILED",
          reason: "exit 1",
        },
      }),
    );
  });

  it("is a row even when the master lists no task of it, its task fields unknown", () => {
    const sections = section([task(0, "TASK_RUNNING")], [report([{ ...crashed, instance: 2 }])]);
    const text = renderPs(sections, NOW, plain).join("\n");
    expect(text).toMatch(/^ {2}2 +- +restarting in 25s \(crashed 3×: exit 1\) +- +- +- +-$/m);
    const json = psToJson(sections, NOW) as {
      regions: Array<{ apps: Array<{ instances: Array<Record<string, unknown>> }> }>;
    };
    expect(json.regions[0]?.apps[0]?.instances[1]).toMatchObject({
      instance: 2,
      task_id: null,
      state: null,
      state_text: "restarting in 25s (crashed 3×: exit 1)",
      restart: { in_seconds: 25 },
    });
  });

  it("is not claimed once the supervisor's report is stale, nor for an instance that runs again", () => {
    const tasks = [task(0, "TASK_RUNNING"), task(1, "TASK_FAILED")];
    const stale = report([crashed], { updatedAt: NOW - 20_000, expiresAt: NOW - 5000 });
    const text = renderPs(section(tasks, [stale]), NOW, plain).join("\n");
    expect(text).not.toContain("restarting");
    expect(text).toContain("1 ended instance not shown");
    // The relaunch came before the next report: the running task is what the row shows.
    const back = [...tasks, task(1, "TASK_RUNNING", { taskId: "web.4.1.2" })];
    expect(renderPs(section(back, [report([crashed])]), NOW, plain).join("\n")).not.toContain("restarting");
  });

  it("changes a watch's line once, not with every second of its countdown", () => {
    const tasks = [task(1, "TASK_FAILED")];
    const before = snapshotRows(section(tasks, []));
    const held = snapshotRows(section(tasks, [report([crashed])]));
    const later = snapshotRows(section(tasks, [report([{ ...crashed, nextLaunchAt: NOW + 9000 }])]));
    expect(diffRows(held, later)).toEqual([]);
    // An ended instance is hidden from a watch as from ps, until a supervisor says it comes back.
    expect(diffRows(before, held).map((c) => renderChange(c, NOW))).toEqual([
      "2026-01-01T12:00:00.000Z  web[1]  new: restarting (crashed 3×: exit 1)  web.4.1.1",
    ]);
    const all = snapshotRows(section(tasks, [], { ended: true }));
    expect(diffRows(all, held).map((c) => renderChange(c, NOW))).toEqual([
      "2026-01-01T12:00:00.000Z  web[1]  failed -> restarting (crashed 3×: exit 1)  web.4.1.1",
    ]);
  });

  it("is said by status, with JSON", () => {
    const status: AppStatus = {
      app: "web",
      verdict: "degraded",
      desired: 2,
      running: 1,
      healthy: 1,
      restarting: [crashed],
    };
    expect(statusLine(status, NOW)).toBe(
      "web  degraded  desired 2  running 1  healthy 1 · no release deployed · web[1] restarting in 25s (crashed 3×: exit 1)",
    );
    expect(statusJson(status, NOW).restarting).toEqual([
      {
        instance: 1,
        next_launch_at: new Date(NOW + 25_000).toISOString(),
        in_seconds: 25,
        restarts: 3,
        last_state: "TASK_FAILED",
        reason: "exit 1",
      },
    ]);
  });

  it("is kept in a report the store checks on read", () => {
    expect(readSupervisorReport(report([crashed]))).toMatchObject({ ok: true });
    const bad = report([{ ...crashed, nextLaunchAt: Number.NaN }]);
    expect(readSupervisorReport(JSON.parse(JSON.stringify(bad)))).toMatchObject({
      ok: false,
      problem: expect.stringContaining("apps[0].backoff[0].nextLaunchAt"),
    });
  });
});
