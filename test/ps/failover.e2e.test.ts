import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { isolatedHome, recordReleases } from "../support/state-home.js";

describe("titan ps and status while a failed-over master waits for its agents to re-register", () => {
  it("say their tasks are not listed, and status says unknown, until the agents are back", async () => {
    const local = await startTestCluster({ agents: 2, master: { allocationIntervalMs: 50 } });
    const slow = await startLabelledFramework(local.url, "slow");
    const ids = [0, 1].map((instance) => slow.launch({ instance, release: 1, command: "sleep 120" }));
    for (const id of ids) await slow.waitFor(id);
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "slow", [{ instances: 2, outcome: "deployed" }]);

    await local.faults.failoverMaster(15_000);
    const ps = await runCli(["ps", "--master", local.url], { env });
    expect(ps.code).toBe(0);
    expect(ps.stdout).toContain(
      "recovering: 2 agents have not re-registered since the master failed over: their tasks are not listed until they do",
    );
    expect(ps.stdout).toContain("no instances listed while the master waits for agents to re-register");
    const status = await runCli(["status", "slow", "--master", local.url], { env });
    expect(status.stdout).toMatch(
      /^slow {2}unknown {2}desired 2 {2}running 0 .* · 2 agents have not re-registered/,
    );

    let back = "";
    // Once they are back (the test's tasks carry no release's spec digest, so they are degraded, not ok).
    for (let i = 0; i < 120 && !/running 2/.test(back); i += 1) {
      await new Promise((r) => setTimeout(r, 250));
      back = (await runCli(["status", "slow", "--master", local.url], { env })).stdout;
    }
    expect(back).toMatch(/^slow {2}degraded {2}desired 2 {2}running 2/);
    expect(back).not.toContain("re-registered");
  }, 90_000);
});
