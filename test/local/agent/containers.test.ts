import { totalmem } from "node:os";
import { describe, expect, it } from "vitest";
import type { TaskInfoJson } from "../../../src/local/agent/api.js";
import { processTreeUsage, procUnits, readProcessTable } from "../../../src/local/agent/proc-usage.js";
import { containerTestProblem, pushHelloImage } from "../../support/hello-image.js";
import { checkShape } from "../../support/proto-shape.js";
import { startRegistry } from "../../support/registry.js";
import {
  callAgent,
  commandTask,
  eventually,
  FRAMEWORK,
  FRAMEWORK_ID,
  startTestAgent,
  type TestAgent,
} from "./support.js";

const imageProblem = containerTestProblem();
const MiB = 1024 * 1024;

type Obj = Record<string, unknown>;

interface Container {
  framework_id: { value: string };
  executor_id: { value: string };
  executor_name: string;
  container_id: { value: string };
  container_status: Obj;
  resource_statistics: Record<string, number>;
}

/** A GET_CONTAINERS answer, checked against agent.proto's Response. */
async function getContainers(agent: TestAgent, call_: Obj = { type: "GET_CONTAINERS" }): Promise<Obj> {
  const response = await callAgent(agent, call_);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  const json = (await response.json()) as Obj;
  expect(checkShape(json, "mesos.v1.agent.Response"), JSON.stringify(json)).toEqual([]);
  return json;
}

function containersOf(answer: Obj): Container[] {
  return ((answer.get_containers as Obj | undefined)?.containers ?? []) as Container[];
}

