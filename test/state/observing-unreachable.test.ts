import { describe, expect, it } from "vitest";
import { StateStoreError } from "../../src/state/errors.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { freePortRange } from "../support/ports.js";
import { homeWithDeadStore } from "../support/state-home.js";

/** How long a deploy waits for the ensemble's first answer; a command that only observes gives up well before. */
const DEPLOY_CONNECT_MS = 10_000;

describe("titan status, releases and logs with the state store unreachable", () => {
  it("say the store cannot be reached and exit 1 before a deploy's 10 s wait is over", async () => {
    const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1" }]);
    const { env, store } = await homeWithDeadStore(cluster.master.url);
    for (const argv of [["status"], ["status", "web"], ["releases", "web"], ["logs", "api"]]) {
      const started = Date.now();
      const run = await runCli(argv, { env });
      const took = Date.now() - started;
      expect(run.stderr, argv.join(" ")).toContain(`error: cannot reach the ZooKeeper state store ${store}`);
      expect(run.code).toBe(1);
      // Nothing was going to change: an observation does not say so, as a deploy stopped by the store does.
      expect(run.stderr).toMatch(/^hint: check that the ensemble runs and that this machine can reach it$/m);
      // The deploy's wait alone would take this long: an observation that gives up sooner used the shorter one.
      expect(took, argv.join(" ")).toBeLessThan(DEPLOY_CONNECT_MS);
    }
  }, 90_000);
});

describe("the hint of a ZooKeeper state store that cannot be reached", () => {
  it("tells a changing command that nothing was changed, and an observing one only what to check", async () => {
    const { begin } = await freePortRange(1);
    const hint = async (observing: boolean): Promise<string | undefined> => {
      const store = new ZkStateStore(parseZkUrl(`zk://127.0.0.1:${begin}/titan`), {
        clock: { now: () => Date.now() },
        hostname: "test-host",
        connectTimeoutMs: 300,
        ...(observing ? { observing } : {}),
      });
      try {
        const error = await store.releases("web").then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StateStoreError);
        return (error as StateStoreError).hint;
      } finally {
        await store.close();
      }
    };
    expect(await hint(false)).toBe(
      "check that the ensemble runs and that this machine can reach it; nothing was changed",
    );
    expect(await hint(true)).toBe("check that the ensemble runs and that this machine can reach it");
  });
});
