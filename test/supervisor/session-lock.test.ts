import { afterEach, describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { DEFAULT_BRAKE } from "../../src/deploy/brake.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../../src/deploy/reconcile-rounds.js";
import type { AppSpec } from "../../src/manifest/types.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { Release } from "../../src/state/types.js";
import { SupervisedSession } from "../../src/supervisor/app-session.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { AGENT_ID, FRAMEWORK_ID, fakeMaster, reconciledIds, update } from "../deploy/fake-master.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";

const clusters: MasterCluster[] = [];
afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.close();
});

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A supervisor's session of `web` at release 1 (deployed, of `spec`), with the tasks it knows of. */
function supervisedWeb(
  masterUrl: string,
  spec: AppSpec,
  known: TitanTask[],
): { store: FileStateStore; session: SupervisedSession } {
  const cluster = MasterCluster.fromConfig({ masters: [masterUrl] });
  clusters.push(cluster);
  const store = new FileStateStore(`file://${tempDir("titan-supervise-lock-")}`, {
    clock: { now: () => Date.now() },
    hostname: "test-host",
  });
  const release: Release = {
    app: "web",
    number: 1,
    manifestDigest: "sha256:release-1",
    spec,
    createdAt: Date.now(),
    user: "tester",
    outcome: "deployed",
  };
  const session = new SupervisedSession(
    {
      app: "web",
      store,
      cluster,
      framework: { user: "root", role: "titan", failoverTimeoutSeconds: 604_800 },
      region: null,
      now: () => Date.now(),
      log: quiet,
      brakeSettings: DEFAULT_BRAKE,
      settings: {
        unreachableGraceMs: 60_000,
        reconcile: DEFAULT_RECONCILE_TIMINGS,
        lockPollMs: 60_000,
        tickMs: 10,
        seed: 1,
      },
    },
    {
      target: { spec, release, environment: {} },
      desired: spec.instances,
      releases: [release],
      frameworkId: FRAMEWORK_ID,
      known,
      writtenAhead: [],
    },
  );
  return { store, session };
}

describe("a supervisor's subscription when a deploy took the lock meanwhile", () => {
  it("steps aside as soon as it is subscribed, before sending anything", async () => {
    const master = await fakeMaster();
    const { store, session } = supervisedWeb(master.url, appSpec({ name: "web", instances: 2 }), []);
    // The deploy took the lock after the supervisor's last look at it (its next look is a minute away).
    await store.acquireLock(
      "web",
      { user: "ana", host: "test-host", pid: process.pid, purpose: "deploy web" },
      30_000,
    );
    const end = await session.run(new AbortController().signal);
    expect(end).toBe("deploy");
    expect(master.subscriptions()).toBe(1);
    // No reconciliation, revive or launch went out to work against the deploy.
    expect(master.calls()).toEqual([]);
  }, 20_000);

  it("steps aside before moving anything when inverse offers come while a drain holds the lock", async () => {
    const master = await fakeMaster();
    master.onCall((call, m) => {
      if (call.type === "RECONCILE")
        for (const id of reconciledIds(call))
          m.push(update(id, "TASK_RUNNING", { fromMaster: true, reason: "REASON_RECONCILIATION" }));
      return undefined;
    });
    const spec = appSpec({ name: "web", instances: 1, image: undefined, ports: [] });
    const { store, session } = supervisedWeb(master.url, spec, [
      {
        taskId: "web.1.0.1",
        frameworkId: FRAMEWORK_ID,
        framework: "titan:web",
        health: "none",
        app: "web",
        instance: 0,
        release: 1,
        digest: "sha256:release-1",
        state: "TASK_RUNNING",
        agentId: AGENT_ID,
        hostname: "agent-0.local",
        demand: spec.resources,
        ports: [],
      },
    ]);
    const stop = new AbortController();
    const running = session.run(stop.signal);
    try {
      const until = Date.now() + 15_000;
      while (!session.counters.acting) {
        if (Date.now() > until) throw new Error("the session never acted");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // A drain took the app's lock (the supervisor's next look at it is a minute away), then scheduled the agent:
      // the master asks the app's framework for it back while another agent offers room.
      await store.acquireLock(
        "web",
        { user: "ana", host: "test-host", pid: process.pid, purpose: "drain web" },
        30_000,
      );
      master.push({
        type: "INVERSE_OFFERS",
        inverse_offers: {
          inverse_offers: [
            {
              id: { value: "io-1" },
              framework_id: { value: FRAMEWORK_ID },
              agent_id: { value: AGENT_ID },
              url: { scheme: "http", address: { hostname: "agent-0.local", ip: "127.0.0.1", port: 5051 } },
              unavailability: { start: { nanoseconds: Date.now() * 1_000_000 } },
            },
          ],
        },
      });
      master.push({
        type: "OFFERS",
        offers: {
          offers: [
            {
              id: { value: "o-1" },
              framework_id: { value: FRAMEWORK_ID },
              agent_id: { value: "other-agent" },
              hostname: "agent-1.local",
              resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
                { name: "mem", type: "SCALAR", scalar: { value: 4096 } },
              ],
            },
          ],
        },
      });
      const end = await Promise.race([
        running,
        new Promise((resolve) => setTimeout(() => resolve("still running"), 3_000)),
      ]);
      expect(end).toBe("deploy");
      // The drain moves the instance: the supervisor launched, killed and answered nothing.
      expect(master.calls().filter((c) => /ACCEPT|KILL|DECLINE_INVERSE/.test(c.type))).toEqual([]);
    } finally {
      stop.abort();
      await running;
    }
  }, 30_000);
});
