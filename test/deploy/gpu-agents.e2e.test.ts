import { describe, expect, it } from "vitest";
import { gpuAgentResources, startTestCluster } from "../support/local-cluster.js";
import { events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

async function capabilitiesOf(url: string, name: string): Promise<string[] | undefined> {
  const body = (await (await fetch(`${url}/master/frameworks`)).json()) as {
    frameworks: Array<{ name: string; capabilities: string[] }>;
  };
  return body.frameworks.find((f) => f.name === name)?.capabilities;
}

describe("an app without GPUs that only GPU agents have room for", () => {
  it("is deployed where the plan put it: the framework asks the master for GPU agents' offers", async () => {
    // Every agent has a GPU: the plan's second pass puts the app there, and a master (as titan local, after
    // hierarchical.cpp isCapableOfReceivingAgent) offers such agents only to frameworks with GPU_RESOURCES.
    const local = await startTestCluster({
      ...FAST,
      agentResources: await gpuAgentResources(),
    });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 2 });
    const plan = await titan(["plan", "-f", file, "--master", local.url, "--json"], h);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).fits).toBe(true);

    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    expect(events(deploy.stdout).find((e) => e.type === "done")?.outcome).toBe("deployed");
    expect(await liveTasks(local.url)).toHaveLength(2);
    expect(await capabilitiesOf(local.url, "titan:web")).toContain("GPU_RESOURCES");
  }, 30_000);

  it("keeps GPU agents' offers away from an app that has other room", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    const capabilities = await capabilitiesOf(local.url, "titan:web");
    expect(capabilities).toContain("MULTI_ROLE");
    expect(capabilities).not.toContain("GPU_RESOURCES");
  }, 30_000);
});
