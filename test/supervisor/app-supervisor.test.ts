import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import type { LockRecord, StateStore } from "../../src/state/types.js";
import { AppSupervisor, type AppSupervisorDeps } from "../../src/supervisor/app-supervisor.js";
import type { Leadership, LeaderTerm } from "../../src/supervisor/leadership.js";
import type { SupervisorLog } from "../../src/supervisor/log.js";
import { sharedTaskReader } from "../../src/supervisor/task-reader.js";
import { appSpec } from "../plan/builders.js";

const quiet: SupervisorLog = { debug() {}, info() {}, warn() {}, error() {} };

/** A deploy's lock held by a live process on another host. */
const deployLock: LockRecord = {
  user: "bo",
  host: "elsewhere",
  pid: 4242,
  purpose: "deploy hello release 2",
  token: "t",
  acquiredAt: Date.now(),
  expiresAt: Date.now() + 3_600_000,
};

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves once `check` holds, letting timers and promises run in between. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("an app supervisor that loses the lead", () => {
  it("reports standby, not aside, when a lock read of its lost term answers after it stopped acting", async () => {
    // The first term is won at once; any later one waits (another supervisor leads now).
    const lost = new AbortController();
    let terms = 0;
    const leadership: Leadership = {
      async acquire(_app, signal): Promise<LeaderTerm> {
        terms += 1;
        if (terms === 1) return { lost: lost.signal, resign: async () => {} };
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
      async leader() {
        return undefined;
      },
    };
    // The first lock read answers at once (a deploy holds it: aside); the second one hangs, as a read from a
    // store cut off from ZooKeeper does, until the test lets it answer.
    const hanging = deferred<LockRecord | undefined>();
    let lockReads = 0;
    const store = {
      async currentLock(): Promise<LockRecord | undefined> {
        lockReads += 1;
        return lockReads === 1 ? deployLock : hanging.promise;
      },
    } as unknown as StateStore;
    const deps = {
      store,
      leadership,
      settings: { lockPollMs: 1 },
      log: quiet,
      now: () => Date.now(),
      vars: {},
      sleep: (ms: number, signal: AbortSignal) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        }),
      readTasks: async () => ({ tasks: [], gpuAgents: new Set<string>() }),
    } as unknown as AppSupervisorDeps;
    const supervisor = new AppSupervisor("hello", deps);
    const shutdown = new AbortController();
    const running = supervisor.run(shutdown.signal);

    await until(() => lockReads === 2, "the second lock read");
    expect(supervisor.stats()).toMatchObject({ mode: "aside", leader: true });
    lost.abort(new Error("session expired"));
    await until(() => terms === 2, "contending again");
    expect(supervisor.stats()).toMatchObject({ mode: "standby", leader: false });

    // The lost term's read answers now: a deploy still holds the lock, but this supervisor no longer leads.
    hanging.resolve(deployLock);
    await new Promise((r) => setTimeout(r, 20));
    expect(supervisor.stats()).toMatchObject({ mode: "standby", leader: false });

    shutdown.abort();
    await running;
  });
});

describe("an app supervisor taking the app back from a deploy", () => {
  it("reads the master's state anew, not the shared read from before the deploy ended", async () => {
    let now = 1000;
    const surplus = {
      taskId: "web.2.3.1",
      frameworkId: "fw",
      framework: "titan:web",
      health: "none",
      app: "web",
      instance: 3,
      release: 2,
      digest: "sha256:release-2",
      state: "TASK_RUNNING",
      agentId: "agent-0",
      hostname: "agent-0.local",
      demand: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
      ports: [],
    } as const;
    // Another app's turn read the master's state at 1000, when a scale-down's surplus instance still ran.
    let listed: TitanTask[] = [surplus];
    const shared = sharedTaskReader(
      async () => ({ tasks: [...listed], gpuAgents: new Set<string>(), recoveringAgents: 0 }),
      () => now,
    );
    await shared("web", "fw", new AbortController().signal, now);
    // The scale-down kills it and releases the lock; this app's supervisor finds the lock free at 1500.
    listed = [];
    now = 1500;
    const release = {
      app: "web",
      number: 3,
      manifestDigest: "sha256:release-2",
      spec: appSpec({ name: "web", image: undefined, instances: 3, ports: [] }),
      createdAt: 0,
      user: "tester",
      outcome: "deployed",
    };
    const store = {
      currentLock: async () => undefined,
      releases: async () => [release],
      frameworkId: async () => "fw",
      progress: async () => undefined,
    } as unknown as StateStore;
    const shutdown = new AbortController();
    let seen: readonly TitanTask[] | undefined;
    const deps = {
      store,
      leadership: {
        acquire: async () => ({ lost: new AbortController().signal, resign: async () => {} }),
        leader: async () => undefined,
      },
      settings: { lockPollMs: 1 },
      log: quiet,
      now: () => now,
      vars: {},
      sleep: async () => {},
      readTasks: async (app: string, frameworkId: string, signal: AbortSignal, notBefore: number) => {
        const read = await shared(app, frameworkId, signal, notBefore);
        seen = read.tasks;
        // Only the read matters here: the turn ends before it subscribes.
        shutdown.abort();
        return read;
      },
    } as unknown as AppSupervisorDeps;
    await new AppSupervisor("web", deps).run(shutdown.signal);
    expect(seen).toEqual([]);
  });
});
