import { describe, expect, it } from "vitest";
import { applyOwnership, isOwned } from "../../src/cluster/ownership.js";
import type { ClusterSnapshot, TitanTask } from "../../src/cluster/types.js";

function task(app: string, instance: number, frameworkId: string, framework = `titan:${app}`): TitanTask {
  return {
    taskId: `${app}.1.${instance}.1.${frameworkId}`,
    frameworkId,
    framework,
    app,
    instance,
    digest: "sha256:0",
    state: "TASK_RUNNING",
    agentId: "a1",
    hostname: "h1",
    demand: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
    ports: [],
    health: "none",
  };
}

function snapshot(tasks: TitanTask[]): ClusterSnapshot {
  const titanTasks: Record<string, TitanTask[]> = {};
  for (const t of tasks) titanTasks[t.app] = [...(titanTasks[t.app] ?? []), t];
  return { format: "operator-get-state", role: "*", agents: [], running: [], titanTasks, warnings: [] };
}

describe("which framework's tasks titan acts on", () => {
  it.each([
    { desc: "the recorded framework, named titan:<app>", t: task("web", 0, "F1"), recorded: "F1", own: true },
    {
      desc: "the recorded framework, not named by the master",
      t: task("web", 0, "F1", "F1"),
      recorded: "F1",
      own: true,
    },
    {
      desc: "the recorded id under another name",
      t: task("web", 0, "F1", "marathon"),
      recorded: "F1",
      own: false,
    },
    { desc: "another framework", t: task("web", 0, "F2"), recorded: "F1", own: false },
    { desc: "no framework recorded yet", t: task("web", 0, "F1"), recorded: undefined, own: false },
  ])("$desc", ({ t, recorded, own }) => {
    expect(isOwned(t, recorded)).toBe(own);
  });

  it("keeps each app's own tasks, lists the other frameworks per app and warns, and leaves other apps alone", () => {
    const input = snapshot([
      task("web", 0, "F1"),
      task("web", 1, "F1"),
      task("web", 0, "F2"),
      task("web", 1, "F2"),
      task("web", 2, "F2"),
      task("api", 0, "F9"),
    ]);
    const { snapshot: owned, foreign } = applyOwnership(input, new Map([["web", "F1"]]));
    expect(owned.titanTasks.web?.map((t) => t.frameworkId)).toEqual(["F1", "F1"]);
    expect(owned.titanTasks.api).toEqual(input.titanTasks.api);
    expect(foreign).toEqual([{ app: "web", frameworkId: "F2", framework: "titan:web", tasks: 3 }]);
    expect(owned.warnings).toEqual([
      "web is also run by framework titan:web (id F2, 3 tasks), not titan's own for this config (this state store records F1); titan leaves those tasks alone and a deploy stops unless --adopt",
    ]);
  });

  it("treats every task of an app as another's when nothing is recorded for it", () => {
    const { snapshot: owned, foreign } = applyOwnership(
      snapshot([task("web", 0, "F2")]),
      new Map([["web", undefined]]),
    );
    expect(owned.titanTasks.web).toBeUndefined();
    expect(foreign).toHaveLength(1);
  });
});
