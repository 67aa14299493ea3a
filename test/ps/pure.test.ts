import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { readTitanTasks } from "../../src/cluster/live-source.js";
import type { TitanTask } from "../../src/cluster/types.js";
import type { Task, TaskState } from "../../src/mesos/types/mesos.js";
import type { GetState } from "../../src/mesos/types/operator.js";
import { groupByApp } from "../../src/observe/group.js";
import { whyNoInstance } from "../../src/observe/no-instance.js";
import { psToJson, renderPs } from "../../src/observe/ps-view.js";
import { formatAge, isCurrent, presentState } from "../../src/observe/states.js";
import { diffRows, renderChange, snapshotRows } from "../../src/observe/watch-diff.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const plain = new Chalk({ level: 0 });

describe("state presentation", () => {
  it.each<[TaskState, number | undefined, string, boolean]>([
    ["TASK_STAGING", undefined, "staging", true],
    ["TASK_STARTING", undefined, "starting", true],
    ["TASK_RUNNING", NOW - 5000, "running", true],
    ["TASK_KILLING", undefined, "killing", true],
    ["TASK_FINISHED", NOW - 120_000, "finished 2m ago", false],
    ["TASK_FAILED", NOW - 3 * 3_600_000, "failed 3h ago", false],
    ["TASK_KILLED", undefined, "killed", false],
    ["TASK_ERROR", NOW - 1000, "error 1s ago (not retried)", false],
    ["TASK_DROPPED", undefined, "dropped (never started)", false],
    ["TASK_UNREACHABLE", NOW - 180_000, "unreachable 3m, may still run", true],
    ["TASK_LOST", NOW - 60_000, "lost 1m ago (agent removed)", false],
    ["TASK_GONE", NOW - 60_000, "gone 1m ago (agent lost for good)", false],
    ["TASK_GONE_BY_OPERATOR", undefined, "gone (agent removed by an operator)", false],
    ["TASK_UNKNOWN", undefined, "unknown (master has no record)", false],
  ])("%s", (state, since, text, current) => {
    expect(presentState(state, since, NOW).text).toBe(text);
    expect(isCurrent(state)).toBe(current);
  });

  it.each([
    [0, "0s"],
    [59_999, "59s"],
    [60_000, "1m"],
    [3_599_999, "59m"],
    [3_600_000, "1h"],
    [47 * 3_600_000, "47h"],
    [48 * 3_600_000, "2d"],
    [-5, "0s"],
  ])("formatAge(%d) = %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

function task(
  id: string,
  state: TaskState,
  over: Partial<Task> & { instance?: number; release?: number } = {},
): Task {
  const { instance = 0, release = 1, ...rest } = over;
  return {
    name: id,
    task_id: { value: id },
    framework_id: { value: "fw" },
    agent_id: { value: "ag1" },
    state,
    labels: { labels: taskLabels({ app: "api", instance, release, digest: "sha256:x" }) },
    statuses: [
      { task_id: { value: id }, state: "TASK_STARTING", timestamp: (NOW - 600_000) / 1000 },
      { task_id: { value: id }, state, timestamp: (NOW - 60_000) / 1000 },
    ],
    ...rest,
  };
}

const state: GetState = {
  get_agents: {
    agents: [
      {
        agent_info: {
          hostname: "agent-1.local",
          id: { value: "ag1" },
          attributes: [{ name: "zone", type: "TEXT", text: { value: "b" } }],
        },
        active: true,
        version: "1.12.0",
      },
      {
        agent_info: {
          hostname: "agent-2.local",
          id: { value: "ag2" },
          domain: { fault_domain: { region: { name: "r" }, zone: { name: "z2" } } },
        },
        active: true,
        version: "1.12.0",
      },
    ],
  },
  get_tasks: {
    tasks: [
      task("api.2.0", "TASK_RUNNING", {
        release: 2,
        health_check: { type: "COMMAND" },
        resources: [{ name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31001 }] } }],
        statuses: [
          { task_id: { value: "api.2.0" }, state: "TASK_RUNNING", timestamp: (NOW - 30_000) / 1000 },
          {
            task_id: { value: "api.2.0" },
            state: "TASK_RUNNING",
            timestamp: (NOW - 20_000) / 1000,
            healthy: true,
          },
        ],
      }),
      task("api.1.0", "TASK_KILLING", { agent_id: { value: "ag2" } }),
      task("foreign", "TASK_RUNNING", { labels: { labels: [{ key: "team", value: "x" }] } }),
      task("broken", "TASK_RUNNING", { labels: { labels: [{ key: "titan.app", value: "api" }] } }),
    ],
    unreachable_tasks: [
      task("api.1.1", "TASK_UNREACHABLE", {
        instance: 1,
        agent_id: { value: "ag-gone" },
        statuses: [
          {
            task_id: { value: "api.1.1" },
            state: "TASK_UNREACHABLE",
            timestamp: (NOW - 10_000) / 1000,
            unreachable_time: { nanoseconds: (NOW - 240_000) * 1e6 },
          },
        ],
      }),
    ],
    completed_tasks: [
      task("api.1.2.old", "TASK_FAILED", { instance: 2 }),
      task("api.1.2.new", "TASK_FINISHED", {
        instance: 2,
        statuses: [
          { task_id: { value: "api.1.2.new" }, state: "TASK_FINISHED", timestamp: (NOW - 5000) / 1000 },
        ],
      }),
      task("api.1.0.done", "TASK_KILLED"),
    ],
  },
};

