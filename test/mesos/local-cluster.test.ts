import { userInfo } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { agentBaseUrl } from "../../src/mesos/agent-address.js";
import { frameworkInfo } from "../../src/mesos/calls.js";
import { AgentFiles } from "../../src/mesos/files.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { AgentOperator, MasterOperator } from "../../src/mesos/operator.js";
import { sandboxPathFromAgentState } from "../../src/mesos/sandbox.js";
import { SchedulerSession } from "../../src/mesos/session.js";
import { fetchMasterState } from "../../src/mesos/state-source.js";
import { taskInfo } from "../../src/mesos/task-builder.js";
import type { TaskState } from "../../src/mesos/types/mesos.js";
import { startTestCluster } from "../support/local-cluster.js";

const closers: Array<{ close(): void | Promise<void> }> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

describe("the client against the local cluster", () => {
  it("subscribes, launches a task, reads its output through the agent, kills it and fails over", async () => {
    const local = await startTestCluster({ agents: 1 });
    const cluster = MasterCluster.fromConfig({ masters: [local.url] });
    closers.push(cluster);
    const settings = {
      name: "titan-e2e",
      user: userInfo().username,
      roles: ["*"],
      failoverTimeoutSeconds: 3600,
      checkpoint: true,
    };
    const session = new SchedulerSession({ cluster, framework: frameworkInfo(settings) });
    closers.push(session);

    const states: TaskState[] = [];
    let launched = false;
    let killed = false;
    for await (const event of session.events()) {
      if (event.type === "SUBSCRIBED") await session.reconcile([]);
      if (event.type === "OFFERS" && !launched) {
        const offer = event.offers.offers?.[0];
        if (offer === undefined) continue;
        launched = true;
        const task = taskInfo({
          taskId: "hello.1",
          name: "hello",
          offer,
          demand: { cpus: 0.1, mem: 16 },
          command: { shell: true, value: "echo hello from titan; sleep 30" },
          killGracePeriodMs: 100,
          labels: { "titan.app": "hello" },
        });
        await session.launch([offer.id.value], [task], 1);
      } else if (event.type === "OFFERS") {
        await session.decline(event.offers.offers?.map((o) => o.id.value) ?? [], 60);
      }
      if (event.type === "UPDATE" && event.update.status.task_id.value === "hello.1") {
        const state = event.update.status.state;
        states.push(state);
        if (state === "TASK_RUNNING" && !killed) {
          const output = await readStdout(cluster, session.frameworkId ?? "", "hello.1");
          expect(output).toBe("hello from titan\n");
          killed = true;
          await session.kill("hello.1", { gracePeriodMs: 100 });
        }
        if (state === "TASK_KILLED") break;
      }
    }
    expect(states[0]).not.toBe("TASK_KILLED");
    expect(states).toContain("TASK_RUNNING");
    expect(states.at(-1)).toBe("TASK_KILLED");

    const frameworkId = session.frameworkId;
    session.close();
    const state = await fetchMasterState({ masters: [local.url] });
    expect(state.leader).toBe(new URL(local.url).origin);
    const frameworks = state.document.get_state.get_frameworks?.frameworks ?? [];
    expect(frameworks.map((f) => f.framework_info.id?.value)).toContain(frameworkId);

    // A new session with the saved id fails over to the same framework.
    const again = new SchedulerSession({
      cluster,
      framework: frameworkInfo({ ...settings, id: frameworkId ?? "" }),
    });
    closers.push(again);
    for await (const event of again.events()) {
      if (event.type === "SUBSCRIBED") {
        expect(event.subscribed.framework_id.value).toBe(frameworkId);
        break;
      }
    }
  });
});

/** Finds the task's agent and sandbox through the operator APIs and reads its stdout once it has output. */
async function readStdout(cluster: MasterCluster, frameworkId: string, taskId: string): Promise<string> {
  const master = new MasterOperator(cluster);
  const tasks = await master.getTasks();
  const task = tasks.tasks?.find((t) => t.task_id.value === taskId);
  const agents = await master.getAgents();
  const agent = agents.agents?.find((a) => a.agent_info.id?.value === task?.agent_id.value);
  if (agent === undefined) throw new Error("the task's agent is not in GET_AGENTS");
  const agentUrl = agentBaseUrl(agent);
  const agentState = await new AgentOperator(cluster.transport, agentUrl).getState();
  const sandbox = sandboxPathFromAgentState(agentState, frameworkId, taskId);
  if (sandbox === undefined) throw new Error("the agent does not know the task");
  const files = new AgentFiles(cluster.transport, agentUrl);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const size = await files.size(`${sandbox}/stdout`);
    if (size > 0) {
      const parts: Buffer[] = [];
      for await (const chunk of files.chunks(`${sandbox}/stdout`)) parts.push(chunk.data);
      return Buffer.concat(parts).toString("utf8");
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the task wrote nothing to stdout");
}
