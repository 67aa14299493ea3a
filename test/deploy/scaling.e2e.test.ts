import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../src/cli/env.js";
import { FileStateStore } from "../../src/state/file-store.js";
import { type Json, operator } from "../local/scheduler-client.js";
import { appSpec } from "../plan/builders.js";
import { runCli } from "../support/cli.js";
import { startLabelledFramework } from "../support/labelled-tasks.js";
import { startTestCluster, type TestCluster } from "../support/local-cluster.js";
import { recordAsLocal } from "../support/local-record.js";
import { freePortRange } from "../support/ports.js";
import { type Event, events, FAST, home, writeWebApp } from "./harness.js";

/** Where each live task of the app runs, by agent id, from the master. */
async function placements(url: string, app = "web"): Promise<Array<{ id: string; agent: string }>> {
  const tasks = (((await operator(url, { type: "GET_TASKS" })).get_tasks as Json).tasks ?? []) as Json[];
  return tasks
    .filter((t) => String((t.task_id as Json).value).startsWith(`${app}.`) && t.state === "TASK_RUNNING")
    .map((t) => ({ id: String((t.task_id as Json).value), agent: String((t.agent_id as Json).value) }));
}

/**
 * The fewest instances that counted at any moment of the stream: tasks found running, plus tasks that became
 * healthy, minus tasks from the moment titan starts to kill them (or the cluster ends them).
 */
function fewestServing(list: readonly Event[], app = "web"): number {
  const mine = list.filter((e) => e.app === app);
  const serving = new Set(
    mine.filter((e) => e.type === "existing" && e.state === "TASK_RUNNING").map((e) => String(e.task)),
  );
  let fewest = serving.size;
  for (const e of mine) {
    const task = String(e.task ?? "");
    if (e.type === "healthy") serving.add(task);
    if (["killing", "killed", "finished", "failed", "lost"].includes(e.type)) serving.delete(task);
    fewest = Math.min(fewest, serving.size);
  }
  return fewest;
}

async function maintenanceStatus(url: string): Promise<Json> {
  return ((await operator(url, { type: "GET_MAINTENANCE_STATUS" })).get_maintenance_status as Json)
    .status as Json;
}

/** The CLI in-process against the test cluster as titan local, with a Ctrl-C of its own when given a signal. */
function cliFor(local: TestCluster) {
  const h = home();
  const env = { ...h.vars, TITAN_STATE_DIR: recordAsLocal(local) };
  const cli = (argv: string[], signal?: AbortSignal) =>
    runCli(argv, { env, cwd: h.cwd, ...(signal === undefined ? {} : { signal }) });
  return { h, cli };
}

async function smallCluster(agents: number, cpus: number) {
  const local = await startTestCluster({
    ...FAST,
    agents,
    zones: ["a"],
    agentResources: { cpus, mem: 1024, disk: 4096, ports: [await freePortRange(60 * agents)] },
  });
  return { local, ...cliFor(local) };
}

