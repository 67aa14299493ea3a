import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
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
      // The deploy's wait alone would take this long: an observation that gives up sooner used the shorter one.
      expect(took, argv.join(" ")).toBeLessThan(DEPLOY_CONNECT_MS);
    }
  }, 90_000);
});
