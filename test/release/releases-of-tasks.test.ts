import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { fakeLogsCluster } from "../support/fake-logs-cluster.js";
import { closedPort } from "../support/scripted-server.js";
import { isolatedHome } from "../support/state-home.js";

describe("titan releases of an app the cluster runs tasks of but the state store has no release of", () => {
  it("says it has no release here and that the cluster runs its tasks, not that titan knows no such app", async () => {
    const cluster = await fakeLogsCluster([
      { app: "evil", instance: 0, agent: "agent-1" },
      { app: "evil", instance: 1, agent: "agent-1" },
    ]);
    const { env } = isolatedHome();
    const text = await runCli(["releases", "evil", "--master", cluster.master.url], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe("");
    expect(text.stderr).toMatch(
      /^evil has no release in this target's state store, though the cluster lists 2 tasks of it: another config or state store deployed them \(`titan ps evil` shows them\); the state store .* does not exist: nothing was ever deployed with it: check its URL with `titan context show`\n$/,
    );
    const json = await runCli(["releases", "evil", "--json", "--master", cluster.master.url], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ app: "evil", releases: [] });

    const ghost = await runCli(["releases", "ghost", "--master", cluster.master.url], { env });
    expect(ghost.code).toBe(2);
    expect(ghost.stderr).toContain('error: titan knows no app named "ghost" on this cluster');
  });

  it("still says titan knows no such app when the cluster cannot be read", async () => {
    const { env } = isolatedHome();
    const down = `http://127.0.0.1:${await closedPort()}`;
    const result = await runCli(["releases", "evil", "--master", down], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: titan knows no app named "evil" on this cluster');
  });
});
