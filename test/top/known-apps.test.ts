import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { isolatedHome, recordReleases } from "../support/state-home.js";

interface TopJson {
  sections: Array<{
    apps: Array<{ app: string; measured: number; no_instances?: string; instances: unknown[] }>;
  }>;
}

describe("titan top of an app with releases and no task", () => {
  it("knows the app, says it has no instance to measure and why, and exits 0, as ps does", async () => {
    const master = (await fakeLogsCluster([])).master;
    const { env, dir } = isolatedHome();
    await recordReleases(dir, "big", [{ instances: 2, outcome: "failed" }]);
    await recordReleases(dir, "gone", [
      { instances: 2, outcome: "deployed" },
      { instances: 0, outcome: "deployed" },
    ]);
    const argv = ["top", "big", "gone", "--master", master.url, "--interval", "100ms"];

    const table = await runCli(argv, { env });
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(
      "big  0 instances  no instance to measure: no release was deployed (release 1 failed: `titan releases big`)",
    );
    expect(table.stdout).toContain(
      "gone  0 instances  no instance to measure: it is stopped (release 2 asks for no instance)",
    );

    const json = await runCli([...argv, "--json"], { env });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as TopJson).sections[0]?.apps).toEqual([
      expect.objectContaining({ app: "big", measured: 0, instances: [], no_instances: expect.any(String) }),
      expect.objectContaining({ app: "gone", measured: 0, instances: [], no_instances: expect.any(String) }),
    ]);

    const ghost = await runCli(["top", "ghost", "--master", master.url, "--interval", "100ms"], { env });
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toContain('error: titan knows no app named "ghost" on this cluster');
  });
});
