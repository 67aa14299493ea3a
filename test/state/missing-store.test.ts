import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppSpec } from "../../src/manifest/types.js";
import { ZkStateStore } from "../../src/state/zk-store.js";
import { parseZkUrl } from "../../src/state/zk-url.js";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome } from "../support/state-home.js";
import { startZooKeeper, type ZkEnsemble } from "../support/zookeeper.js";

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper(1);
}, 90_000);

afterAll(async () => {
  await zk?.stop();
});

/** A home whose only context keeps its state in `state`, on a cluster running one task of `web`. */
async function homeWith(state: string): Promise<Record<string, string>> {
  const cluster = await fakeLogsCluster([{ app: "web", instance: 0, agent: "agent-1" }]);
  const { env } = isolatedHome();
  writeFileSync(
    env.TITAN_CONFIG as string,
    `current_context: team\nclusters:\n  shared:\n    masters: ["${cluster.master.url}"]\n    state: ${state}\ncontexts:\n  team: { cluster: shared }\n`,
    { mode: 0o600 },
  );
  return env;
}

function zkStore(url: string): ZkStateStore {
  return new ZkStateStore(parseZkUrl(url), { clock: { now: () => Date.now() }, hostname: "ci" });
}

describe("read commands on a state store that does not exist", () => {
  it.each(["zk", "file"])(
    "name the %s store instead of calling it empty, and leave it absent",
    async (kind) => {
      const state =
        kind === "zk"
          ? `zk://${zk.hosts}/mistyped`
          : pathToFileURL(join(isolatedHome().dir, "mistyped")).href;
      const env = await homeWith(state);
      const shown = state.replace(/\/$/, "");

      const status = await runCli(["status"], { env });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toContain(
        `No apps: the state store ${shown} does not exist: nothing was ever deployed`,
      );
      expect(status.stderr).toContain("check its URL with `titan context show`");

      // web has tasks on the cluster: releases says it has no release here, and why that may be.
      const releases = await runCli(["releases", "web"], { env });
      expect(releases.code, releases.stderr).toBe(0);
      expect(releases.stderr).toContain(
        "web has no release in this target's state store, though the cluster lists 1 task",
      );
      expect(releases.stderr).toContain(`the state store ${shown} does not exist`);
      expect(releases.stderr).toContain("check its URL with `titan context show`");

      for (const argv of [
        ["releases", "nope"],
        ["status", "nope"],
        ["ps", "nope"],
      ]) {
        const unknown = await runCli(argv, { env });
        expect(unknown.code, argv.join(" ")).toBe(2);
        expect(unknown.stderr).toContain('titan knows no app named "');
        expect(unknown.stderr).toContain(`the state store ${shown} does not exist`);
      }

      const ps = await runCli(["ps"], { env });
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stdout).toMatch(/web\s+desired -\s+running 1/);
      expect(ps.stderr).toMatch(
        new RegExp(
          `^warning: the state store ${shown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} does not exist.*desired counts are unknown`,
          "m",
        ),
      );

      if (kind === "zk") {
        const probe = zkStore(state);
        try {
          expect(await probe.exists()).toBe(false);
        } finally {
          await probe.close();
        }
      }
    },
    60_000,
  );

  it("still calls a store that exists and holds no release empty", async () => {
    const state = `zk://${zk.hosts}/emptied`;
    const writer = zkStore(state);
    try {
      await writer.addRelease({
        app: "web",
        manifestDigest: "sha256:1",
        spec: { name: "web", instances: 1 } as unknown as AppSpec,
        user: "ana",
      });
      await writer.forgetApp("web");
    } finally {
      await writer.close();
    }
    const env = await homeWith(state);
    const status = await runCli(["status"], { env });
    expect(status.code).toBe(0);
    expect(status.stderr).toContain("No apps: the state store of this context holds no release");
    const ps = await runCli(["ps"], { env });
    expect(ps.stderr).toBe("");
    expect(ps.code).toBe(0);
  }, 60_000);
});
