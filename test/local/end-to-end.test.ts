import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { commandTask, FRAMEWORK, type Json, operator, TestScheduler } from "./scheduler-client.js";

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

describe("local cluster with real agents", () => {
  it("runs a shell task as a process, serves its output, kills it, and frees its ports when stopped", async () => {
    const c = await startTestCluster({ agents: 3 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept([String((offer.id as Json).value)], [commandTask("hello.1", offer, "echo hi; sleep 30")]);
    const running = await s.update("hello.1", "TASK_RUNNING", 0, 10_000);
    expect(running.source).toBe("SOURCE_EXECUTOR");

    const agents = ((await operator(c.url, { type: "GET_AGENTS" })).get_agents as Json).agents as Json[];
    const agent = agents.find(
      (a) => ((a.agent_info as Json).id as Json).value === (offer.agent_id as Json).value,
    ) as Json;
    const agentUrl = `http://127.0.0.1:${(agent.agent_info as Json).port}`;
    const path = `/frameworks/${s.frameworkId}/executors/hello.1/runs/latest/stdout`;
    let data = "";
    for (let i = 0; i < 100 && !data.includes("hi"); i++) {
      const read = await fetch(`${agentUrl}/files/read?path=${encodeURIComponent(path)}&offset=0`);
      if (read.status === 200) data = String(((await read.json()) as Json).data);
      if (!data.includes("hi")) await new Promise((r) => setTimeout(r, 20));
    }
    expect(data).toBe("hi\n");

    await s.call({
      type: "KILL",
      kill: {
        task_id: { value: "hello.1" },
        agent_id: offer.agent_id,
        kill_policy: { grace_period: { nanoseconds: 100_000_000 } },
      },
    });
    await s.update("hello.1", "TASK_KILLING", 0, 10_000);
    await s.update("hello.1", "TASK_KILLED", 0, 10_000);
    for (const e of s.events)
      expect(checkShape(e, "mesos.v1.scheduler.Event"), JSON.stringify(e)).toEqual([]);
    s.close();

    const masterPort = Number(new URL(c.url).port);
    const agentPort = Number((agent.agent_info as Json).port);
    await c.stop();
    expect(await portIsFree(masterPort)).toBe(true);
    expect(await portIsFree(agentPort)).toBe(true);
  });

  it("reports a task's exit status as TASK_FINISHED / TASK_FAILED", async () => {
    const c = await startTestCluster({ agents: 1 });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offer = (await s.offers())[0] as Json;
    await s.accept(
      [String((offer.id as Json).value)],
      [commandTask("ok.1", offer, "exit 0"), commandTask("bad.1", offer, "exit 3")],
    );
    await s.update("ok.1", "TASK_FINISHED", 0, 10_000);
    const failed = await s.update("bad.1", "TASK_FAILED", 0, 10_000);
    expect(String(failed.message)).toContain("3");
    s.close();
  });
});
