import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { events, home, titan } from "./harness.js";

describe("the README's main job", () => {
  it("deploys examples/hello: 3 healthy instances spread over the zones", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = join(process.cwd(), "examples", "hello", "titan.yaml");
    const result = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const done = events(result.stdout).find((e) => e.type === "done");
    const instances = done?.instances as Array<{ host: string; ports: number[] }>;
    expect(instances).toHaveLength(3);
    expect(new Set(instances.map((i) => i.host)).size).toBe(3);
    for (const instance of instances) {
      const answer = await fetch(`http://127.0.0.1:${instance.ports[0]}/`);
      expect(answer.status).toBe(200);
    }
  }, 30_000);
});
