import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { teardownFramework } from "../../src/deploy/teardown.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { startTestCluster } from "../support/local-cluster.js";
import { events, home, liveTaskIds, titan, writeWebApp } from "./harness.js";

describe("scale, restart, releases, rollback and stop", () => {
  it("work on the same engine as deploy", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 2, version: "2" });
    expect((await titan(["deploy", "-f", file, ...m], h)).code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1", "web.2.1.1"]);

    // scale keeps the running tasks and adds one
    const scaled = await titan(["scale", "web", "3", ...m, "--json"], h);
    expect(scaled.code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1", "web.2.1.1", "web.3.2.1"]);
    expect(events(scaled.stdout).filter((e) => e.type === "killing")).toHaveLength(0);
    // the same count again changes nothing, and says so in the command's own words (no manifest is involved)
    const again = await titan(["scale", "web", "3", ...m], h);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("Nothing to do: every instance already runs what this scale asks for.");

    // restart replaces every instance with a new task
    const restarted = await titan(["restart", "web", ...m], h);
    expect(restarted.code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.4.0.1", "web.4.1.1", "web.4.2.1"]);

    // rollback --to 1 deploys release 1's spec as release 5
    const rolled = await titan(["rollback", "web", "--to", "1", ...m], h);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain("Plan:");
    expect(await liveTaskIds(local.url)).toEqual(["web.5.0.1", "web.5.1.1"]);

    const releases = await titan(["releases", "web"], h);
    expect(releases.stdout.split("\n")[0]).toMatch(/^RELEASE\s+OUTCOME\s+INSTANCES/);
    expect(releases.stdout).toMatch(/^5\s+deployed\s+2/m);

    // without a terminal and without --yes, nothing happens
    const unconfirmed = await titan(["stop", "web", "--master", local.url], h);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("--yes");
    expect(await liveTaskIds(local.url)).toHaveLength(2);

    const stopped = await titan(["stop", "web", "--purge", ...m], h);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/web: release 6 deployed, no instances run \(stopped\)/);
    expect(await liveTaskIds(local.url)).toEqual([]);
    const appDir = join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "local", "apps", "web");
    expect(existsSync(appDir)).toBe(false);
    const frameworks = (await (await fetch(`${local.url}/master/frameworks`)).json()) as {
      frameworks: Array<{ name: string }>;
    };
    expect(frameworks.frameworks.map((f) => f.name)).not.toContain("titan:web");
  }, 60_000);

  it("finishes a purge whose framework is already torn down: only the records are left to forget", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const m = ["--master", local.url, "--yes"];
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 1 }), ...m], h)).code).toBe(0);
    // A purge stopped between its TEARDOWN and forgetting the records.
    const appDir = join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "local", "apps", "web");
    const { framework_id: frameworkId } = JSON.parse(readFileSync(join(appDir, "framework.json"), "utf8"));
    const cluster = MasterCluster.fromConfig({ masters: [local.url] });
    try {
      const identity = { user: "nobody", role: "*", failoverTimeoutSeconds: 604_800 };
      await teardownFramework(cluster, "web", frameworkId, identity, new AbortController().signal);
    } finally {
      cluster.close();
    }
    const purged = await titan(["stop", "web", "--purge", ...m], h);
    expect(purged.code, purged.stderr).toBe(0);
    expect(purged.stderr).toContain(
      "Purged web: its framework was already removed and its releases are forgotten.",
    );
    expect(existsSync(appDir)).toBe(false);
  }, 60_000);

  it("refuses a reviewed plan once the manifest changed", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    const planFile = join(h.cwd, "plan.json");
    const { runCli } = await import("../support/cli.js");
    const planned = await runCli(["plan", "-f", file, "--master", local.url, "--out", planFile], {
      env: h.vars,
      cwd: h.cwd,
    });
    expect(planned.code).toBe(0);
    writeWebApp(h.cwd, { instances: 2 });
    const stale = await titan(["deploy", "-f", file, "--master", local.url, "--plan", planFile, "--yes"], h);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain("changed since");
    expect(await liveTaskIds(local.url)).toEqual([]);
    writeWebApp(h.cwd, { instances: 1 });
    // A plan edited by hand after review: its placements are not the ones its fingerprint gives.
    const reviewed = readFileSync(planFile, "utf8");
    const doc = JSON.parse(reviewed);
    doc.placements[0].agent_id = "agent-elsewhere";
    const edited = join(h.cwd, "edited.json");
    writeFileSync(edited, JSON.stringify(doc));
    const refused = await titan(["deploy", "-f", file, "--master", local.url, "--plan", edited, "--yes"], h);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${edited} was changed after titan plan wrote it`);
    expect(await liveTaskIds(local.url)).toEqual([]);
    // The same plan as an older titan wrote it, with numbers for its dynamic ports: refused for its version.
    const older = join(h.cwd, "older.json");
    writeFileSync(
      older,
      JSON.stringify({
        ...JSON.parse(reviewed),
        version: 1,
        placements: JSON.parse(reviewed).placements.map((p: object) => ({ ...p, ports: { http: 31000 } })),
      }),
    );
    const old = await titan(["deploy", "-f", file, "--master", local.url, "--plan", older, "--yes"], h);
    expect(old.code).toBe(2);
    expect(old.stderr).toContain(
      `error: ${older} is a version 1 plan; this titan carries out version 2 plans`,
    );
    expect(await liveTaskIds(local.url)).toEqual([]);
    const exact = await titan(["deploy", "-f", file, "--master", local.url, "--plan", planFile, "--yes"], h);
    expect(exact.code).toBe(0);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1"]);
  }, 30_000);

  it("refuses a reviewed plan once an agent's machine is scheduled for maintenance, which a fresh plan names", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 1 });
    const planFile = join(h.cwd, "plan.json");
    const { runCli } = await import("../support/cli.js");
    const plan = (argv: string[]) =>
      runCli(["plan", "-f", file, "--master", local.url, ...argv], { env: h.vars, cwd: h.cwd });
    expect((await plan(["--out", planFile])).code).toBe(0);
    const saved = JSON.parse(readFileSync(planFile, "utf8")) as { placements: Array<{ agent_id: string }> };
    expect(saved).not.toHaveProperty("draining_agents");
    // An agent the plan places nothing on goes DRAINING (a window an hour from now), and nothing else changes.
    const idle = local.cluster.agents().find((a) => !saved.placements.some((p) => p.agent_id === a.id));
    const start = BigInt(Date.now() + 3_600_000) * 1_000_000n;
    const scheduled = await fetch(`${local.url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: `{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":[{"hostname":"${idle?.hostname}","ip":"127.0.0.1"}],"unavailability":{"start":{"nanoseconds":${start}}}}]}}}`,
    });
    expect(scheduled.status).toBe(200);
    const fresh = await plan(["--json"]);
    expect(fresh.code, fresh.stderr).toBe(0);
    const shown = JSON.parse(fresh.stdout) as { draining_agents: unknown };
    expect(shown.draining_agents).toEqual([{ agent_id: idle?.id, hostname: idle?.hostname }]);
    const stale = await titan(["deploy", "-f", file, "--master", local.url, "--plan", planFile, "--yes"], h);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`the cluster or the manifests changed since ${planFile} was made`);
    expect(await liveTaskIds(local.url)).toEqual([]);
  }, 30_000);
});

