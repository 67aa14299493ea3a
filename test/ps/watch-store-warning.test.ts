import { afterEach, describe, expect, it } from "vitest";
import { type Env, systemClock } from "../../src/cli/env.js";
import { runPs } from "../../src/commands/ps/run.js";
import { StateStoreError } from "../../src/state/errors.js";
import type { StateStore } from "../../src/state/types.js";
import { testEnv } from "../support/env.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

/** A state store every read of which fails with the problem of the moment; it counts the reads. */
function unreadableStore(problem: () => string): { store: StateStore; reads: () => number } {
  let reads = 0;
  const store = new Proxy({} as StateStore, {
    get(_target, name) {
      // Not a promise: `await` looks for `then`.
      if (name === "then") return undefined;
      if (name === "close") return async () => undefined;
      return async () => {
        reads += 1;
        throw new StateStoreError(problem(), "check that the ensemble runs");
      };
    },
  });
  return { store, reads: () => reads };
}

/** Waits for `check`, or for the watch to end first (which it must not). */
async function until(check: () => boolean, what: string, watching: Promise<number>): Promise<void> {
  let ended: unknown;
  void watching.then(
    (code) => {
      ended = `the watch ended with ${code}`;
    },
    (error: unknown) => {
      ended = error;
    },
  );
  for (let i = 0; i < 400 && !check() && ended === undefined; i += 1)
    await new Promise((r) => setTimeout(r, 25));
  if (ended !== undefined) throw ended;
  if (!check()) throw new Error(`never saw ${what}`);
}

describe("titan ps --watch with a state store that cannot be read", () => {
  it("says the store's problem once, and again only when it changes, not at every refresh", async () => {
    const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1" }]);
    let problem = "cannot reach the ZooKeeper state store zk://zk1:2181/titan: connection refused";
    const { store, reads } = unreadableStore(() => problem);
    const controller = new AbortController();
    stops.push(controller);
    const t = testEnv({ signal: controller.signal });
    const env: Env = {
      ...t.env,
      clock: systemClock,
      target: async (flags) => ({ ...(await t.env.target(flags)), observedStore: async () => store }),
    };
    const watching = runPs(env, {
      apps: [],
      allRegions: false,
      all: false,
      json: false,
      watch: true,
      interval: "100ms",
      master: cluster.master.url,
    });
    await until(() => reads() >= 4, "four refreshes", watching);
    problem = "cannot reach the ZooKeeper state store zk://zk1:2181/titan: no server answered within 3s";
    const changedAt = reads();
    await until(() => reads() >= changedAt + 4, "four more refreshes", watching);
    controller.abort();
    expect(await watching).toBe(0);
    const warnings = t
      .err()
      .split("\n")
      .filter((line) => line.startsWith("warning:"));
    expect(warnings).toEqual([
      'warning: cannot reach the ZooKeeper state store zk://zk1:2181/titan: connection refused (check that the ensemble runs); desired counts are unknown ("-")',
      'warning: cannot reach the ZooKeeper state store zk://zk1:2181/titan: no server answered within 3s (check that the ensemble runs); desired counts are unknown ("-")',
    ]);
    expect(t.out()).toMatch(/web\s+desired -\s+running 1/);
  });
});
