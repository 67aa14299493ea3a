import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startTestCluster } from "../support/local-cluster.js";
import { recordAsLocal } from "../support/local-record.js";
import { dataHome, events, FAST, home, liveTasks, titan, writeWebApp } from "./harness.js";

function progressFile(h: { vars: Record<string, string> }): string {
  return join(dataHome(h), "titan", "state", "local", "apps", "web", "progress.json");
}

type MasterOptions = NonNullable<Parameters<typeof startTestCluster>[0]>["master"];

/** Three instances of web deployed on a local cluster with `master` settings, and the tasks the master lists. */
async function deployedWeb(master: MasterOptions) {
  const local = await startTestCluster({ master: { ...FAST.master, ...master } });
  const h = home();
  const app = { instances: 3, healthyDeadline: "60s", progressDeadline: "60s" };
  const file = writeWebApp(h.cwd, app);
  expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
  const listed = (await (await fetch(`${local.url}/master/tasks`)).json()) as {
    tasks: Array<{ id: string; slave_id: string }>;
  };
  return { local, h, app, file, tasks: listed.tasks };
}

describe("titan deploy across a master failover whose agents re-register late", () => {
  it("plans only once the master knows its agents again, and never launches their instances twice", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const app = { instances: 3, healthyDeadline: "60s", progressDeadline: "60s" };
    const file = writeWebApp(h.cwd, app);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    // The new master shows neither the agents nor their tasks until they re-register (Master::_recover).
    await local.faults.failoverMaster(8000);
    writeWebApp(h.cwd, { ...app, instances: 4 });
    const plan = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(plan.stderr).toMatch(
      /warning: \d agent\(s\) have not re-registered since the master failed over; .*this plan would launch them again/,
    );
    const scaled = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(scaled.code).toBe(0);
    expect(scaled.stderr).toMatch(/waiting for the master: \d agent\(s\) have not re-registered/);
    // The master says how long it waits for them (its flags), and since when (its election): the time left is said.
    expect(scaled.stderr).toMatch(
      /^waiting for the master: .*\(within its --agent_reregister_timeout of 10mins: it gives up on them in about (?:10m|9m\d+s)\)/m,
    );
    const list = events(scaled.stdout);
    expect(list.filter((e) => e.type === "launch").map((e) => e.task)).toEqual(["web.2.3.1"]);
    expect(list.filter((e) => e.type === "killing")).toEqual([]);
    const live = (await liveTasks(local.url)).map((t) => t.id).sort();
    expect(live).toEqual(["web.1.0.1", "web.1.1.1", "web.1.2.1", "web.2.3.1"]);
  }, 120_000);

  it("holds the instance of an agent that never re-registers as unreachable, never as unknown and relaunched", async () => {
    const { local, h, app, file, tasks } = await deployedWeb({ agentReregisterTimeoutMs: 3000 });
    const [dead] = tasks;
    if (dead === undefined) throw new Error("no task to strand");
    // Its machine dies, then the master fails over: the agent stays recovered until the master gives up on it.
    await local.faults.stopAgent(dead.slave_id);
    await local.faults.failoverMaster(0);
    writeWebApp(h.cwd, { ...app, instances: 4 });
    const scaled = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(scaled.code).toBe(0);
    const list = events(scaled.stdout);
    // Asked with its agent, the master answers TASK_UNREACHABLE for a task of an agent it marked unreachable.
    expect(list.filter((e) => e.type === "lost")).toEqual([]);
    const stranded = tasks
      .filter((t) => t.slave_id === dead.slave_id)
      .map((t) => t.id)
      .sort();
    const unreachable = list.filter((e) => e.type === "unreachable").map((e) => String(e.task));
    expect(unreachable.sort()).toEqual(stranded);
    // They may still run: the record keeps them for the next run to ask about.
    const record = JSON.parse(readFileSync(progressFile(h), "utf8")) as { launched: string[] };
    expect(record.launched).toEqual(expect.arrayContaining(stranded));
  }, 120_000);

  it("titan drain waits for the agents to re-register: it finds the agent named and the instances to move", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const env = { ...h.vars, TITAN_STATE_DIR: recordAsLocal(local) };
    const cli = (argv: string[]) => runCli(argv, { env, cwd: h.cwd });
    const file = writeWebApp(h.cwd, { instances: 2, healthyDeadline: "60s", progressDeadline: "60s" });
    expect((await cli(["deploy", "-f", file, "--master", local.url, "--yes"])).code).toBe(0);
    const tasks = (await (await fetch(`${local.url}/master/tasks`)).json()) as {
      tasks: Array<{ slave_id: string }>;
    };
    const agents = (await (await fetch(`${local.url}/master/slaves`)).json()) as {
      slaves: Array<{ id: string; hostname: string }>;
    };
    const host = agents.slaves.find((a) => a.id === tasks.tasks[0]?.slave_id)?.hostname ?? "";
    await local.faults.failoverMaster(4000);
    const drained = await cli(["drain", host, "--master", local.url, "--yes", "--json"]);
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stderr).toMatch(/waiting for the master: \d agent\(s\) have not re-registered/);
    expect(events(drained.stdout).filter((e) => e.type === "launch").length).toBeGreaterThan(0);
  }, 120_000);

  it("Ctrl-C while waiting for the agents stops the change as an interruption: no plan, nothing recorded", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const app = { instances: 2, healthyDeadline: "60s", progressDeadline: "60s" };
    const file = writeWebApp(h.cwd, app);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    await local.faults.failoverMaster(20_000);
    writeWebApp(h.cwd, { ...app, instances: 3 });
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 1500);
    const stopped = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], {
      ...h,
      signal: interrupt.signal,
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/^hint: agents re-register once they run/m);
    expect(stopped.stderr).toContain("interrupted while waiting for the master's agents to re-register");
    expect(events(stopped.stdout).map((e) => e.type)).not.toContain("plan");
    const record = JSON.parse(readFileSync(progressFile(h), "utf8")) as { release: number };
    expect(record.release).toBe(1);
  }, 120_000);

  it("--timeout bounds the wait for the agents: exit 7, no plan, nothing recorded", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const app = { instances: 2, healthyDeadline: "60s", progressDeadline: "60s" };
    const file = writeWebApp(h.cwd, app);
    expect((await titan(["deploy", "-f", file, "--master", local.url, "--yes"], h)).code).toBe(0);
    await local.faults.failoverMaster(20_000);
    writeWebApp(h.cwd, { ...app, instances: 3 });
    const started = Date.now();
    const cut = await titan(
      ["deploy", "-f", file, "--master", local.url, "--yes", "--json", "--timeout", "2s"],
      h,
    );
    expect(cut.code).toBe(7);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cut.stderr).toContain("timed out waiting for the master: 3 agent(s) have not re-registered");
    expect(events(cut.stdout).map((e) => e.type)).not.toContain("plan");
    const record = JSON.parse(readFileSync(progressFile(h), "utf8")) as { release: number };
    expect(record.release).toBe(1);
  }, 120_000);

  it("titan plan while every agent re-registers blames the master's wait, not the request", async () => {
    const local = await startTestCluster(FAST);
    const h = home();
    const file = writeWebApp(h.cwd, { instances: 3 });
    await local.faults.failoverMaster(20_000);
    const plan = await titan(["plan", "-f", file, "--master", local.url], h);
    expect(plan.code).toBe(4);
    expect(plan.stdout).toContain(
      "3 agent(s) have not re-registered since the master failed over: the master offers none",
    );
    expect(plan.stdout).not.toContain("change the request");
    expect(plan.stderr).toMatch(/error: the plan does not fit: .*3 agent\(s\) have not re-registered/);
  }, 60_000);
});