describe("deploy on a terminal", () => {
  it("asks before deploying and draws a live per-instance view on stderr", async () => {
    const local = await startTestCluster({ master: { allocationIntervalMs: 100 } });
    const { testEnv } = await import("../support/env.js");
    const { systemClock } = await import("../../src/cli/env.js");
    const { runDeploy } = await import("../../src/commands/deploy/run.js");
    const t = testEnv({ tty: true, answers: [{ match: "Deploy web", answer: true }] });
    const file = writeWebApp(t.env.cwd, { instances: 1 });
    // The cursor movements a terminal stream offers, so the spinner runs as it would on a terminal.
    Object.assign(t.env.io.err, {
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      columns: 100,
    });
    const env = { ...t.env, clock: systemClock };
    const code = await runDeploy(env, {
      files: [file],
      master: local.url,
      yes: false,
      json: false,
      forceUnlock: false,
      autoRollback: true,
      dryRun: false,
      adopt: false,
      skipRegion: [],
      only: [],
      detach: false,
    });
    expect(code).toBe(0);
    expect(t.prompter.asked).toEqual(["Deploy web as planned above?"]);
    expect(t.err()).toContain("web[0] launching web.1.0.1");
    expect(t.out()).toMatch(/web: release 1 deployed\n {2}web\[0\] {2}web\.1\.0\.1 {2}agent-\d\.local:\d+/);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1"]);
  }, 30_000);
});
