import { describe, expect, it } from "vitest";
import { portIsFree } from "../../src/local/host-ports.js";
import { runCli } from "../support/cli.js";
import { startOneAgentCluster, startTestCluster } from "../support/local-cluster.js";
import { recordAsLocal } from "../support/local-record.js";
import { checkShape } from "../support/proto-shape.js";
import { commandTask, FRAMEWORK, type Json, operator, TestScheduler } from "./scheduler-client.js";

interface Listed {
  agent_id: string;
  hostname: string;
  attributes: Record<string, string>;
  resources: { cpus: number; mem: number; disk: number; ports: Array<{ begin: number; end: number }> };
  state: string;
}

async function agentsOf(stateDir: string): Promise<Listed[]> {
  const listed = await runCli(["local", "agents", "--json"], { env: { TITAN_STATE_DIR: stateDir } });
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { agents: Listed[] }).agents;
}

describe("titan local agents", () => {
  it("adds agents of a shape and zone while the cluster runs, each with a free block of host ports", async () => {
    const local = await startTestCluster({ agents: 2, zones: ["a", "b"] });
    const stateDir = recordAsLocal(local);
    const env = { TITAN_STATE_DIR: stateDir };
    const added = await runCli(
      ["local", "agents", "add", "2", "--shape", "8cpu,16Gi", "--zone", "b", "--json"],
      {
        env,
      },
    );
    expect(added.code, added.stderr).toBe(0);
    const agents = await agentsOf(stateDir);
    expect(agents.map((a) => a.hostname)).toEqual([
      "agent-1.local",
      "agent-2.local",
      "agent-3.local",
      "agent-4.local",
    ]);
    const fresh = agents.slice(2);
    for (const a of fresh) {
      expect(a.attributes).toMatchObject({ zone: "b", instance_type: "local.c8m16" });
      expect(a.resources).toMatchObject({ cpus: 8, mem: 16384 });
      expect(a.state).toBe("registered");
    }
    expect(fresh.map((a) => a.attributes.rack)).toEqual(["b-r2", "b-r3"]);
    // Every agent's range is its own, as large as a first agent's, and nothing listens in the new ones.
    const ranges = agents.flatMap((a) => a.resources.ports);
    const size = (r: { begin: number; end: number }) => r.end - r.begin + 1;
    for (const r of ranges.slice(2)) expect(size(r)).toBe(size(ranges[0] as { begin: number; end: number }));
    for (const [i, r] of ranges.entries())
      for (const other of ranges.slice(i + 1)) expect(r.end < other.begin || other.end < r.begin).toBe(true);
    for (const r of ranges.slice(2)) expect(await portIsFree(r.begin)).toBe(true);
    // The master offers the new agents' resources.
    const masterAgents = ((await operator(local.url, { type: "GET_AGENTS" })).get_agents as Json)
      .agents as Json[];
    expect(masterAgents).toHaveLength(4);
    const s = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const offered = new Set<string>();
    for (let from = 0; offered.size < 4; from = s.events.length) {
      for (const o of await s.offers(from)) offered.add(String(o.hostname));
    }
    expect([...offered].sort()).toContain("agent-4.local");
    s.close();
  }, 20_000);

  it("adds agents of another region on a cluster with fault domains, and lists their regions", async () => {
    const local = await startTestCluster({ agents: 1, zones: ["a"], region: "us-east-1" });
    const stateDir = recordAsLocal(local);
    const env = { TITAN_STATE_DIR: stateDir };
    const add = ["local", "agents", "add", "1", "--fault-domain", "eu-west-1", "--zone", "x"];
    expect((await runCli(add, { env })).code).toBe(0);
    const listed = await runCli(["local", "agents"], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split("\n");
    expect(rows[0]).toMatch(/^ID +HOSTNAME +REGION +ZONE +CPUS/);
    expect(rows.slice(1).map((r) => r.split(/ +/).slice(1, 4))).toEqual([
      ["agent-1.local", "us-east-1", "a"],
      ["agent-2.local", "eu-west-1", "x"],
    ]);
    const agents = await agentsOf(stateDir);
    expect(agents.map((a) => a.attributes.zone)).toEqual([undefined, undefined]);
  }, 20_000);

  it("lists an agent's MOUNT disk beside its plain disk", async () => {
    const local = await startOneAgentCluster({
      ports: [],
      disks: [{ source: { type: "MOUNT", mount: { root: "/mnt/data0" } }, size: 100_000 }],
    });
    const listed = await runCli(["local", "agents"], { env: { TITAN_STATE_DIR: recordAsLocal(local) } });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/ 100 \+100000 MOUNT:\/mnt\/data0 /);
  }, 20_000);

  it("refuses agents of a region on a cluster without fault domains, as a master without --domain does", async () => {
    const local = await startTestCluster({ agents: 1 });
    const env = { TITAN_STATE_DIR: recordAsLocal(local) };
    const add = await runCli(["local", "agents", "add", "1", "--fault-domain", "eu-west-1"], { env });
    expect(add.code).toBe(2);
    expect(add.stderr).toContain(
      "error: --fault-domain eu-west-1: the local cluster was started without a fault domain\n",
    );
    expect(add.stderr).toContain("hint: leave --fault-domain out, or restart the cluster with");
    expect(await agentsOf(env.TITAN_STATE_DIR)).toHaveLength(1);
  }, 20_000);

  it("removes an agent as a real agent shutting down: its tasks are lost and the framework hears of it", async () => {
    const local = await startTestCluster({ agents: 2 });
    const stateDir = recordAsLocal(local);
    const s = await TestScheduler.subscribe(local.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept([String((offer.id as Json).value)], [commandTask("t1", offer)]);
    await s.update("t1", "TASK_RUNNING");
    const host = String(offer.hostname);
    const from = s.events.length;
    const removed = await runCli(["local", "agents", "remove", host], { env: { TITAN_STATE_DIR: stateDir } });
    expect(removed.code, removed.stderr).toBe(0);
    const lost = await s.update("t1", "TASK_LOST", from);
    expect(lost).toMatchObject({
      source: "SOURCE_MASTER",
      reason: "REASON_AGENT_REMOVED",
      message: `Agent ${host} removed: the agent unregistered`,
    });
    const failure = await s.next((e) => e.type === "FAILURE", 5000, from);
    expect(((failure.failure as Json).agent_id as Json).value).toBe((offer.agent_id as Json).value);
    for (const e of s.events)
      expect(checkShape(e, "mesos.v1.scheduler.Event"), JSON.stringify(e)).toEqual([]);
    expect((await agentsOf(stateDir)).map((a) => a.hostname)).not.toContain(host);
    const tasks = ((await operator(local.url, { type: "GET_TASKS" })).get_tasks as Json).tasks;
    expect(tasks ?? []).toEqual([]);
    s.close();
  }, 20_000);

  it("refuses unknown agents and bad counts with exit 2, and changes nothing", async () => {
    const local = await startTestCluster({ agents: 1 });
    const env = { TITAN_STATE_DIR: recordAsLocal(local) };
    const unknown = await runCli(["local", "agents", "remove", "agent-1.local", "agent-9.local"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no agent 'agent-9.local'");
    const bad = await runCli(["local", "agents", "add", "0"], { env });
    expect(bad.code).toBe(2);
    const choice = await runCli(["local", "agents", "add", "1", "--shape", "4cpu,8Gi,zone=a|b"], { env });
    expect(choice.code).toBe(2);
    for (const [flag, value] of [
      ["--zone", ""],
      ["--zone", "  "],
      ["--fault-domain", ""],
    ] as const) {
      const empty = await runCli(["local", "agents", "add", "1", flag, value], { env });
      expect(empty.code, empty.stderr).toBe(2);
      expect(empty.stderr).toBe(
        `error: ${flag} needs a name, got ${JSON.stringify(value)}\nhint: e.g. ${flag === "--zone" ? "--zone b" : "--fault-domain eu-west"}, or leave ${flag} out\n`,
      );
    }
    expect(local.agentIds()).toHaveLength(1);
    const none = await runCli(["local", "agents"], {
      env: { TITAN_STATE_DIR: recordAsLocal(local).concat("-x") },
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("titan local up");
  }, 20_000);

  it("shows a zone or hostname holding terminal controls escaped, in the listing and in status", async () => {
    const zone = "x\u001b]0;pwn\u0007\u202e";
    const local = await startTestCluster({ agents: 1, zones: [zone] });
    const env = { TITAN_STATE_DIR: recordAsLocal(local) };
    for (const args of [
      ["local", "agents"],
      ["local", "status"],
    ]) {
      const shown = await runCli(args, { env });
      expect(shown.code, shown.stderr).toBe(0);
      for (const control of ["\u001b", "\u0007", "\u202e"]) expect(shown.stdout).not.toContain(control);
      expect(shown.stdout).toContain("x\\x1b]0;pwn\\x07\\u202e");
    }
    // --json stays exact.
    expect((await agentsOf(env.TITAN_STATE_DIR))[0]?.attributes.zone).toBe(zone);
  }, 20_000);

  it("refuses a zone, region or attribute holding terminal controls with exit 2, and adds nothing", async () => {
    const local = await startTestCluster({ agents: 1 });
    const env = { TITAN_STATE_DIR: recordAsLocal(local) };
    for (const flags of [
      ["--zone", "x\u001b]0;pwn\u0007"],
      ["--fault-domain", "eu\u009b2J"],
      ["--shape", "4cpu,8Gi,rack=r\u001b[2J"],
      ["--shape", "4cpu,8Gi,zone=b\nc"],
    ]) {
      const add = await runCli(["local", "agents", "add", "1", ...flags], { env });
      expect(add.code, add.stderr).toBe(2);
      expect(add.stderr).toMatch(/^error: --(zone|fault-domain|shape)\b.* holds a control character/);
      for (const control of ["\u001b", "\u0007", "\u009b"]) expect(add.stderr).not.toContain(control);
    }
    expect(local.agentIds()).toHaveLength(1);
  }, 20_000);

  it("says each agent removed once, however often it was named", async () => {
    const local = await startTestCluster({ agents: 2 });
    const env = { TITAN_STATE_DIR: recordAsLocal(local) };
    const [first] = local.agentIds();
    const removed = await runCli(
      ["local", "agents", "remove", String(first), "agent-1.local", String(first)],
      {
        env,
      },
    );
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe(`removed ${first}\n`);
    const json = await runCli(["local", "agents", "remove", "agent-2.local", "AGENT-2.local", "--json"], {
      env,
    });
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { removed: string[] }).removed).toHaveLength(1);
  }, 20_000);
});
