import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { type Event, events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

const REFERENCE = '  DB_PASSWORD: { secret: "mesos:payments/db#password" }';

/** A config whose cluster `vault` is the test cluster, opted in to Mesos secrets. */
function writeConfig(h: ReturnType<typeof home>, master: string): void {
  const dir = join(h.vars.XDG_CONFIG_HOME ?? "", "titan");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "config.yaml"),
    `current_context: vault\nclusters:\n  vault:\n    masters: ["${master}"]\n    secrets: mesos\ncontexts:\n  vault: { cluster: vault }\n`,
  );
}

async function masterTasks(url: string): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${url}/api/v1`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ type: "GET_TASKS" }),
  });
  const body = (await response.json()) as { get_tasks: Record<string, Array<Record<string, unknown>>> };
  return [...(body.get_tasks.tasks ?? []), ...(body.get_tasks.completed_tasks ?? [])];
}

describe("Mesos secret references", () => {
  it("are refused before anything changes on a cluster that has not opted in", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1, extraEnv: REFERENCE });
    for (const command of ["plan", "deploy"]) {
      const flags = command === "deploy" ? ["--yes"] : [];
      const result = await titan([command, "-f", file, "--master", local.url, ...flags], h);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("web's env DB_PASSWORD is a Mesos secret reference, but cluster");
      expect(result.stderr).toContain("secrets: mesos");
    }
    expect(await liveTasks(local.url)).toEqual([]);
  }, 30_000);

  it("go as REFERENCE secrets, and an agent with the default resolver fails the task with Mesos' reason", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    writeConfig(h, local.url);
    const file = writeWebApp(h.cwd, { instances: 1, extraEnv: REFERENCE });
    const plan = await titan(["plan", "-f", file], h);
    expect(plan.stdout).toContain("env as Mesos secret references");
    expect(plan.stdout).toContain("DB_PASSWORD ← mesos:payments/db#password");
    const planJson = JSON.parse((await titan(["plan", "-f", file, "--json"], h)).stdout);
    expect(planJson.apps[0].secret_references).toEqual([
      { variable: "DB_PASSWORD", name: "payments/db", key: "password" },
    ]);

    const deploy = await titan(["deploy", "-f", file, "--yes", "--json"], h);
    expect(deploy.code).toBe(6);
    expect(deploy.stderr).toContain(
      "failed the same way before running (failed): Failed to launch container: Default secret resolver cannot resolve references",
    );
    const failed = events(deploy.stdout).filter((e: Event) => e.type === "failed");
    expect(failed.length).toBeGreaterThan(0);
    const done = events(deploy.stdout).find((e) => e.type === "done");
    expect(String(done?.reason)).toContain(
      "Failed to launch container: Default secret resolver cannot resolve references",
    );
    const [task] = await masterTasks(local.url);
    const status = ((task?.statuses ?? []) as Array<Record<string, unknown>>).at(-1);
    expect(status).toMatchObject({
      state: "TASK_FAILED",
      reason: "REASON_CONTAINER_LAUNCH_FAILED",
      source: "SOURCE_AGENT",
    });
  }, 40_000);
});
