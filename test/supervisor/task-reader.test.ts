import { describe, expect, it } from "vitest";
import type { TitanTask } from "../../src/cluster/types.js";
import { type ClusterTasks, sharedTaskReader } from "../../src/supervisor/task-reader.js";

function running(taskId: string, instance: number): TitanTask {
  return {
    taskId,
    frameworkId: "fw",
    framework: "titan:web",
    health: "none",
    app: "web",
    instance,
    release: 1,
    digest: "sha256:release-1",
    state: "TASK_RUNNING",
    agentId: "agent-0",
    hostname: "agent-0.local",
    demand: { cpus: 0.5, mem: 64, disk: 0, gpus: 0 },
    ports: [],
  };
}

/** A cluster whose state lists instance 1 until a scale-down kills it: each read says what it lists now. */
function cluster() {
  const tasks = [running("web.1.0.1", 0), running("web.1.1.1", 1)];
  let reads = 0;
  return {
    killSurplus: () => void tasks.pop(),
    reads: () => reads,
    read: async (): Promise<ClusterTasks> => {
      reads += 1;
      return { tasks: [...tasks], gpuAgents: new Set(), recoveringAgents: 0 };
    },
  };
}

describe("the master state read the apps of a supervisor share", () => {
  const signal = new AbortController().signal;

  it("serves the apps that ask within a moment from one read", async () => {
    let now = 1000;
    const state = cluster();
    const read = sharedTaskReader(state.read, () => now);
    await read("web", "fw", signal, 1000);
    now = 1500;
    state.killSurplus();
    // Asked for a read begun at 900 or later: the one of 1000 does.
    const again = await read("web", "fw", signal, 900);
    expect(state.reads()).toBe(1);
    expect(again.tasks.map((t) => t.taskId)).toEqual(["web.1.0.1", "web.1.1.1"]);
  });

  it("reads again for an app that asks for a read begun after the shared one (a deploy ended between)", async () => {
    let now = 1000;
    const state = cluster();
    const read = sharedTaskReader(state.read, () => now);
    await read("web", "fw", signal, 1000);
    // A scale-down ends at 1200; the app's supervisor finds the lock free at 1500.
    now = 1500;
    state.killSurplus();
    const after = await read("web", "fw", signal, 1500);
    expect(state.reads()).toBe(2);
    expect(after.tasks.map((t) => t.taskId)).toEqual(["web.1.0.1"]);
  });
});
