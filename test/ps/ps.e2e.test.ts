import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { loadManifests } from "../../src/manifest/index.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { runCli } from "../support/cli.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster } from "../support/local-cluster.js";
import { tempDir } from "../support/tmp.js";

const root = resolve(import.meta.dirname, "../..");

function isolatedEnv(): { env: Record<string, string>; dataDir: string } {
  const dir = tempDir();
  return {
    env: { TITAN_CONFIG: join(dir, "config.yaml"), XDG_DATA_HOME: join(dir, "data") },
    dataDir: join(dir, "data", "titan"),
  };
}

interface PsJson {
  regions: Array<{
    apps: Array<{
      app: string;
      desired: number | null;
      running: number;
      healthy: number;
      instances: Array<{
        instance: number;
        release: number | null;
        state: string;
        state_text: string;
        health: string;
        host: string;
        ports: number[];
        zone: string | null;
        task_id: string;
      }>;
    }>;
  }>;
}

const fastCluster = { master: { allocationIntervalMs: 50, agentUnreachableAfterMs: 400 } };

describe("titan ps against the local cluster", () => {
  it("lists every instance with release, state, health, host:ports, zone and age, as a table and as JSON", async () => {
    const local = await startTestCluster({ agents: 3, ...fastCluster });
    const api = await startLabelledFramework(local.url, "api");
    const ids = [0, 1, 2].map((instance) =>
      api.launch({ instance, release: 4, command: "sleep 30", ports: 1, healthCommand: "true" }),
    );
    for (const id of ids) await api.waitFor(id, (s) => s === "TASK_RUNNING");
    for (const id of ids) await api.waitFor(id, () => api.status(id)?.healthy === true);
    const web = await startLabelledFramework(local.url, "web");
    await web.waitFor(web.launch({ instance: 0, release: 1, command: "sleep 30" }));

    const { env } = isolatedEnv();
    const table = await runCli(["ps", "--master", local.url], { env });
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("api  desired -  running 3  healthy 3");
    expect(table.stdout).toContain("web  desired -  running 1  healthy 1");
    expect(table.stdout).toMatch(/INSTANCE\s+RELEASE\s+STATE\s+HEALTH\s+HOST:PORTS\s+ZONE\s+AGE/);
    expect(table.stdout).toMatch(/\n\s+0\s+4\s+running\s+healthy\s+agent-\d\.local:\d{4,5}\s+[abc]\s+\d+s/);

    const json = await runCli(["ps", "api", "--master", local.url, "--json"], { env });
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as PsJson;
    const apps = doc.regions[0]?.apps ?? [];
    expect(apps.map((a) => a.app)).toEqual(["api"]);
    const rows = apps[0]?.instances ?? [];
    expect(rows.map((r) => r.instance)).toEqual([0, 1, 2]);
    expect(rows.map((r) => r.task_id)).toEqual(ids);
    for (const row of rows) {
      expect(row).toMatchObject({
        release: 4,
        state: "TASK_RUNNING",
        state_text: "running",
        health: "healthy",
      });
      expect(row.host).toMatch(/^agent-\d\.local$/);
      expect(row.ports).toHaveLength(1);
      expect(["a", "b", "c"]).toContain(row.zone);
    }
  });

  it("shows the desired count from the latest release in the cluster's state store", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const { env, dataDir } = isolatedEnv();
    const manifest = await loadManifests([join(root, "fixtures/manifests/example.yaml")], { cwd: root });
    const spec = manifest.apps[0];
    if (spec === undefined) throw new Error("the fixture has no app");
    const store = new FileStateStore(pathToFileURL(join(dataDir, "state", "local")).href, {
      clock: systemClock,
      hostname: hostname(),
    });
    await store.addRelease({ app: "api", manifestDigest: "sha256:test", spec, user: "me" });
    const api = await startLabelledFramework(local.url, "api");
    await api.waitFor(api.launch({ instance: 0, release: 1, command: "sleep 30" }));

    const all = await runCli(["ps", "--master", local.url], { env });
    expect(all.stdout).toContain("api  desired 6  running 1  healthy 1");
    const region = await runCli(["ps", "--master", local.url, "--region", "eu-west"], { env });
    expect(region.stdout).toContain("region eu-west");
    expect(region.stdout).toContain("api  desired 2  running 1");
  });

  it("shows an unreachable agent's task as unreachable and possibly running, and ended tasks as finished or failed", async () => {
    const local = await startTestCluster({ agents: 2, ...fastCluster });
    const [first, second] = local.agentIds();
    if (first === undefined || second === undefined) throw new Error("two agents expected");
    const api = await startLabelledFramework(local.url, "api");
    const cut = api.launch({ instance: 0, command: "sleep 30", agentId: first });
    const done = api.launch({ instance: 1, command: "exit 0", agentId: second });
    const broken = api.launch({ instance: 2, command: "exit 3", agentId: second });
    await api.waitFor(cut);
    await api.waitFor(done, (s) => s === "TASK_FINISHED");
    await api.waitFor(broken, (s) => s === "TASK_FAILED");
    await local.faults.partitionAgent(first);
    await api.waitFor(cut, (s) => s === "TASK_UNREACHABLE");

    const { env } = isolatedEnv();
    const json = await runCli(["ps", "--all", "--master", local.url, "--json"], { env });
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.stdout) as PsJson).regions[0]?.apps[0]?.instances ?? [];
    expect(rows.map((r) => [r.instance, r.state])).toEqual([
      [0, "TASK_UNREACHABLE"],
      [1, "TASK_FINISHED"],
      [2, "TASK_FAILED"],
    ]);
    // Mesos appends the UNREACHABLE status (with unreachable_time) to the task; without it the duration is unknown.
    expect(rows[0]?.state_text).toMatch(/^unreachable \d+s, may still run$/);

    const table = await runCli(["ps", "--all", "--master", local.url], { env });
    expect(table.stdout).toContain("api  desired -  running 0  healthy 0");
    expect(table.stdout).toMatch(/0\s+-\s+unreachable \d+s, may still run/);
    expect(table.stdout).toMatch(/1\s+-\s+finished \d+s ago\s+-\s/);
    expect(table.stdout).toMatch(/2\s+-\s+failed \d+s ago\s+-\s/);

    // Without --all, only the instance that may still run is listed; the ended ones are counted.
    const current = await runCli(["ps", "--master", local.url], { env });
    expect(current.stdout).toMatch(/0\s+-\s+unreachable \d+s, may still run/);
    expect(current.stdout).not.toMatch(/finished|failed/);
    expect(current.stdout).toContain("2 ended instances not shown (--all shows them)");
  });

  it("refuses an app it knows nothing of with the error every command gives", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const { env } = isolatedEnv();
    const ps = await runCli(["ps", "ghost", "--master", local.url], { env });
    const releases = await runCli(["releases", "ghost"], { env });
    const stop = await runCli(["stop", "ghost", "--yes", "--master", local.url], { env });
    for (const result of [ps, releases, stop]) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error: titan knows no app named "ghost" on this cluster');
      expect(result.stdout).toBe("");
    }
  });

  it("knows an app whose only release failed before any task ran, as releases and status do", async () => {
    const local = await startTestCluster({ agents: 1, ...fastCluster });
    const { env, dataDir } = isolatedEnv();
    const manifest = await loadManifests([join(root, "fixtures/manifests/example.yaml")], { cwd: root });
    const spec = manifest.apps[0];
    if (spec === undefined) throw new Error("the fixture has no app");
    const store = new FileStateStore(pathToFileURL(join(dataDir, "state", "local")).href, {
      clock: systemClock,
      hostname: hostname(),
    });
    await store.addRelease({
      app: "big",
      manifestDigest: "sha256:big",
      spec: { ...spec, name: "big" },
      user: "me",
    });
    await store.finishRelease("big", 1, "failed", "no offer had room for it");

    const table = await runCli(["ps", "big", "--master", local.url], { env });
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("big  desired -  running 0  healthy 0");
    expect(table.stdout).toContain(
      "  no instances; no release was deployed (release 1 failed: `titan releases big`)",
    );
    const json = await runCli(["ps", "big", "--master", local.url, "--json"], { env });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as PsJson).regions[0]?.apps).toEqual([
      expect.objectContaining({ app: "big", desired: null, running: 0, healthy: 0, instances: [] }),
    ]);
    for (const argv of [
      ["releases", "big"],
      ["status", "big", "--master", local.url],
    ]) {
      const other = await runCli(argv, { env });
      expect(other.code, other.stderr).toBe(0);
      expect(other.stdout).toContain("failed");
    }
  });

  it("fails with a hint when the master cannot be reached", async () => {
    const { env } = isolatedEnv();
    const result = await runCli(["ps", "--master", "http://127.0.0.1:1"], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: .+/);
    expect(result.stderr).toContain("hint:");
  });
});
