import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";
import { events, home, titan } from "./harness.js";

describe("titan init --yes", () => {
  it("writes a manifest that deploys as it is on a local cluster that runs no images", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const cwd = join(h.cwd, "starter");
    mkdirSync(cwd);
    // No Docker engine on this PATH: the local cluster here cannot run images.
    const init = await runCli(["init", "--yes"], { cwd, env: { ...h.vars, PATH: tempDir() } });
    expect(init.code).toBe(0);
    const result = await titan(["deploy", "--master", local.url, "--yes", "--json"], { ...h, cwd });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const done = events(result.stdout).find((e) => e.type === "done");
    const instances = (done?.instances ?? []) as Array<{ ports: number[] }>;
    expect(instances).toHaveLength(1);
    const answer = await fetch(`http://127.0.0.1:${instances[0]?.ports[0]}/`);
    expect(await answer.text()).toBe("hello from starter\n");
  }, 30_000);
});
