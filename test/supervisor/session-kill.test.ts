import { afterEach, describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { DEFAULT_BRAKE } from "../../src/deploy/brake.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../../src/deploy/reconcile-rounds.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { Release } from "../../src/state/types.js";
import { SupervisedSession } from "../../src/supervisor/app-session.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { FRAMEWORK_ID, fakeMaster, reconciledIds, update } from "../deploy/fake-master.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";

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

const release: Release = {
  app: "web",
  number: 2,
  manifestDigest: "sha256:release-2",
  spec,
  createdAt: Date.now(),
  user: "tester",
  outcome: "deployed",
};

/** A running task of release 2 for `instance`. */
function task(instance: number): TitanTask {
  return {
    taskId: `web.2.${instance}.1`,
    frameworkId: FRAMEWORK_ID,
    framework: "titan:web",
    health: "none",
    app: "web",
    instance,
    release: 2,
    digest: "sha256:release-2",
    state: "TASK_RUNNING",
    agentId: "7a1c2b3d-0000-4000-8000-00000000f00d-S0",
    hostname: "agent-0.local",
    demand: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
    ports: [],
  };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a supervisor's kills", () => {
  it("are logged once each, when the KILL goes through, not for a KILL the master refused (503)", async () => {
    const master = await fakeMaster();
    const alive = new Set(["web.2.0.1", "web.2.1.1"]);
    let refusals = 1;
    master.onCall((call, m) => {
      if (call.type === "RECONCILE")
        for (const id of reconciledIds(call))
          if (alive.has(id))
            m.push(update(id, "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }));
      if (call.type === "KILL") {
        if (refusals > 0) {
          refusals -= 1;
          return 503;
        }
        const id = (call.kill as { task_id: { value: string } }).task_id.value;
        alive.delete(id);
        m.push(update(id, "TASK_KILLED"));
      }
      return undefined;
    });
    const killing: string[] = [];
    const log: SupervisorLog = {
      debug() {},
      info(_app, message, fields) {
        if (message === "killing") killing.push(String(fields?.task));
      },
      warn() {},
      error() {},
    };
    const session = await surplusSession(master.url, "titan-supervise-kill-", log);
    const stop = new AbortController();
    const running = session.run(stop.signal);
    try {
      // The fake master ends the task as it takes the KILL, before the session has its answer and logs the kill.
      await eventually(() => !alive.has("web.2.1.1") && killing.length > 0, "the surplus task's end, logged");
      expect(master.calls("KILL").length).toBeGreaterThanOrEqual(2);
      expect(killing).toEqual(["web.2.1.1"]);
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);
});

describe("a supervisor's lost lines", () => {
  it("say relaunch_in only for an instance it relaunches, not for a surplus one", async () => {
    const master = await fakeMaster();
    // The master answers that the surplus task is gone from its agent (a scale-down killed it meanwhile).
    master.onCall((call, m) => {
      if (call.type === "RECONCILE")
        for (const id of reconciledIds(call))
          m.push(
            id === "web.2.1.1"
              ? update(id, "TASK_GONE", {
                  fromMaster: true,
                  reason: "REASON_RECONCILIATION",
                  message: "Reconciliation: Task is unknown to the agent",
                })
              : update(id, "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }),
          );
      return undefined;
    });
    const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const log: SupervisorLog = {
      debug() {},
      info() {},
      warn: (_app, message, fields) => void warnings.push({ message, fields }),
      error() {},
    };
    const session = await surplusSession(master.url, "titan-supervise-lost-", log);
    const stop = new AbortController();
    const running = session.run(stop.signal);
    try {
      await eventually(() => warnings.some((w) => w.message === "lost"), "the lost line");
      const lost = warnings.find((w) => w.message === "lost");
      expect(lost?.fields).toMatchObject({ task: "web.2.1.1", instance: 1, state: "TASK_GONE" });
      expect(lost?.fields).not.toHaveProperty("relaunch_in");
    } finally {
      stop.abort();
      await running;
    }
  }, 20_000);
});

/** A session of `web` (release 2, one instance wanted) that knows two running tasks: instance 1 is surplus. */
async function surplusSession(
  masterUrl: string,
  prefix: string,
  log: SupervisorLog,
): Promise<SupervisedSession> {
  const cluster = MasterCluster.fromConfig({ masters: [masterUrl] });
  clusters.push(cluster);
  const store = new FileStateStore(`file://${tempDir(prefix)}`, {
    clock: { now: () => Date.now() },
    hostname: "test-host",
  });
  await store.importApp({ app: "web", frameworkId: FRAMEWORK_ID, releases: [release] });
  return new SupervisedSession(
    {
      app: "web",
      store,
      cluster,
      framework: { user: "root", role: "titan", failoverTimeoutSeconds: 604_800 },
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
      target: { spec, release, environment: {} },
      desired: 1,
      releases: [release],
      frameworkId: FRAMEWORK_ID,
      // Two instances run where one is wanted (a scale-down whose deploy stopped): the surplus one is stopped.
      known: [task(0), task(1)],
      writtenAhead: [],
    },
  );
}
