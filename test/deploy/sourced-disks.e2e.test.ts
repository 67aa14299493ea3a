import { describe, expect, it } from "vitest";
import type { AgentResources } from "../../src/local/agent/api.js";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

/** Agents with a small root disk and a big dedicated mount, as operators give stateful services one. */
async function mountDiskAgents(): Promise<AgentResources> {
  return {
    cpus: 2,
    mem: 2048,
    disk: 100,
    ports: [await freePortRange(300)],
    disks: [{ source: { type: "MOUNT", mount: { root: "/mnt/data0" } }, size: 100_000 }],
  };
}

describe("agents whose disk is mostly a MOUNT disk", () => {
  it("plans an app's disk on the root disk only: a plain task is never given a MOUNT disk", async () => {
    // A task's plain `disk` is contained only in offered disk without a DiskInfo (resources.cpp `subtractable`):
    // the 100,000 MB mount is in every offer, yet no plain task can take a byte of it.
    const local = await startTestCluster({ ...FAST, agents: 2, agentResources: await mountDiskAgents() });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1, disk: "1Gi" });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(4);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      fits: false,
      warnings: [
        expect.stringMatching(/^2 agents have 195.31 GiB in all on MOUNT or PATH disks and volumes/),
      ],
    });

    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h);
    expect(deploy.code).toBe(4);
    expect(await liveTasks(local.url)).toEqual([]);
  }, 30_000);

  it("deploys what fits the root disk beside the mount, and launches no task on the mount", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2, agentResources: await mountDiskAgents() });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2, disk: "40Mi" });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(0);
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.stderr).toBe("");
    expect(events(deploy.stdout).find((e) => e.type === "done")?.outcome).toBe("deployed");
    const state = (await (await fetch(`${local.url}/master/state`)).json()) as {
      slaves: Array<{ resources: { disk: number }; used_resources: { disk: number } }>;
    };
    // The legacy endpoint sums the mount into `disk`, as a master's does; what titan's tasks use is root disk.
    expect(state.slaves.map((s) => s.resources.disk)).toEqual([100_100, 100_100]);
    expect(state.slaves.reduce((sum, s) => sum + s.used_resources.disk, 0)).toBe(80);
  }, 30_000);
});