describe("reading titan's tasks from GET_STATE", () => {
  const read = readTitanTasks(state, "m");

  it("keeps titan-labelled tasks, skips foreign ones and reports malformed labels", () => {
    expect(read.tasks.map((t) => t.taskId)).toEqual([
      "api.2.0",
      "api.1.0",
      "api.1.1",
      "api.1.2.old",
      "api.1.2.new",
      "api.1.0.done",
    ]);
    expect(read.malformed).toEqual([{ taskId: "broken", app: "api", problem: "titan.instance is null" }]);
  });

  it("takes host and zone from the agent (attribute or fault domain), ports, health and times from the task", () => {
    const [running, killing, unreachable] = read.tasks;
    expect(running).toMatchObject({
      hostname: "agent-1.local",
      zone: "b",
      ports: [31000, 31001],
      health: "healthy",
      release: 2,
      startedAt: NOW - 30_000,
      since: NOW - 20_000,
    });
    expect(killing).toMatchObject({ hostname: "agent-2.local", zone: "z2", health: "none" });
    expect(unreachable).toMatchObject({ hostname: "ag-gone", since: NOW - 240_000, instance: 1 });
    expect(unreachable?.zone).toBeUndefined();
  });

  it("keeps the last known health of an unreachable task and says checking only for a live task", () => {
    const check = { health_check: { type: "COMMAND" as const } };
    const views = readTitanTasks(
      {
        get_tasks: {
          tasks: [
            task("live", "TASK_RUNNING", check),
            task("cut", "TASK_UNREACHABLE", {
              ...check,
              statuses: [
                { task_id: { value: "cut" }, state: "TASK_RUNNING", timestamp: 1, healthy: true },
                { task_id: { value: "cut" }, state: "TASK_UNREACHABLE", timestamp: 2 },
              ],
            }),
            task("ended", "TASK_FAILED", check),
          ],
        },
      },
      "m",
    ).tasks;
    expect(views.map((v) => [v.taskId, v.health])).toEqual([
      ["live", "checking"],
      ["cut", "healthy"],
      ["ended", "none"],
    ]);
  });

  it("groups per app and instance: every current run; with ended, the latest ended one of the others", () => {
    const [shown] = groupByApp(read.tasks);
    expect(shown?.rows.map((t) => t.taskId)).toEqual(["api.2.0", "api.1.0", "api.1.1"]);
    // The task being killed is shown, and counted apart from the running ones.
    expect(shown).toMatchObject({ running: 1, stopping: 1, healthy: 1, hiddenEnded: 1 });
    const [api] = groupByApp(read.tasks, { ended: true });
    expect(api?.rows.map((t) => t.taskId)).toEqual(["api.2.0", "api.1.0", "api.1.1", "api.1.2.new"]);
    expect(api).toMatchObject({ running: 1, healthy: 1, hiddenEnded: 0 });
    expect(groupByApp(read.tasks, { only: ["web"] })).toEqual([
      { app: "web", running: 0, stopping: 0, healthy: 0, rows: [], frameworks: [], hiddenEnded: 0 },
    ]);
    const desired = groupByApp(read.tasks, { desired: new Map([["api", 3]]) });
    expect(desired[0]?.desired).toBe(3);
  });

  it("renders the table and the JSON document", () => {
    const sections = [
      {
        context: "local",
        cluster: "local",
        master: "http://m:5050",
        apps: groupByApp(read.tasks, { desired: new Map([["api", 3]]), ended: true }),
      },
    ];
    const text = renderPs(sections, NOW, plain).join("\n");
    expect(text).toContain("context local · cluster local · http://m:5050");
    expect(text).toContain("api  desired 3  running 1 (1 stopping)  healthy 1");
    expect(text).toMatch(/0\s+2\s+running\s+healthy\s+agent-1\.local:31000,31001\s+b\s+30s/);
    expect(text).toMatch(/1\s+1\s+unreachable 4m, may still run\s+-\s+ag-gone\s+-\s+10s/);
    expect(text).toMatch(/2\s+1\s+finished 5s ago\s+-\s+agent-1\.local\s+b\s+5s/);
    const json = psToJson(sections, NOW) as {
      regions: Array<{ apps: Array<{ instances: Array<Record<string, unknown>> }> }>;
    };
    // snake_case at the top too, as every other key of titan's JSON.
    expect(Object.keys(json).slice(0, 2)).toEqual(["schema_version", "generated_at"]);
    expect(json).toMatchObject({ schema_version: 1, generated_at: new Date(NOW).toISOString() });
    expect(json.regions[0]?.apps[0]).toMatchObject({ running: 1, stopping: 1, healthy: 1 });
    const instances = json.regions[0]?.apps[0]?.instances ?? [];
    // An ended run shows no health, whatever its last check said.
    expect(instances.at(-1)).toMatchObject({ instance: 2, state: "TASK_FINISHED", health: "none" });
    const first = instances[0];
    expect(first).toMatchObject({
      instance: 0,
      release: 2,
      state: "TASK_RUNNING",
      health: "healthy",
      ports: [31000, 31001],
      started_at: new Date(NOW - 30_000).toISOString(),
      age_seconds: 30,
    });
  });

  it("hides ended instances by default and says how many, with the flag that shows them", () => {
    const sections = [
      { context: "local", cluster: "local", master: "http://m:5050", apps: groupByApp(read.tasks) },
    ];
    const text = renderPs(sections, NOW, plain).join("\n");
    expect(text).not.toContain("finished");
    expect(text).toContain("1 ended instance not shown (--all shows them)");
    const ended = read.tasks.filter((t) => t.state === "TASK_FINISHED");
    const none = [
      { context: "local", cluster: "local", master: "m", apps: groupByApp(ended, { only: ["api"] }) },
    ];
    expect(renderPs(none, NOW, plain).join("\n")).toContain(
      "no instances run; 1 ended instance not shown (--all shows them)",
    );
  });
});

