import { describe, expect, it } from "vitest";
import { events, titan } from "../deploy/harness.js";
import { masterTasks } from "../supervisor/harness.js";
import { threeRegions, writeRegionalApp } from "./harness.js";

async function webAgents(url: string): Promise<string[]> {
  const terminal = /FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE/;
  return (await masterTasks(url))
    .filter((t) => t.id.startsWith("web.") && !terminal.test(t.state))
    .map((t) => t.slave_id);
}

describe("maintenance in one region of several", () => {
  it("is planned and carried out in that region as a single-region deploy does", async () => {
    const { h, clusters } = await threeRegions();
    const file = writeRegionalApp(h.cwd, { version: "1", waves: "[[us-east, eu-west, ap-south]]" });
    expect((await titan(["deploy", "-f", file, "--yes"], h)).code).toBe(0);
    const eu = clusters["eu-west"];
    const [agentId] = await webAgents(eu.url);
    const hostname = eu.cluster.agents().find((a) => a.id === agentId)?.hostname;
    const startNs = BigInt(Date.now() + 3_600_000) * 1_000_000n;
    const window = {
      machine_ids: [{ hostname, ip: "127.0.0.1" }],
      unavailability: { start: { nanoseconds: `${startNs}` } },
    };
    const scheduled = await fetch(`${eu.url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        type: "UPDATE_MAINTENANCE_SCHEDULE",
        update_maintenance_schedule: { schedule: { windows: [window] } },
      }),
    });
    expect(scheduled.status).toBe(200);

    type RegionPlan = { region: string; plan: { apps: Array<{ placements: Array<{ action: string }> }> } };
    const plan = await titan(["plan", "-f", file, "--json"], h);
    const regions = (JSON.parse(plan.stdout) as { regions: RegionPlan[] }).regions;
    const moves = (r: string) =>
      regions.find((p) => p.region === r)?.plan.apps[0]?.placements.filter((p) => p.action === "move").length;
    expect(moves("eu-west")).toBe(1);
    expect(moves("us-east")).toBe(0);

    const run = await titan(["deploy", "-f", file, "--yes", "--json"], h);
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(list.some((e) => e.type === "evacuate" && e.region === "eu-west")).toBe(true);
    const moved = await webAgents(eu.url);
    expect(moved).toHaveLength(1);
    expect(moved[0]).not.toBe(agentId);
  }, 90_000);
});
