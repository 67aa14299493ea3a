import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { freePortRange } from "../support/ports.js";
import { FAST, home, titan, writeWebApp } from "./harness.js";

interface TaskResource {
  name: string;
  scalar?: { value: number };
  reservations?: Array<{ type: string; role: string }>;
  allocation_info?: { role: string };
}

async function taskResources(url: string): Promise<TaskResource[]> {
  const response = await fetch(`${url}/api/v1`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ type: "GET_TASKS" }),
  });
  const body = (await response.json()) as { get_tasks: { tasks?: Array<{ resources: TaskResource[] }> } };
  return body.get_tasks.tasks?.[0]?.resources ?? [];
}

describe("deploying onto reserved resources", () => {
  it("takes the role's reservation first and the rest unreserved, which the master accepts entry by entry", async () => {
    const local = await startTestCluster({
      ...FAST,
      agents: 1,
      agentResources: {
        cpus: 4,
        mem: 8192,
        disk: 20000,
        ports: [await freePortRange(300)],
        reserved: { web: { cpus: 1, mem: 256, disk: 0 } },
      },
    });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "resources: { cpus: 0.1, mem: 32Mi }",
        "resources: { cpus: 1.5, mem: 32Mi }",
      ),
    );
    const vars = { ...h.vars, TITAN_ROLE: "web" };
    const deploy = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], {
      ...h,
      vars,
    });
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    const resources = await taskResources(local.url);
    const web = [{ type: "STATIC", role: "web" }];
    expect(
      resources.map((r) => [r.name, r.scalar?.value, r.reservations ?? [], r.allocation_info?.role]),
    ).toEqual([
      ["cpus", 1, web, "web"],
      ["cpus", 0.5, [], "web"],
      ["mem", 32, web, "web"],
      ["ports", undefined, [], "web"],
    ]);
  }, 40_000);
});
