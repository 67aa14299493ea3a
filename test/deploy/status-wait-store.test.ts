import { hostname } from "node:os";
import { describe, expect, it, vi } from "vitest";
import { runStatus } from "../../src/commands/status/run.js";
import { OBSERVE_CONNECT_MS } from "../../src/config/target.js";
import { FileStateStore } from "../../src/state/file-store.js";
import type { OpenStoreOptions } from "../../src/state/open.js";
import { appSpec } from "../plan/builders.js";
import { testEnv } from "../support/env.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";

/** Every state store connection the command opens, with how long its first connect may take. */
const opened = vi.hoisted(() => [] as Array<number | undefined>);

vi.mock("../../src/state/open.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/state/open.js")>();
  return {
    ...real,
    openStateStore: (url: string, options: OpenStoreOptions) => {
      opened.push(options.connectTimeoutMs);
      return real.openStateStore(url, options);
    },
  };
});

describe("titan status --wait", () => {
  it("reads the store through one observing connection, for the apps, the wait and the answers after it", async () => {
    const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1", release: 1 }]);
    const t = testEnv();
    const flags = { master: cluster.master.url };
    const seeded = new FileStateStore((await t.env.target(flags)).stateUrl, {
      clock: t.env.clock,
      hostname: hostname(),
    });
    for (const app of ["api", "web"]) {
      const release = await seeded.addRelease({
        app,
        manifestDigest: "sha256:test",
        spec: appSpec({ name: app, instances: 1 }),
        user: "me",
      });
      await seeded.finishRelease(app, release.number, "deployed");
    }
    opened.length = 0;
    expect(await runStatus(t.env, ["web"], { json: false, wait: true, ...flags })).toBe(0);
    expect(t.out()).toMatch(/^web /m);
    expect(opened).toEqual([OBSERVE_CONNECT_MS]);
    // Every app the store knows, waited for, then each one's line: still the one connection.
    opened.length = 0;
    expect(await runStatus(t.env, [], { json: false, wait: true, ...flags })).toBe(0);
    expect(t.out()).toMatch(/^api /m);
    expect(opened).toEqual([OBSERVE_CONNECT_MS]);
  });
});
