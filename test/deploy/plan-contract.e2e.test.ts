import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { type Event, events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

/** The zone of each live task of the app, from the master's view of tasks and agents. */
async function zonesOfLiveTasks(url: string): Promise<string[]> {
  const slaves = (await (await fetch(`${url}/master/slaves`)).json()) as {
    slaves: Array<{ id: string; attributes: Record<string, string> }>;
  };
  const zoneOf = new Map(slaves.slaves.map((s) => [s.id, String(s.attributes.zone)]));
  const tasks = (await (await fetch(`${url}/master/tasks`)).json()) as {
    tasks: Array<{ id: string; slave_id: string }>;
  };
  const live = new Set((await liveTasks(url)).map((t) => t.id));
  return tasks.tasks
    .filter((t) => live.has(t.id))
    .map((t) => zoneOf.get(t.slave_id) ?? "?")
    .sort();
}

function launchHosts(list: readonly Event[]): Map<number, string> {
  return new Map(list.filter((e) => e.type === "launch").map((e) => [Number(e.instance), String(e.host)]));
}

describe("the plan is the contract", () => {
  it("titan deploy after titan plan launches every instance on the agent the plan showed", async () => {
    const local = await startTestCluster({ ...FAST, agents: 5, zones: ["a", "b", "c"] });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 4, constraints: "[{ balance: zone }]" });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(0);
    const placements = (
      JSON.parse(plan.stdout) as { placements: Array<{ instance: number; hostname: string }> }
    ).placements;
    expect(placements).toHaveLength(4);
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.code).toBe(0);
    const list = events(deploy.stdout);
    expect(list.filter((e) => e.type === "replan")).toEqual([]);
    expect(launchHosts(list)).toEqual(new Map(placements.map((p) => [p.instance, p.hostname])));
  }, 60_000);

  it("titan restart on a zone-balanced app keeps the balance, twice in a row", async () => {
    const local = await startTestCluster({ ...FAST, agents: 3, zones: ["a", "b", "c"] });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3, constraints: "[{ balance: zone }]" });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
    for (const round of [1, 2]) {
      const restart = await titan(["restart", "web", "--master", local.url, "--yes", "--json"], h);
      expect(restart.code, `restart ${round}: ${restart.stderr}`).toBe(0);
      expect(events(restart.stdout).filter((e) => e.type === "launch")).toHaveLength(3);
      expect(await zonesOfLiveTasks(local.url)).toEqual(["a", "b", "c"]);
    }
  }, 90_000);
});