describe("watch changes", () => {
  const view = (over: Partial<TitanTask>): TitanTask => ({
    app: "api",
    instance: 0,
    taskId: "t0",
    frameworkId: "f",
    framework: "titan:api",
    digest: "sha256:0",
    demand: { cpus: 0.1, mem: 32, disk: 0, gpus: 0 },
    agentId: "a",
    state: "TASK_RUNNING",
    health: "none",
    hostname: "h",
    ports: [],
    ...over,
  });
  const section = (rows: TitanTask[]) => [
    {
      context: "c",
      cluster: "k",
      master: "m",
      apps: [{ app: "api", running: 0, stopping: 0, healthy: 0, rows, frameworks: [], hiddenEnded: 0 }],
    },
  ];

  it("reports added, changed and removed rows, ignoring what only the clock changes", () => {
    const before = snapshotRows(section([view({ startedAt: 1 }), view({ taskId: "t1", instance: 1 })]));
    const same = snapshotRows(
      section([view({ startedAt: 1, since: 99 }), view({ taskId: "t1", instance: 1 })]),
    );
    expect(diffRows(before, same)).toEqual([]);
    const after = snapshotRows(
      section([view({ state: "TASK_UNREACHABLE" }), view({ taskId: "t2", instance: 2, health: "checking" })]),
    );
    const lines = diffRows(before, after).map((c) => renderChange(c, NOW));
    expect(lines).toEqual([
      "2026-01-01T12:00:00.000Z  api[0]  running -> unreachable, may still run  t0",
      "2026-01-01T12:00:00.000Z  api[1]  no longer reported  t1",
      "2026-01-01T12:00:00.000Z  api[2]  new: running, checking  t2",
    ]);
  });
});

describe("why an app with releases has no instance", () => {
  it("names a pending release, no deployed one, a stop, or instances wanted that none runs", () => {
    expect(whyNoInstance("web", { newest: { number: 3, outcome: "pending" } })).toBe(
      "release 3 has not finished: a deploy runs it or was interrupted (`titan status web`)",
    );
    expect(whyNoInstance("web", { newest: { number: 2, outcome: "rolled_back" } })).toBe(
      "no release was deployed (release 2 was rolled back: `titan releases web`)",
    );
    expect(
      whyNoInstance("web", {
        newest: { number: 4, outcome: "deployed" },
        wanted: { number: 4, instances: 0 },
      }),
    ).toBe("it is stopped (release 4 asks for no instance)");
    expect(
      whyNoInstance("web", { newest: { number: 5, outcome: "failed" }, wanted: { number: 4, instances: 1 } }),
    ).toBe("release 4 asks for 1 instance and none runs (`titan status web`)");
  });
});
