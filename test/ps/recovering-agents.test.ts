import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { runCli } from "../support/cli.js";
import { scriptedServer } from "../support/scripted-server.js";
import { isolatedHome, recordReleases } from "../support/state-home.js";

/**
 * A master that failed over and waits for its agents to re-register lists none of their tasks, only the agents in
 * GET_AGENTS' `recovered_agents` (master.cpp `Master::_recover`): `ps`, `status` and `top` must say so rather than
 * report that nothing runs.
 */

const FRAMEWORK = "fw-titan";
const AGENT = { id: { value: "agent-1" }, hostname: "agent-1.local", port: 5051 };

function masterState(recovering: boolean): unknown {
  const now = Date.now() / 1000;
  const tasks = [0, 1].map((instance) => {
    const id = `web.1.${instance}.0`;
    return {
      name: "web",
      task_id: { value: id },
      framework_id: { value: FRAMEWORK },
      agent_id: AGENT.id,
      state: "TASK_RUNNING",
      resources: [],
      statuses: [{ task_id: { value: id }, state: "TASK_RUNNING", timestamp: now - 60 }],
      labels: { labels: taskLabels({ app: "web", instance, release: 1, digest: "sha256:2" }) },
    };
  });
  return {
    type: "GET_STATE",
    get_state: {
      get_tasks: recovering ? {} : { tasks },
      get_agents: recovering
        ? { agents: [], recovered_agents: [AGENT] }
        : { agents: [{ active: true, agent_info: AGENT, pid: "slave(1)@127.0.0.1:5051" }] },
      get_frameworks: {
        frameworks: [{ framework_info: { id: { value: FRAMEWORK }, name: "titan:web", user: "titan" } }],
      },
    },
  };
}

/** A master whose GET_STATE answers are recovering (true) or not, request by request, per `phase(n)`. */
async function failedOverMaster(phase: (request: number) => boolean) {
  let requests = 0;
  const server = await scriptedServer((_request, response: ServerResponse) => {
    requests += 1;
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify(masterState(phase(requests))));
  });
  return { url: server.url, requests: () => requests };
}

async function home(): Promise<Record<string, string>> {
  const { env, dir } = isolatedHome();
  await recordReleases(dir, "web", [{ instances: 2, outcome: "deployed" }]);
  return env;
}

const stops: AbortController[] = [];
afterEach(() => {
  for (const controller of stops.splice(0)) controller.abort();
});

describe("a master waiting for its agents to re-register after a failover", () => {
  it("ps says their tasks are not listed, instead of showing nothing running", async () => {
    const master = await failedOverMaster(() => true);
    const env = await home();
    const text = await runCli(["ps", "--master", master.url], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      "recovering: 1 agent has not re-registered since the master failed over: their tasks are not listed until they do",
    );
    expect(text.stdout).toMatch(/web\s+desired 2\s+running 0/);
    expect(text.stdout).toContain("no instances listed while the master waits for agents to re-register");
    expect(text.stdout).not.toMatch(/no instances$/m);

    const json = await runCli(["ps", "--master", master.url, "--json"], { env });
    expect((JSON.parse(json.stdout) as { regions: Array<Record<string, unknown>> }).regions[0]).toMatchObject(
      {
        recovering_agents: 1,
      },
    );
  });

  it("status says unknown, not degraded, and why", async () => {
    const master = await failedOverMaster(() => true);
    const env = await home();
    const text = await runCli(["status", "web", "--master", master.url], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^web {2}unknown {2}desired 2 {2}running 0/);
    expect(text.stdout).toContain("1 agent has not re-registered since the master failed over");
    const json = await runCli(["status", "web", "--master", master.url, "--json"], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "unknown", ok: false, recovering_agents: 1 });

    const back = await failedOverMaster(() => false);
    const listed = await runCli(["status", "web", "--master", back.url], { env });
    expect(listed.stdout).toMatch(/^web {2}ok {2}desired 2 {2}running 2/);
  });

  it("top says their tasks are not listed, and why an app named has no instance to measure", async () => {
    const master = await failedOverMaster(() => true);
    const env = await home();
    const every = await runCli(["top", "--master", master.url, "--interval", "100ms"], { env });
    expect(every.stderr).toBe("");
    expect(every.code).toBe(0);
    expect(every.stdout).toContain("recovering: 1 agent has not re-registered since the master failed over");
    expect(every.stdout).toContain("no titan app is listed here");
    const named = await runCli(["top", "web", "--master", master.url, "--interval", "100ms"], { env });
    expect(named.stdout).toContain(
      "web  0 instances  no instance to measure: release 1 asks for 2 instances and none is listed: 1 agent has not re-registered",
    );
  });

  it("ps --watch keeps the tasks it cannot see, and says when the agents are back, not gone and new", async () => {
    // Listed, then two polls while the agent has not re-registered, then listed again.
    const master = await failedOverMaster((n) => n >= 3 && n <= 4);
    const env = await home();
    const controller = new AbortController();
    stops.push(controller);
    const watching = runCli(["ps", "--watch", "--interval", "100ms", "--master", master.url], {
      env,
      signal: controller.signal,
    });
    for (let i = 0; i < 400 && master.requests() < 7; i += 1) await new Promise((r) => setTimeout(r, 25));
    controller.abort();
    const { code, stdout, stderr } = await watching;
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).not.toContain("no longer reported");
    expect(stdout).not.toContain("new:");
    const changes = stdout.split("\n").filter((line) => /^\d{4}-/.test(line));
    expect(changes.map((line) => line.replace(/^\S+ {2}/, ""))).toEqual([
      "1 agent has not re-registered since the master failed over: their tasks are not listed until they do",
      "every agent re-registered with the master: its tasks are listed again",
    ]);
  });

  it("logs says why it has no instance to read: the master does not list their tasks yet", async () => {
    const master = await failedOverMaster(() => true);
    const env = await home();
    const read = await runCli(["logs", "web", "--master", master.url], { env });
    expect(read.code).toBe(1);
    expect(read.stderr).toContain(
      "web has no instance to read: release 1 asks for 2 instances and none is listed: 1 agent has not re-registered since the master failed over: their tasks are not listed until they do",
    );
  });
});