describe("scaling the cluster out and in", () => {
  it("carries out the scale-out advice with titan local agents add: the same plan then fits and deploys", async () => {
    const { local, h, cli } = await smallCluster(1, 1);
    const file = writeWebApp(h.cwd, { instances: 3, constraints: "[{ unique: hostname }]" });
    const before = await cli(["plan", "-f", file, "--master", local.url, "--json"]);
    expect(before.code, before.stderr).toBe(4);
    const advice = JSON.parse(before.stdout).scale_out as {
      add: Array<{ count: number; shape: { spec: string } }>;
    };
    expect(advice.add).toHaveLength(1);
    const [{ count, shape }] = advice.add as [{ count: number; shape: { spec: string } }];
    expect(count).toBe(2);
    const added = await cli(["local", "agents", "add", String(count), "--shape", shape.spec]);
    expect(added.code, added.stderr).toBe(0);

    const after = await cli(["plan", "-f", file, "--master", local.url, "--json"]);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).fits).toBe(true);
    const deployed = await cli(["deploy", "-f", file, "--master", local.url, "--yes", "--json"]);
    expect(deployed.code, deployed.stderr).toBe(0);
    const running = await placements(local.url);
    expect(new Set(running.map((r) => r.agent)).size).toBe(3);
  }, 40_000);

  it("titan drain --advised empties the advised agent, never below max_unavailable, and brings it down", async () => {
    const { local, h, cli } = await smallCluster(2, 1);
    // A large app fills one agent, so the two web instances land on different agents; once it stops, one agent
    // can take both and the other can be drained.
    const bigYaml = join(h.cwd, "big.yaml");
    writeFileSync(
      bigYaml,
      'name: big\nshell: "sleep 600"\ninstances: 1\nresources: { cpus: 0.7, mem: 32Mi }\nkill_grace: 500ms\n',
    );
    expect((await cli(["deploy", "-f", bigYaml, "--master", local.url, "--yes"])).code).toBe(0);
    const file = writeWebApp(h.cwd, { instances: 2, cpus: 0.2, maxUnavailable: 0, maxSurge: 1 });
    const web = await cli(["deploy", "-f", file, "--master", local.url, "--yes"]);
    expect(web.code, web.stderr).toBe(0);
    expect(new Set((await placements(local.url)).map((r) => r.agent)).size).toBe(2);
    expect((await cli(["stop", "big", "--master", local.url, "--yes"])).code).toBe(0);

    const plan = await cli(["plan", "-f", file, "--master", local.url, "--json"]);
    const advised = (
      JSON.parse(plan.stdout).scale_in as { drain: Array<{ agent_id: string; hostname: string }> }
    ).drain;
    expect(advised).toHaveLength(1);
    const drained = advised[0] as { agent_id: string; hostname: string };

    // A dry run shows the same plan and stops there: nothing moves, no machine goes down.
    const before = await placements(local.url);
    const dry = await cli(["drain", "--advised", "--master", local.url, "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(events(dry.stdout).map((e) => e.type)).toEqual(["plan", "dry_run"]);
    expect(dry.stderr).toContain(
      `Dry run: nothing changed. Without --dry-run, titan would now drain web and bring ${drained.hostname} down for maintenance as planned above.`,
    );
    expect(await placements(local.url)).toEqual(before);
    expect(await maintenanceStatus(local.url)).toEqual({});

    const run = await cli(["drain", "--advised", "--master", local.url, "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    expect(list[0]?.type).toBe("plan");
    expect(list.filter((e) => e.type === "launch")).toHaveLength(1);
    expect(fewestServing(list)).toBeGreaterThanOrEqual(2);
    expect(list.at(-1)).toMatchObject({ type: "maintenance", mode: "DOWN", agents: [drained.hostname] });

    const running = await placements(local.url);
    expect(running).toHaveLength(2);
    expect(running.every((r) => r.agent !== drained.agent_id)).toBe(true);
    expect(await maintenanceStatus(local.url)).toEqual({
      down_machines: [{ hostname: drained.hostname, ip: "127.0.0.1" }],
    });
  }, 60_000);

  it("an interrupted titan drain --advised names the agents it chose to resume with, whatever the advice says then", async () => {
    const { local, h, cli } = await smallCluster(2, 1);
    const bigYaml = join(h.cwd, "big.yaml");
    writeFileSync(
      bigYaml,
      'name: big\nshell: "sleep 600"\ninstances: 1\nresources: { cpus: 0.7, mem: 32Mi }\nkill_grace: 500ms\n',
    );
    expect((await cli(["deploy", "-f", bigYaml, "--master", local.url, "--yes"])).code).toBe(0);
    const file = writeWebApp(h.cwd, { instances: 2, cpus: 0.2, maxUnavailable: 0, maxSurge: 1 });
    expect((await cli(["deploy", "-f", file, "--master", local.url, "--yes"])).code).toBe(0);
    expect((await cli(["stop", "big", "--master", local.url, "--yes"])).code).toBe(0);
    const plan = await cli(["plan", "-f", file, "--master", local.url, "--json"]);
    const [drained] = (JSON.parse(plan.stdout).scale_in as { drain: Array<{ hostname: string }> }).drain;

    // Stopped by --timeout once the machine is DRAINING: the advice of a re-run could name another agent, and
    // leave this one scheduled, up, and taking nothing new for good.
    const cut = await cli(["drain", "--advised", "--master", local.url, "--yes", "--timeout", "1ms"]);
    expect(cut.code, cut.stderr).toBe(7);
    const resume = `titan drain ${drained?.hostname} --master ${local.url}`;
    expect(cut.stderr).toContain(`hint: re-run \`${resume}\` to continue`);
    expect(((await maintenanceStatus(local.url)).draining_machines as Json[]).length).toBe(1);

    const again = await cli([...resume.split(" ").slice(1), "--yes", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(events(again.stdout).at(-1)).toMatchObject({
      type: "maintenance",
      mode: "DOWN",
      agents: [drained?.hostname],
    });
  }, 60_000);

  it("moves instances off an agent scheduled for maintenance before the window and accepts the inverse offer", async () => {
    const { local, h, cli } = await smallCluster(3, 2);
    const file = writeWebApp(h.cwd, { instances: 2, maxUnavailable: 0, maxSurge: 1 });
    expect((await cli(["deploy", "-f", file, "--master", local.url, "--yes"])).code).toBe(0);
    const target = (await placements(local.url))[0]?.agent ?? "";
    const hostname = local.cluster.agents().find((a) => a.id === target)?.hostname ?? "";
    const windowStartMs = Date.now() + 3_600_000;
    const schedule = `{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{"machine_ids":[{"hostname":"${hostname}","ip":"127.0.0.1"}],"unavailability":{"start":{"nanoseconds":${BigInt(windowStartMs) * 1_000_000n}}}}]}}}`;
    const scheduled = await fetch(`${local.url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: schedule,
    });
    expect(scheduled.status).toBe(200);

    // `titan plan` reads the schedule as the deploy does: it shows the move the deploy then makes.
    const planned = await cli(["plan", "--dry-run", "-f", file, "--master", local.url, "--json"]);
    const shown = JSON.parse(planned.stdout) as { apps: Array<{ placements: Array<{ action: string }> }> };
    expect(shown.apps[0]?.placements.filter((p) => p.action === "move").length).toBeGreaterThan(0);

    const run = await cli(["deploy", "-f", file, "--master", local.url, "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const list = events(run.stdout);
    const plan = (list[0] as unknown as { plan: { apps: Array<{ placements: Array<{ action: string }> }> } })
      .plan;
    expect(plan.apps[0]?.placements.filter((p) => p.action === "move").length).toBeGreaterThan(0);
    expect(
      list.some((e) => e.type === "inverse_offer" && e.answer === "ACCEPT" && e.agent === hostname),
    ).toBe(true);
    expect(fewestServing(list)).toBeGreaterThanOrEqual(2);
    const running = await placements(local.url);
    expect(running).toHaveLength(2);
    expect(running.every((r) => r.agent !== target)).toBe(true);

    const draining = ((await maintenanceStatus(local.url)).draining_machines as Json[])[0] as Json;
    const statuses = draining.statuses as Json[];
    expect(statuses).toHaveLength(1);
    expect(statuses[0]?.status).toBe("ACCEPT");
    const answeredMs = Number(((statuses[0] as Json).timestamp as Json).nanoseconds) / 1e6;
    expect(answeredMs).toBeLessThan(windowStartMs);
  }, 40_000);
});

describe("an interrupted titan drain, re-run", () => {
  it("resumes an app it already moved off the agents, then brings the agents down", async () => {
    const local = await startTestCluster({ ...FAST, agents: 3 });
    const { h, cli } = cliFor(local);
    // One instance per agent; a move stops the old instance before its replacement starts.
    const file = writeWebApp(h.cwd, {
      instances: 2,
      constraints: "[{ unique: hostname }]",
      maxSurge: 0,
      maxUnavailable: 1,
    });
    expect((await cli(["deploy", "-f", file, "--master", local.url, "--yes"])).code).toBe(0);
    const victim = (await placements(local.url))[0]?.agent ?? "";

    // No offers: the drain stops the instance on the agent, then waits to start its replacement; Ctrl-C there.
    await local.faults.withholdOffers(true);
    const abort = new AbortController();
    const drain = cli(["drain", victim, "--master", local.url, "--yes"], abort.signal);
    for (let i = 0; i < 1500 && (await placements(local.url)).length !== 1; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await placements(local.url)).toHaveLength(1);
    abort.abort();
    expect((await drain).code).toBe(130);
    // The machine stays scheduled (DRAINING) and up: nothing new lands there until the re-run brings it down.
    const status = await maintenanceStatus(local.url);
    expect((status.draining_machines as Json[]).map((m) => (m.id as Json).hostname)).toEqual([
      local.cluster.agents().find((a) => a.id === victim)?.hostname,
    ]);
    expect(status.down_machines ?? []).toEqual([]);
    await local.faults.withholdOffers(false);

    // Nothing of web is left on the agent, yet its release is the drain's, unfinished: the re-run finishes it.
    const again = await cli(["drain", victim, "--master", local.url, "--yes", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const list = events(again.stdout);
    expect(list.find((e) => e.type === "done")).toMatchObject({
      app: "web",
      outcome: "deployed",
      release: 2,
    });
    // The last event, timed as the moves' events before it.
    expect(list.at(-1)).toMatchObject({
      type: "maintenance",
      mode: "DOWN",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const running = await placements(local.url);
    expect(running).toHaveLength(2);
    expect(running.every((r) => r.agent !== victim)).toBe(true);
    const releases = JSON.parse((await cli(["releases", "web", "--master", local.url, "--json"])).stdout);
    expect(releases.releases.map((r: { outcome: string }) => r.outcome)).toEqual(["deployed", "deployed"]);
  }, 60_000);

  it("refuses (as scale and restart do) an app whose unfinished release deploys another spec, instead of undoing it", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const { h, cli } = cliFor(local);
    const file = writeWebApp(h.cwd, { instances: 2, maxSurge: 0, maxUnavailable: 1 });
    expect((await cli(["deploy", "-f", file, "--master", local.url, "--yes"])).code).toBe(0);
    const victim = (await placements(local.url))[0]?.agent ?? "";
    // Release 2 (another version) interrupted while it waits for offers: pending, half rolled out.
    writeWebApp(h.cwd, { instances: 2, maxSurge: 0, maxUnavailable: 1, version: "2" });
    await local.faults.withholdOffers(true);
    const abort = new AbortController();
    const deploy = cli(["deploy", "-f", file, "--master", local.url, "--yes"], abort.signal);
    for (let i = 0; i < 1500 && (await placements(local.url)).length !== 1; i++)
      await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    expect((await deploy).code).toBe(130);
    await local.faults.withholdOffers(false);

    const drain = await cli(["drain", victim, "--master", local.url, "--yes"]);
    expect(drain.code).toBe(2);
    expect(drain.stderr).toContain("error: web has a release still unfinished");
    expect(drain.stderr).toContain(
      `hint: finish it first: re-run \`titan deploy -f ${file} --master ${local.url}\``,
    );
    expect(await maintenanceStatus(local.url)).toEqual({});
    // As scale and restart, which build on the running release too.
    for (const [argv, verb] of [
      [["scale", "web", "3"], "scaling"],
      [["restart", "web"], "restarting"],
    ] as const) {
      const refused = await cli([...argv, "--master", local.url, "--yes"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `error: release 2 of web deploys another spec and did not finish (a deploy running or interrupted): ${verb} would supersede it with release 1's spec`,
      );
      expect(refused.stderr).toContain(
        `hint: finish it first: re-run \`titan deploy -f ${file} --master ${local.url}\``,
      );
    }
    const releases = JSON.parse((await cli(["releases", "web", "--master", local.url, "--json"])).stdout);
    expect(releases.releases.map((r: { outcome: string }) => r.outcome)).toEqual(["deployed", "pending"]);
  }, 60_000);
});

describe("scale-in advice beside an app the manifests do not name", () => {
  it("keeps that app's constraints, read from its running release, and drains only the empty agent", async () => {
    const local = await startTestCluster({ ...FAST, agents: 4, zones: ["a", "b", "c", "a"] });
    const { h, cli } = cliFor(local);
    const spread = join(h.cwd, "spread.yaml");
    writeFileSync(
      spread,
      'name: spread\nshell: "sleep 600"\ninstances: 3\nresources: { cpus: 0.1, mem: 32Mi }\nconstraints: [{ balance: zone }]\nkill_grace: 500ms\n',
    );
    expect((await cli(["deploy", "-f", spread, "--master", local.url, "--yes"])).code).toBe(0);
    const zones = new Set((await placements(local.url, "spread")).map((p) => p.agent));
    expect(zones.size).toBe(3);
    const other = join(h.cwd, "other.yaml");
    writeFileSync(
      other,
      'name: other\nshell: "sleep 600"\ninstances: 0\nresources: { cpus: 0.1, mem: 32Mi }\n',
    );

    // A plan of another app: spread's balance still holds, so only an agent spread does not use could go.
    const plan = await cli(["plan", "-f", other, "--master", local.url, "--json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const advice = JSON.parse(plan.stdout).scale_in as { drain: Array<{ agent_id: string }> };
    expect(advice.drain).toHaveLength(1);
    expect(zones.has(advice.drain[0]?.agent_id ?? "")).toBe(false);

    // Drained by advice, the empty agent moves nothing: the dry run says it only brings the agent down.
    const dry = await cli(["drain", "--advised", "--master", local.url, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(
      /Without --dry-run, titan would now bring agent-\d\.local down for maintenance as planned above\./,
    );
    expect(dry.stdout).not.toContain("Scale-in:");
    // A drain has no manifests: its plan says what it leaves alone and why.
    expect(dry.stdout).toContain(
      "Nothing for titan to move: none of the apps it deployed runs on the agents being drained.",
    );
    expect(dry.stdout).toContain("Also running, not on the agents being drained (left alone): spread");
    expect(dry.stdout).not.toContain("manifests");
  }, 60_000);
});

describe("a drain that takes longer than progress_deadline in all", () => {
  it("counts each moved instance as progress, and deploys: no rollback to another spec", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2, zones: ["a"] });
    const { h, cli } = cliFor(local);
    // Each move takes its kill grace (the old task ignores SIGTERM): three moves last longer than the deadline.
    const yaml = (version: string) =>
      `name: slow\nshell: "trap '' TERM; echo ${version}; while true; do sleep 1; done"\ninstances: 3\nresources: { cpus: 0.1, mem: 32Mi }\nkill_grace: 1500ms\nupdate: { max_surge: 1, max_unavailable: 0, min_healthy_time: 300ms, healthy_deadline: 2500ms, progress_deadline: 2500ms }\n`;
    const file = join(h.cwd, "slow.yaml");
    for (const version of ["1", "2"]) {
      writeFileSync(file, yaml(version));
      const deployed = await cli(["deploy", "-f", file, "--master", local.url, "--yes"]);
      expect(deployed.code, deployed.stderr).toBe(0);
    }
    const running = await placements(local.url, "slow");
    const agents = new Set(running.map((r) => r.agent));
    // Binpacking put the three instances on one agent: that one is drained.
    expect(agents.size).toBe(1);
    const [from] = [...agents];

    const drain = await cli(["drain", String(from), "--master", local.url, "--yes", "--json"]);
    expect(drain.code, drain.stderr).toBe(0);
    const done = events(drain.stdout).find((e) => e.type === "done");
    expect(done).toMatchObject({ outcome: "deployed", release: 3 });
    const after = await placements(local.url, "slow");
    expect(after).toHaveLength(3);
    expect(after.every((r) => r.agent !== from)).toBe(true);
    // Still release 2's spec: the moves are of release 2, relabelled release 3 by the drain.
    const releases = await cli(["releases", "slow", "--master", local.url, "--json"]);
    const list = JSON.parse(releases.stdout).releases as Array<{
      number: number;
      outcome: string;
      manifest_digest?: string;
    }>;
    expect(list.map((r) => [r.number, r.outcome])).toEqual([
      [1, "deployed"],
      [2, "deployed"],
      [3, "deployed"],
    ]);
  }, 60_000);
});

describe("titan drain beside an app with no deployed release", () => {
  it("refuses while its first release is under way or after it failed, naming it, and brings nothing down", async () => {
    const local = await startTestCluster({ ...FAST, agents: 2 });
    const { h, cli } = cliFor(local);
    const store = new FileStateStore(
      pathToFileURL(join(h.vars.XDG_DATA_HOME ?? "", "titan", "state", "local")).href,
      {
        clock: systemClock,
        hostname: hostname(),
      },
    );
    // Release 1 of fresh, its first, pending while its two instances run on one agent (a deploy killed there).
    const spec = appSpec({ name: "fresh", instances: 2 });
    await store.addRelease({
      app: "fresh",
      manifestDigest: "sha256:fresh",
      spec,
      user: "me",
      command: "titan deploy -f fresh.yaml",
    });
    const victim = local.agentIds()[0] ?? "";
    const fresh = await startLabelledFramework(local.url, "fresh");
    for (const instance of [0, 1])
      await fresh.waitFor(fresh.launch({ instance, release: 1, command: "sleep 60", agentId: victim }));
    const drain = () => cli(["drain", victim, "--master", local.url, "--yes"]);

    const interrupted = await drain();
    expect(interrupted.code, interrupted.stderr).toBe(2);
    expect(interrupted.stderr).toContain(
      "error: fresh has a release still unfinished (release 1, its first; its deploy was interrupted)",
    );
    expect(interrupted.stderr).toContain("hint: finish it first: re-run `titan deploy -f fresh.yaml`");
    // A deploy holding the lock: the drain names it, as for any app, and says how to wait for it.
    const held = await store.acquireLock(
      "fresh",
      { user: "ana", host: hostname(), pid: process.pid, purpose: "deploy fresh release 1" },
      60_000,
    );
    const running = await drain();
    expect(running.code).toBe(2);
    expect(running.stderr).toContain(
      `error: a deploy of fresh is running (ana@${hostname()}, pid ${process.pid}, deploy fresh release 1)`,
    );
    expect(running.stderr).toContain(
      `hint: wait for that deploy to end (\`titan status fresh --wait --master ${local.url}\`)`,
    );
    await store.releaseLock("fresh", held);
    await store.finishRelease("fresh", 1, "failed", "health gates");
    const failed = await drain();
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("error: no release of fresh was deployed (release 1 failed)");
    // A deploy of another app holding its lock with no task anywhere yet (nothing launched): it could still launch
    // on the other agent before its machine goes down, so draining that agent, where nothing runs, is refused too.
    await store.addRelease({
      app: "late",
      manifestDigest: "sha256:late",
      spec: { ...spec, name: "late" },
      user: "bo",
    });
    const late = await store.acquireLock(
      "late",
      { user: "bo", host: hostname(), pid: process.pid, purpose: "deploy late" },
      60_000,
    );
    const other = local.agentIds()[1] ?? "";
    const empty = await cli(["drain", other, "--master", local.url, "--yes"]);
    expect(empty.code, empty.stderr).toBe(2);
    expect(empty.stderr).toContain(
      `error: a deploy of late is running (bo@${hostname()}, pid ${process.pid}, deploy late)`,
    );
    expect(empty.stderr).toContain(
      `hint: wait for that deploy to end (\`titan status late --wait --master ${local.url}\`)`,
    );
    await store.releaseLock("late", late);

    expect(await maintenanceStatus(local.url)).toEqual({});
    expect(await placements(local.url, "fresh")).toEqual([
      expect.objectContaining({ agent: victim }),
      expect.objectContaining({ agent: victim }),
    ]);
  }, 30_000);
});
