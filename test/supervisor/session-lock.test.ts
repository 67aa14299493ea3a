import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_BRAKE } from "../../src/deploy/brake.js";
import { DEFAULT_RECONCILE_TIMINGS } from "../../src/deploy/reconcile-rounds.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { Release } from "../../src/state/types.js";
import { SupervisedSession } from "../../src/supervisor/app-session.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { FRAMEWORK_ID, fakeMaster } from "../deploy/fake-master.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "../support/tmp.js";

const clusters: MasterCluster[] = [];
afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.close();
});

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

describe("a supervisor's subscription when a deploy took the lock meanwhile", () => {
  it("steps aside as soon as it is subscribed, before sending anything", async () => {
    const master = await fakeMaster();
    const cluster = MasterCluster.fromConfig({ masters: [master.url] });
    clusters.push(cluster);
    const store = new FileStateStore(`file://${tempDir("titan-supervise-lock-")}`, {
      clock: { now: () => Date.now() },
      hostname: "test-host",
    });
    const spec = appSpec({ name: "web", instances: 2 });
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
        desired: 2,
        releases: [release],
        frameworkId: FRAMEWORK_ID,
        known: [],
        writtenAhead: [],
      },
    );
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
});
