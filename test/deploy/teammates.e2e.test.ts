import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Json, operator } from "../local/scheduler-client.js";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { type StateReadGate, startStateReadGate } from "../support/state-read-gate.js";
import { tempDir } from "../support/tmp.js";
import { dataHome, FAST, home, liveTaskIds, titan, writeWebApp } from "./harness.js";

const gates: StateReadGate[] = [];
afterEach(async () => {
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

/**
 * A local cluster, and two ways to it for two teammates sharing one state store: `direct`, and `slow`, through a
 * gate that holds the cluster's state read of a command for as long as the test needs.
 */
async function twoTeammates() {
  const local = await startTestCluster(FAST);
  const gate = await startStateReadGate(local.url);
  gates.push(gate);
  return {
    local,
    gate,
    h: home(),
    direct: ["--master", local.url, "--yes"],
    slow: ["--master", gate.url, "--yes"],
  };
}

async function releaseNumbers(h: ReturnType<typeof home>): Promise<number[]> {
  const listed = JSON.parse((await titan(["releases", "web", "--json"], h)).stdout).releases;
  return listed.map((r: { number: number }) => r.number);
}

const REFUSED = /error: web changed after this plan was made \(release 2, deployed, by [^,]+, `([^`]+)`\)\n/;
const RE_RUN = "hint: re-run the command to plan it again from what runs now";

describe("a command that builds on the app's release, while a teammate changes the app", () => {
  it("titan scale does not put back the spec a teammate's deploy replaced while it read the cluster", async () => {
    const { local, gate, h, direct, slow } = await twoTeammates();
    const file = writeWebApp(h.cwd, { instances: 2 });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    // The scale reads release 1's spec, then the cluster: the teammate deploys version 2 meanwhile.
    const held = gate.hold();
    const scaling = titan(["scale", "web", "3", ...slow], h);
    await held.arrived;
    writeWebApp(h.cwd, { instances: 2, version: "2" });
    const theirs = await titan(["deploy", "-f", file, ...direct], h);
    expect(theirs.code, theirs.stderr).toBe(0);
    held.release();

    const mine = await scaling;
    expect(mine.code, mine.stderr).toBe(1);
    expect(mine.stderr).toMatch(REFUSED);
    expect(REFUSED.exec(mine.stderr)?.[1]).toMatch(/^titan deploy -f \S+web\.yaml --master /);
    expect(mine.stderr).toContain(RE_RUN);
    // The teammate's release runs, untouched, and the scale recorded nothing.
    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1", "web.2.1.1"]);
    expect(await releaseNumbers(h)).toEqual([1, 2]);
  }, 60_000);

  it("titan restart does not undo a teammate's scale made while it read the cluster", async () => {
    const { local, gate, h, direct, slow } = await twoTeammates();
    expect((await titan(["deploy", "-f", writeWebApp(h.cwd, { instances: 2 }), ...direct], h)).code).toBe(0);
    const held = gate.hold();
    const restarting = titan(["restart", "web", ...slow], h);
    await held.arrived;
    const theirs = await titan(["scale", "web", "1", ...direct], h);
    expect(theirs.code, theirs.stderr).toBe(0);
    held.release();

    const mine = await restarting;
    expect(mine.code, mine.stderr).toBe(1);
    expect(REFUSED.exec(mine.stderr)?.[1]).toMatch(/^titan scale web 1 --master /);
    expect(mine.stderr).toContain(RE_RUN);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1"]);
    expect(await releaseNumbers(h)).toEqual([1, 2]);
  }, 60_000);

  it("titan restart does not undo a teammate's scale that was under way when it read the releases, and ended", async () => {
    const { local, gate, h, direct, slow } = await twoTeammates();
    // Each instance answers its health checks only once the file `open` exists.
    const shared = tempDir("titan-open-");
    chmodSync(shared, 0o777); // the task runs as the cluster's task user
    const open = join(shared, "open");
    const server = "require('http').createServer((q,s)=>s.end()).listen(process.env.PORT_HTTP)";
    const shell = `until [ -e ${open} ]; do sleep 0.05; done; exec node -e "${server}"`;
    const file = writeWebApp(h.cwd, {
      instances: 1,
      shell,
      healthGrace: "60s",
      healthyDeadline: "60s",
      progressDeadline: "90s",
    });
    writeFileSync(open, "");
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    rmSync(open);
    // The teammate's scale to 2 records release 2 and waits for its new instance.
    const theirs = titan(["scale", "web", "2", ...direct], h);
    const recorded = join(dataHome(h), "titan", "state", "local", "apps", "web", "releases", "000002.json");
    for (let i = 0; i < 1000 && !existsSync(recorded); i++) await new Promise((r) => setTimeout(r, 10));
    expect(existsSync(recorded)).toBe(true);
    // The restart reads the releases (release 2 pending, a count of the same spec), then the cluster: the
    // teammate's scale ends meanwhile.
    const held = gate.hold();
    const restarting = titan(["restart", "web", ...slow], h);
    await held.arrived;
    writeFileSync(open, "");
    const scaled = await theirs;
    expect(scaled.code, scaled.stderr).toBe(0);
    held.release();

    const mine = await restarting;
    expect(mine.code, mine.stderr).toBe(1);
    expect(REFUSED.exec(mine.stderr)?.[1]).toMatch(/^titan scale web 2 --master /);
    expect(mine.stderr).toContain(RE_RUN);
    expect(await liveTaskIds(local.url)).toEqual(["web.1.0.1", "web.2.1.1"]);
    expect(await releaseNumbers(h)).toEqual([1, 2]);
  }, 60_000);

  it("titan rollback does not undo a teammate's deploy made while it read the cluster", async () => {
    const { local, gate, h, direct, slow } = await twoTeammates();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    writeWebApp(h.cwd, { instances: 1, version: "2" });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    const held = gate.hold();
    const rolling = titan(["rollback", "web", ...slow], h);
    await held.arrived;
    writeWebApp(h.cwd, { instances: 1, version: "3" });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    held.release();

    const mine = await rolling;
    expect(mine.code, mine.stderr).toBe(1);
    expect(mine.stderr).toMatch(
      /error: web changed after this plan was made \(release 3, deployed, by [^,]+, `titan deploy -f [^`]+`\)\n/,
    );
    expect(mine.stderr).toContain(RE_RUN);
    expect(await liveTaskIds(local.url)).toEqual(["web.3.0.1"]);
    expect(await releaseNumbers(h)).toEqual([1, 2, 3]);
  }, 60_000);

  it("titan drain does not move an app with the spec a teammate's deploy replaced, nor schedule the agent", async () => {
    const { local, gate, h, direct } = await twoTeammates();
    const file = writeWebApp(h.cwd, { instances: 1 });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    const tasks = ((await operator(local.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[];
    const agent = String(((tasks[0] as Json).agent_id as Json).value);
    // The drain reads the cluster, then web's releases, then the cluster again for its plan: held there.
    const held = gate.hold(2);
    const draining = runCli(["drain", agent, "--master", gate.url, "--yes"], { env: h.vars, cwd: h.cwd });
    await held.arrived;
    writeWebApp(h.cwd, { instances: 1, version: "2" });
    expect((await titan(["deploy", "-f", file, ...direct], h)).code).toBe(0);
    held.release();

    const mine = await draining;
    expect(mine.code, mine.stderr).toBe(1);
    expect(REFUSED.exec(mine.stderr)?.[1]).toMatch(/^titan deploy -f /);
    expect(mine.stderr).toContain(RE_RUN);
    expect(await liveTaskIds(local.url)).toEqual(["web.2.0.1"]);
    expect(await releaseNumbers(h)).toEqual([1, 2]);
    // No machine was scheduled for maintenance.
    const status = (await operator(local.url, { type: "GET_MAINTENANCE_STATUS" })).get_maintenance_status;
    expect((status as Json).status).toEqual({});
  }, 60_000);
});