async function monitor(agent: TestAgent): Promise<Array<Obj & { statistics: Record<string, number> }>> {
  const response = await fetch(`${agent.agent.url}/monitor/statistics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  const json = (await response.json()) as Array<Obj & { statistics: Record<string, number> }>;
  // Each entry's statistics is a ResourceStatistics (stout's JSON of the protobuf): check it against mesos.proto.
  for (const entry of json) expect(checkShape(entry.statistics, "mesos.v1.ResourceStatistics")).toEqual([]);
  return json;
}

/** The container id the agent's /state shows for an executor. */
async function stateContainerId(agent: TestAgent, executorId: string): Promise<string | undefined> {
  const state = (await (await fetch(`${agent.agent.url}/state`)).json()) as {
    frameworks: Array<{ executors: Array<{ id: string; container: string }> }>;
  };
  return state.frameworks.flatMap((f) => f.executors).find((e) => e.id === executorId)?.container;
}

const cpuSeconds = (stats: Record<string, number>) =>
  (stats.cpus_user_time_secs ?? 0) + (stats.cpus_system_time_secs ?? 0);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A command task of 0.5 cpus and 64 MB whose busy loop runs in a grandchild of the task's process. */
function busyTask(id: string, extra: Partial<TaskInfoJson> = {}): TaskInfoJson {
  const task = commandTask(id, { value: "(while :; do :; done) & wait" }, extra);
  task.resources = [
    { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, allocation_info: { role: "titan" } },
    { name: "mem", type: "SCALAR", scalar: { value: 64 }, allocation_info: { role: "titan" } },
    { name: "disk", type: "SCALAR", scalar: { value: 10 }, allocation_info: { role: "titan" } },
  ];
  return task;
}

describe("local agent: GET_CONTAINERS and /monitor/statistics", () => {
  it("reports each running executor's container with the posix isolators' statistics of its process tree", async () => {
    const agent = await startTestAgent();
    expect(await getContainers(agent)).toEqual({ type: "GET_CONTAINERS" });
    expect(await monitor(agent)).toEqual([]);

    agent.agent.launch(FRAMEWORK_ID, busyTask("busy"), FRAMEWORK);
    const running = await agent.waitFor("busy", "TASK_RUNNING");
    const pid = agent.agent.tasks()[0]?.pid ?? 0;
    // The loop runs in a subshell: wait until the task's process has its child.
    await eventually(() => (readProcessTable().children.get(pid)?.length ?? 0) > 0);

    const first = await getContainers(agent, {
      type: "GET_CONTAINERS",
      get_containers: { show_nested: true, show_standalone: true },
    });
    await pause(1000);
    const second = await getContainers(agent);
    const [before] = containersOf(first);
    const [after] = containersOf(second);
    expect(containersOf(second)).toHaveLength(1);
    if (before === undefined || after === undefined) throw new Error("no container listed");

    const containerId = await stateContainerId(agent, "busy");
    expect(containerId).toMatch(/^[0-9a-f-]{36}$/);
    expect(after).toEqual({
      framework_id: { value: FRAMEWORK_ID },
      executor_id: { value: "busy" },
      executor_name: "Command Executor (Task: busy) (Command: sh -c '(while :; do...')",
      container_id: { value: containerId },
      container_status: {
        container_id: { value: containerId },
        executor_pid: running.containerStatus?.executor_pid,
      },
      resource_statistics: {
        timestamp: expect.any(Number),
        cpus_user_time_secs: expect.any(Number),
        cpus_system_time_secs: expect.any(Number),
        mem_rss_bytes: expect.any(Number),
        // The task's 0.5 cpus and 64 MB plus the command executor's 0.1 cpus and 32 MB; no cpus_limit without
        // CFS or a task limit; mem_limit_bytes is the memory request.
        cpus_soft_limit: 0.6,
        mem_limit_bytes: 96 * MiB,
        mem_soft_limit_bytes: 96 * MiB,
      },
    });
    // The same container id as the status updates carry.
    expect(running.containerStatus?.container_id).toEqual({ value: containerId });

    const s1 = before.resource_statistics;
    const s2 = after.resource_statistics;
    expect(cpuSeconds(s2)).toBeGreaterThan(cpuSeconds(s1));
    expect(s2.timestamp).toBeGreaterThan(s1.timestamp ?? Number.POSITIVE_INFINITY);
    expect(Math.abs((s2.timestamp ?? 0) - Date.now() / 1000)).toBeLessThan(30);
    expect(s2.mem_rss_bytes).toBeGreaterThan(0);
    // The loop's subshell is counted: the tree has the task's shell and its child.
    expect(processTreeUsage(readProcessTable(), pid, procUnits())?.processes).toBeGreaterThanOrEqual(2);

    const [legacy] = await monitor(agent);
    expect(legacy).toEqual({
      executor_id: "busy",
      executor_name: after.executor_name,
      framework_id: FRAMEWORK_ID,
      source: "busy",
      statistics: {
        cpus_soft_limit: 0.6,
        cpus_system_time_secs: expect.any(Number),
        cpus_user_time_secs: expect.any(Number),
        mem_limit_bytes: 96 * MiB,
        mem_rss_bytes: expect.any(Number),
        mem_soft_limit_bytes: 96 * MiB,
        timestamp: expect.any(Number),
      },
    });
    // Keys as stout writes a JSON object: sorted.
    expect(Object.keys(legacy ?? {})).toEqual([...Object.keys(legacy ?? {})].sort());
    expect(Object.keys(legacy?.statistics ?? {})).toEqual([...Object.keys(legacy?.statistics ?? {})].sort());
    expect(cpuSeconds(legacy?.statistics ?? {})).toBeGreaterThanOrEqual(cpuSeconds(s2));
    expect(legacy?.statistics.mem_rss_bytes).toBeGreaterThan(0);

    const jsonp = await fetch(`${agent.agent.url}/monitor/statistics?jsonp=cb`);
    expect(jsonp.headers.get("content-type")).toBe("text/javascript");
    // libprocess' OK(json, jsonp): no semicolon after the call.
    expect(await jsonp.text()).toMatch(/^cb\(\[\{"executor_id":"busy",.*\}\]\)$/);
    // Gone since Mesos 0.25, as on a real 1.12 agent.
    expect((await fetch(`${agent.agent.url}/monitor/statistics.json`)).status).toBe(404);

    agent.agent.kill(FRAMEWORK_ID, "busy", 0);
    await agent.waitFor("busy", "TASK_KILLED");
    expect(await getContainers(agent)).toEqual({ type: "GET_CONTAINERS" });
    expect(await monitor(agent)).toEqual([]);
  });

  it("lists only executors that still run, and sets cpus_limit and mem_limit_bytes from a task's limits", async () => {
    const agent = await startTestAgent();
    agent.agent.launch(FRAMEWORK_ID, commandTask("done", { value: "exit 0" }), FRAMEWORK);
    await agent.waitFor("done", "TASK_FINISHED");
    agent.agent.launch(
      FRAMEWORK_ID,
      busyTask("limited", { limits: { cpus: { value: 2 }, mem: { value: Number.POSITIVE_INFINITY } } }),
      FRAMEWORK,
    );
    agent.agent.launch(
      FRAMEWORK_ID,
      commandTask("sleeper", { value: "sleep 30" }, { limits: { mem: { value: 100.7 } } }),
      FRAMEWORK,
    );
    await agent.waitFor("limited", "TASK_RUNNING");
    await agent.waitFor("sleeper", "TASK_RUNNING");
    const containers = containersOf(await getContainers(agent));
    expect(containers.map((c) => c.executor_id.value).sort()).toEqual(["limited", "sleeper"]);
    const stats = (id: string) => containers.find((c) => c.executor_id.value === id)?.resource_statistics;
    // Slave::computeExecutorLimits adds the executor's own 0.1 cpus to the task's limit; an infinite memory limit
    // is the host's memory.
    expect(stats("limited")).toMatchObject({
      cpus_limit: 2.1,
      cpus_soft_limit: 0.6,
      mem_limit_bytes: totalmem(),
      mem_soft_limit_bytes: 96 * MiB,
    });
    // 100.7 + 32 MB, cut to whole megabytes; commandTask's 0.1 cpus and 32 MB plus the executor's.
    expect(stats("sleeper")).toMatchObject({
      cpus_soft_limit: 0.2,
      mem_limit_bytes: 132 * MiB,
      mem_soft_limit_bytes: 64 * MiB,
    });
    expect(stats("sleeper")?.cpus_limit).toBeUndefined();
    const legacy = await monitor(agent);
    expect(legacy.map((e) => e.executor_id).sort()).toEqual(["limited", "sleeper"]);
  });

  it("guards GET_CONTAINERS and /monitor/statistics with the agent's credentials", async () => {
    const credentials = { principal: "ops", secret: "s3cret" };
    const agent = await startTestAgent({ credentials });
    const anonymous = await fetch(`${agent.agent.url}/monitor/statistics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Basic realm="mesos-agent-readonly"');
    const denied = await callAgent(agent, { type: "GET_CONTAINERS" });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="mesos-agent-readwrite"');
    const auth = { Authorization: `Basic ${Buffer.from("ops:s3cret").toString("base64")}` };
    expect((await fetch(`${agent.agent.url}/monitor/statistics`, { headers: auth })).status).toBe(200);
    const allowed = await callAgent(agent, { type: "GET_CONTAINERS" }, auth);
    expect(await allowed.json()).toEqual({ type: "GET_CONTAINERS" });
    // A payload of the wrong type is refused as the agent's protobuf parser refuses it.
    const bad = await callAgent(
      agent,
      { type: "GET_CONTAINERS", get_containers: { show_nested: "x" } },
      auth,
    );
    expect(bad.status).toBe(400);
    // Bare, as common/http.hpp `deserialize` passes protobuf::parse's error on (no prefix, unlike the master's).
    expect(await bad.text()).toMatch(/^Failed to parse 'x' as a JSON boolean for field 'show_nested'/);
  });

  it.skipIf(imageProblem !== undefined)(
    "counts the processes of a runc container, which run under the task's runc process",
    async () => {
      const registry = await startRegistry();
      const { image, digest } = await pushHelloImage(registry.host);
      const agent = await startTestAgent();
      const task = busyTask("boxed", {
        command: { value: "while :; do :; done" },
        container: {
          type: "MESOS",
          mesos: {
            image: { type: "DOCKER", docker: { name: `${image.replace(/:[^:/]+$/, "")}@${digest}` } },
          },
        },
      });
      agent.agent.launch(FRAMEWORK_ID, task, FRAMEWORK);
      await agent.waitFor("boxed", "TASK_RUNNING", undefined);
      const pid = agent.agent.tasks()[0]?.pid ?? 0;
      // runc itself idles: CPU time that grows is the container's loop, found under runc's process.
      await eventually(() => (processTreeUsage(readProcessTable(), pid, procUnits())?.processes ?? 0) >= 2);
      const [before] = containersOf(await getContainers(agent));
      await pause(1000);
      const [after] = containersOf(await getContainers(agent));
      expect(after?.container_id).toEqual({ value: await stateContainerId(agent, "boxed") });
      expect(cpuSeconds(after?.resource_statistics ?? {})).toBeGreaterThan(
        cpuSeconds(before?.resource_statistics ?? {}) + 0.2,
      );
      expect(after?.resource_statistics.mem_rss_bytes).toBeGreaterThan(0);
    },
  );
});
