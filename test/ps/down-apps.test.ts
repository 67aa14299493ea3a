import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome, recordReleases } from "../support/state-home.js";

describe("titan ps with no app named", () => {
  it("lists the apps the state store wants running that run nothing here, and only those", async () => {
    // A cluster that lost every task (restarted, its agents gone): nothing of titan's runs on it.
    const master = (await fakeLogsCluster([])).master;
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "web", [{ instances: 3, outcome: "deployed" }]);
    await recordReleases(dir, "stopped", [
      { instances: 2, outcome: "deployed" },
      { instances: 0, outcome: "deployed" },
    ]);
    await recordReleases(dir, "never", [{ instances: 2, outcome: "failed" }]);

    const table = await runCli(["ps", "--master", master.url], { env });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/web\s+desired 3\s+running 0\s+healthy 0/);
    expect(table.stdout).not.toContain("no titan apps run here");
    expect(table.stdout).not.toContain("stopped");
    expect(table.stdout).not.toContain("never");

    const json = await runCli(["ps", "--master", master.url, "--json"], { env });
    const apps = (JSON.parse(json.stdout) as { regions: Array<{ apps: Array<{ app: string }> }> }).regions[0]
      ?.apps;
    expect(apps?.map((a) => a.app)).toEqual(["web"]);
  });
});
