import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BRAKE } from "../../src/deploy/brake.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../../src/deploy/reconcile-rounds.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { DeployProgress, Release } from "../../src/state/types.js";
import { fromProgressRecord, SupervisedSession } from "../../src/supervisor/app-session.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import {
  type FakeMaster,
  FRAMEWORK_ID,
  fakeMaster,
  launchedTasks,
  offer,
  reconciledIds,
  update,
} from "../deploy/fake-master.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";

const ROLE = "titan";
const clusters: MasterCluster[] = [];
afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.close();
});

const spec = appSpec({
  name: "web",
  image: undefined,
  instances: 1,
  ports: [],
  resources: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
});

function release(number: number, outcome: Release["outcome"]): Release {
  return {
    app: "web",
    number,
    manifestDigest: `sha256:release-${number}`,
    spec,
    createdAt: Date.now(),
    user: "tester",
    outcome,
  };
}

/** The master answers an explicit reconciliation as it does for tasks no agent knows: TASK_UNKNOWN. */
function answerUnknown(master: FakeMaster): void {
  master.onCall((call, m) => {
    if (call.type === "RECONCILE")
      for (const id of reconciledIds(call)) m.push(update(id, "TASK_UNKNOWN", { fromMaster: true }));
    return undefined;
  });
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

async function supervised(
  progress: DeployProgress,
  releases: Release[],
  supervisedRelease: Release,
  log: SupervisorLog = quiet,
) {
  const master = await fakeMaster();
  answerUnknown(master);
  const cluster = MasterCluster.fromConfig({ masters: [master.url] });
  clusters.push(cluster);
  const store = new FileStateStore(`file://${tempDir("titan-supervise-progress-")}`, {
    clock: { now: () => Date.now() },
    hostname: "test-host",
  });
  await store.importApp({ app: "web", frameworkId: FRAMEWORK_ID, releases, progress });
  const session = new SupervisedSession(
    {
      app: "web",
      store,
      cluster,
      framework: { user: "root", role: ROLE, failoverTimeoutSeconds: 604_800 },
      region: null,
      now: () => Date.now(),
      log,
      brakeSettings: DEFAULT_BRAKE,
      settings: {
        unreachableGraceMs: 60_000,
        reconcile: { ...DEFAULT_RECONCILE_TIMINGS, holdMs: 300, implicitSettleMs: 50 },
        lockPollMs: 60_000,
        tickMs: 10,
        seed: 1,
      },
    },
    {
      target: { spec, release: supervisedRelease, environment: {} },
      desired: 1,
      releases,
      frameworkId: FRAMEWORK_ID,
      known: [],
      ...fromProgressRecord(progress),
    },
  );
  const stop = new AbortController();
  const running = session.run(stop.signal);
  return { master, store, stop, running, session };
}

const AGENT_RESOURCES = [
  { name: "cpus", type: "SCALAR", scalar: { value: 2 }, allocation_info: { role: ROLE } },
  { name: "mem", type: "SCALAR", scalar: { value: 1024 }, allocation_info: { role: ROLE } },
];

describe("the write-ahead record a supervisor keeps", () => {
  it("forgets a written-ahead launch once the master answers that no agent knows it", async () => {
    // An interrupted deploy wrote web.2.0.1 ahead and never launched it; release 2 stays deployed by an earlier run.
    const progress: DeployProgress = {
      release: 2,
      phase: "finished",
      launched: ["web.2.0.1"],
      incarnations: { "2.0": 1 },
      updatedAt: Date.now(),
    };
    const r2 = release(2, "deployed");
    const { master, store, stop, running } = await supervised(progress, [r2], r2);
    try {
      await eventually(
        async () => ((await store.progress("web"))?.launched ?? []).length === 0,
        "the record to drop the answered id",
      );
      // Nothing was launched meanwhile: the id was dropped because it was answered, not replaced by a launch.
      expect(master.calls("ACCEPT")).toEqual([]);
      // Its incarnation is never used again.
      expect((await store.progress("web"))?.incarnations).toEqual({ "2.0": 1 });
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);

  it("keeps the record of a deploy stopped while rolling back when it relaunches an instance", async () => {
    // Release 3 failed; its deploy was rolling back to release 2 when it was stopped: `titan status` tells
    // whoever asks to finish with `titan rollback`, which only this record says.
    const progress: DeployProgress = {
      release: 2,
      phase: "interrupted",
      launched: ["web.3.0.1"],
      incarnations: { "3.0": 1 },
      rollback: { from: 3, to: 2, finish: "titan rollback web --yes" },
      updatedAt: Date.now(),
    };
    const r2 = release(2, "deployed");
    const releases = [release(1, "deployed"), r2, release(3, "pending")];
    const { master, store, stop, running } = await supervised(progress, releases, r2);
    try {
      await eventually(async () => master.subscriptions() === 1, "the subscription");
      await eventually(async () => master.calls("RECONCILE").length >= 2, "the reconciliation round");
      await new Promise((resolve) => setTimeout(resolve, 200));
      master.push(offer("o1", AGENT_RESOURCES));
      await eventually(async () => master.calls("ACCEPT").length === 1, "the relaunch");
      const [launched] = launchedTasks(master.calls("ACCEPT")[0] ?? { type: "ACCEPT" });
      const written = await store.progress("web");
      expect(written).toMatchObject({
        release: 2,
        phase: "interrupted",
        rollback: { from: 3, to: 2, finish: "titan rollback web --yes" },
      });
      expect(written?.launched).toEqual([launched?.task_id.value]);
      expect(written?.incarnations).toMatchObject({ "3.0": 1, "2.0": 1 });
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);
});

describe("a supervisor's ACCEPT the master never answers", () => {
  it("holds up nothing: the offers that come meanwhile are declined", async () => {
    const r1 = release(1, "deployed");
    const progress: DeployProgress = { release: 1, phase: "finished", launched: [], updatedAt: Date.now() };
    const { master, stop, running } = await supervised(progress, [r1], r1);
    try {
      await eventually(async () => master.calls("RECONCILE").length >= 1, "the implicit reconciliation");
      await new Promise((resolve) => setTimeout(resolve, 400));
      // The relaunch's ACCEPT is lost on the way: no answer, no launch.
      master.onCall((call) => (call.type === "ACCEPT" ? "hold" : undefined));
      master.push(offer("o1", AGENT_RESOURCES));
      await eventually(async () => master.calls("ACCEPT").length === 1, "the relaunch");
      master.push(offer("o2", AGENT_RESOURCES));
      await eventually(
        async () => master.calls("DECLINE").some((c) => JSON.stringify(c.decline).includes('"o2"')),
        "the DECLINE of the offer that came after",
      );
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);
});

describe("a crash loop, seen outside the log", () => {
  it("says when a failed instance is launched again, and counts it in backoff meanwhile", async () => {
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log: SupervisorLog = {
      ...quiet,
      warn: (_app, message, fields) => void warnings.push({ message, fields }),
    };
    const r1 = release(1, "deployed");
    const progress: DeployProgress = { release: 1, phase: "finished", launched: [], updatedAt: Date.now() };
    const { master, stop, running, session } = await supervised(progress, [r1], r1, log);
    try {
      await eventually(async () => master.calls("RECONCILE").length >= 1, "the implicit reconciliation");
      await new Promise((resolve) => setTimeout(resolve, 400));
      master.push(offer("o1", AGENT_RESOURCES));
      await eventually(async () => master.calls("ACCEPT").length === 1, "the launch");
      const [task] = launchedTasks(master.calls("ACCEPT")[0] ?? { type: "ACCEPT" });
      const id = task?.task_id.value ?? "";
      master.push(update(id, "TASK_RUNNING"));
      const failedAt = Date.now();
      master.push(update(id, "TASK_FAILED", { message: "Command exited with status 1" }));
      await eventually(async () => warnings.some((w) => w.message === "failed"), "the failed line");
      // The builders' restart policy: 1 s before the first relaunch.
      expect(warnings.find((w) => w.message === "failed")?.fields).toMatchObject({
        task: id,
        instance: 0,
        relaunch_in: "1s",
      });
      // The counters follow at the end of the turn that logged it.
      await eventually(async () => session.counters.inBackoff === 1, "the instance counted in backoff");
      // What the store report tells ps and status: which instance, how often it failed, when it comes back, why.
      expect(session.counters.backoff).toEqual([
        {
          instance: 0,
          restarts: 1,
          nextLaunchAt: expect.any(Number),
          lastState: "TASK_FAILED",
          reason: "exit 1",
        },
      ]);
      const nextLaunchAt = session.counters.backoff[0]?.nextLaunchAt ?? 0;
      expect(nextLaunchAt - failedAt).toBeGreaterThanOrEqual(1000);
      expect(nextLaunchAt - Date.now()).toBeLessThanOrEqual(1000);
      await eventually(async () => session.counters.inBackoff === 0, "the backoff over");
      expect(session.counters.backoff).toEqual([]);
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);
});