describe("titan deploy across a master failover after an agent was marked unreachable", () => {
  it("replaces its instance once, asks about its task with its agent, and stops the duplicate when it returns", async () => {
    // The new master knows the agent only from the registry's unreachable list and none of its tasks
    // (master.cpp `Master::_recover`); titan's record names the task with its agent, which the master answers
    // TASK_UNREACHABLE for (`Master::reconcile`, case 4).
    const { local, h, file, tasks } = await deployedWeb({ agentUnreachableAfterMs: 500 });
    const [cut] = tasks;
    if (cut === undefined) throw new Error("no task to cut off");
    const stranded = tasks.filter((t) => t.slave_id === cut.slave_id).map((t) => t.id);
    await local.faults.partitionAgent(cut.slave_id);
    for (let i = 0; i < 100; i++) {
      const live = await liveTasks(local.url);
      if (live.some((t) => t.state === "TASK_UNREACHABLE")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await local.faults.failoverMaster(0);
    expect((await liveTasks(local.url)).map((t) => t.id)).not.toContain(cut.id);

    const again = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(again.code, again.stderr).toBe(0);
    const list = events(again.stdout);
    expect(list.filter((e) => e.type === "launch")).toHaveLength(stranded.length);
    expect(
      list
        .filter((e) => e.type === "unreachable")
        .map((e) => String(e.task))
        .sort(),
    ).toEqual([...stranded].sort());
    expect(await liveTasks(local.url)).toHaveLength(3);

    // The agent returns with its tasks: every instance has two, and the next deploy stops one of each.
    await local.faults.healAgent(cut.slave_id);
    for (let i = 0; i < 100 && (await liveTasks(local.url)).length < 3 + stranded.length; i++)
      await new Promise((r) => setTimeout(r, 50));
    const settled = await titan(["deploy", "-f", file, "--master", local.url, "--yes", "--json"], h);
    expect(settled.code, settled.stderr).toBe(0);
    const live = (await liveTasks(local.url)).map((t) => t.id);
    expect(live).toHaveLength(3);
    expect(new Set(live.map((id) => id.split(".")[2])).size).toBe(3);
  }, 120_000);
});
