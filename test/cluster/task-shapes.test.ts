import { describe, expect, it } from "vitest";
import { TitanError } from "../../src/cli/errors.js";
import { collectTitanTasks } from "../../src/cluster/build.js";
import { Node } from "../../src/cluster/json-reader.js";
import { taskLabels } from "../../src/cluster/labels.js";
import { readStateTaskChecked, readStateTaskDirect } from "../../src/cluster/legacy.js";
import { readTitanTasks } from "../../src/cluster/live-source.js";
import { readGetState } from "../../src/cluster/operator.js";
import { readTaskChecked, readTaskDirect } from "../../src/cluster/operator-task.js";
import type { AgentRecord } from "../../src/cluster/resources.js";
import { parseSnapshot } from "../../src/cluster/snapshot.js";
import { completeTitanTask, FOREIGN, readTitanTaskDirect } from "../../src/cluster/titan-task-direct.js";
import type { GetState } from "../../src/mesos/types/operator.js";

/** A titan task as a master writes it in GET_STATE; `n` varies ids, ports and times. */
function titanTask(n: number, state = "TASK_RUNNING"): Record<string, unknown> {
  const id = `web.3.${n}.0`;
  return {
    name: "web",
    task_id: { value: id },
    framework_id: { value: "fw-web" },
    agent_id: { value: "agent-1" },
    state,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*" },
      {
        name: "mem",
        type: "SCALAR",
        scalar: { value: 256 },
        reservations: [{ type: "STATIC", role: "titan" }],
      },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000 + n, end: 31000 + n }] } },
      { name: "network_bandwidth", type: "SCALAR", scalar: { value: 10 } },
    ],
    statuses: [
      { task_id: { value: id }, state: "TASK_STARTING", timestamp: 1_700_000_000 + n },
      { task_id: { value: id }, state, timestamp: 1_700_000_100 + n, healthy: true },
    ],
    labels: { labels: taskLabels({ app: "web", instance: n, release: 3, digest: "sha256:abc" }) },
    container: { type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: "nginx:1.27" } } } },
  };
}

function getState(tasks: unknown[], unreachable: unknown[] = []): Record<string, unknown> {
  return {
    get_tasks: { tasks, unreachable_tasks: unreachable, completed_tasks: [] },
    get_agents: {
      agents: [
        { agent_info: { id: { value: "agent-1" }, hostname: "a1.example", port: 5051 }, active: true },
      ],
    },
    get_frameworks: { frameworks: [{ framework_info: { id: { value: "fw-web" }, name: "titan:web" } }] },
  };
}

/** Sets `value` at a dotted path inside an object (numeric parts index arrays). */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) at = at[part] as Record<string, unknown>;
  const last = parts[parts.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

const TASK = "$.get_state.get_tasks.tasks[1]";

/** Each task field in a wrong shape, and what the message must say about it. */
const WRONG_SHAPES: Array<[field: string, value: unknown, message: string]> = [
  ["task_id.value", 7, `${TASK}.task_id.value: expected a string, found the number 7`],
  ["agent_id", undefined, `${TASK}.agent_id.value: expected a string, found nothing`],
  ["state", null, `${TASK}.state: expected a string, found null`],
  ["name", 12, `${TASK}.name: expected a string, found the number 12`],
  ["framework_id.value", ["fw"], `${TASK}.framework_id.value: expected a string, found an array`],
  ["resources", { cpus: 1 }, `${TASK}.resources: expected an array, found an object`],
  ["resources.0.name", 1, `${TASK}.resources[0].name: expected a string, found the number 1`],
  [
    "resources.0.scalar.value",
    "lots",
    `${TASK}.resources[0].scalar.value: expected a number, found the string "lots"`,
  ],
  [
    "resources.1.reservations.0.role",
    5,
    `${TASK}.resources[1].reservations[0].role: expected a string, found the number 5`,
  ],
  [
    "resources.2.ranges.range.0.begin",
    true,
    `${TASK}.resources[2].ranges.range[0].begin: expected a number, found true`,
  ],
  ["resources.2.ranges.range", {}, `${TASK}.resources[2].ranges.range: expected an array, found an object`],
  ["labels.labels", "titan", `${TASK}.labels.labels: expected an array, found the string "titan"`],
  ["labels.labels.1.key", 3, `${TASK}.labels.labels[1].key: expected a string, found the number 3`],
  ["labels.labels.2.value", false, `${TASK}.labels.labels[2].value: expected a string, found false`],
  ["statuses", "running", `${TASK}.statuses: expected an array, found the string "running"`],
  [
    "statuses.0.timestamp",
    "soon",
    `${TASK}.statuses[0].timestamp: expected a number, found the string "soon"`,
  ],
  [
    "statuses.1.healthy",
    "yes",
    `${TASK}.statuses[1].healthy: expected true or false, found the string "yes"`,
  ],
  ["statuses.1.state", 1, `${TASK}.statuses[1].state: expected a string, found the number 1`],
];

describe("a GET_STATE task field of the wrong shape", () => {
  it.each(WRONG_SHAPES)("%s = %j is reported with its path", (field, value, message) => {
    const broken = titanTask(1);
    setAt(broken, field, value);
    const state = getState([titanTask(0), broken]);

    const read = () => readTitanTasks(state as GetState, "http://m1:5050");
    expect(read).toThrow(TitanError);
    expect(read).toThrow(
      `the master at http://m1:5050 answered GET_STATE in an unexpected shape: ${message}`,
    );
    const snapshot = JSON.stringify({ type: "GET_STATE", get_state: state });
    expect(() => parseSnapshot(snapshot, "state.json", { role: "*" })).toThrow(
      `state.json is not a valid GET_STATE snapshot: ${message}`,
    );
  });

  it("is reported with its list and index in unreachable_tasks", () => {
    const lost = titanTask(2, "TASK_UNREACHABLE");
    setAt(lost, "statuses.1.unreachable_time", { nanoseconds: "later" });
    const state = getState([titanTask(0)], [lost]);
    expect(() => readTitanTasks(state as GetState, "m")).toThrow(
      '$.get_state.get_tasks.unreachable_tasks[0].statuses[1].unreachable_time.nanoseconds: expected a number, found the string "later"',
    );
  });
});

describe("reading GET_STATE tasks", () => {
  it("reads a task the same directly as through the checked reader", () => {
    const names = new Map([["fw-web", "titan:web"]]);
    const lost = titanTask(4, "TASK_UNREACHABLE");
    setAt(lost, "statuses.1.unreachable_time", { nanoseconds: 1_700_000_200_000_000_000 });
    const foreign = { ...titanTask(5), labels: { labels: [{ key: "team", value: "web" }] } };
    for (const task of [titanTask(3), lost, foreign, { ...titanTask(6), health_check: { type: "HTTP" } }]) {
      const direct = readTaskDirect(task, names);
      expect(direct).toBeDefined();
      expect(direct).toEqual(readTaskChecked(new Node(task), names));
    }
    const direct = readTaskDirect(titanTask(3), names);
    expect(direct?.resources).toEqual({
      scalars: { cpus: 0.5, mem: 256, disk: 0, gpus: 0 },
      ports: [{ begin: 31003, end: 31003 }],
    });
    expect(direct?.reserved?.get("titan")?.scalars.mem).toBe(256);
    expect(direct?.status).toEqual({
      health: "healthy",
      since: 1_700_000_103_000,
      startedAt: 1_700_000_003_000,
    });
    expect(readTaskDirect(lost, names)?.status?.since).toBe(1_700_000_200_000);
  });

  it("accepts what Mesos may also write: numbers as text, labels without a value", () => {
    const task = titanTask(1);
    setAt(task, "resources.0.scalar.value", "0.25");
    setAt(task, "statuses.1.timestamp", "1700000200");
    (task.labels as { labels: Array<{ key: string; value?: string }> }).labels.push({ key: "note" });
    const { tasks } = readTitanTasks(getState([task]) as GetState, "m");
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.demand.cpus).toBe(0.25);
    expect(tasks[0]?.since).toBe(1_700_000_200_000);
  });
});

describe("reading titan's tasks in one pass (ps, status, logs, supervise)", () => {
  const names = new Map([["fw-web", "titan:web"]]);
  const agents = new Map<string, AgentRecord>([
    [
      "agent-1",
      {
        id: "agent-1",
        hostname: "a1.example",
        attributes: { zone: "z1" },
        schedulable: true,
        total: { scalars: { cpus: 8, mem: 8192, disk: 0, gpus: 0 }, ports: [] },
        reserved: new Map(),
        used: { scalars: { cpus: 0, mem: 0, disk: 0, gpus: 0 }, ports: [] },
      },
    ],
  ]);
  const lost = titanTask(2, "TASK_UNREACHABLE");
  setAt(lost, "statuses.1.unreachable_time", { nanoseconds: 1_700_000_200_000_000_000 });
  const twoPortResources = titanTask(3);
  (twoPortResources.resources as unknown[]).push(
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 32000, end: 32001 }] } },
    { name: "cpus", type: "SCALAR", scalar: { value: 4 }, revocable: {} },
    {
      name: "disk",
      type: "SCALAR",
      scalar: { value: 5000 },
      disk: { source: { type: "MOUNT", mount: { root: "/mnt/data0" } } },
    },
  );
  const unchecked = { ...titanTask(4), health_check: { type: "HTTP" }, container: undefined };
  const elsewhere = titanTask(5);
  setAt(elsewhere, "agent_id", { value: "agent-gone" });

  /** Tasks the one-pass reader reads itself. */
  const direct: Array<[string, Record<string, unknown>]> = [
    ["a running task with a reserved resource", titanTask(1)],
    ["an unreachable task", lost],
    ["ports in two resources, a revocable resource and a MOUNT disk", twoPortResources],
    ["a task with a check that has not reported, and no container", unchecked],
    ["a task on an agent the master no longer lists", elsewhere],
  ];

  const unsorted = titanTask(6);
  setAt(unsorted, "resources.2.ranges.range", [
    { begin: 31010, end: 31011 },
    { begin: 31000, end: 31000 },
  ]);
  const reservedPorts = titanTask(7);
  setAt(reservedPorts, "resources.2.role", "titan");
  const textNumbers = titanTask(8);
  setAt(textNumbers, "resources.0.scalar.value", "0.25");
  const badInstance = titanTask(9);
  setAt(badInstance, "labels.labels.1.value", "ninth");
  /** Tasks it leaves to the general reader, which merges, converts or reports them. */
  const general: Array<[string, Record<string, unknown>]> = [
    ["unsorted port ranges", unsorted],
    ["reserved ports", reservedPorts],
    ["a number written as text", textNumbers],
    ["an unusable titan.instance label", badInstance],
  ];

  it.each(direct)("reads %s straight to a titan task", (_name, task) => {
    const titan = readTitanTaskDirect(task);
    expect(titan).not.toBe(FOREIGN);
    expect(titan).toBeDefined();
    if (titan !== undefined && titan !== FOREIGN) completeTitanTask(titan, names, agents);
    const general = collectTitanTasks([...agents.values()], [readTaskChecked(new Node(task), names)]);
    expect([titan]).toStrictEqual(general.tasks);
  });

  it.each(general)("leaves %s to the general reader", (_name, task) => {
    expect(readTitanTaskDirect(task)).toBeUndefined();
  });

  it("is FOREIGN for another framework's task", () => {
    const foreign = { ...titanTask(10), labels: { labels: [{ key: "team", value: "web" }] } };
    expect(readTitanTaskDirect(foreign)).toBe(FOREIGN);
    expect(readTitanTaskDirect({ ...titanTask(11), labels: undefined })).toBe(FOREIGN);
  });

  it("gives what the general reader gives for a whole state, a task listed twice included", () => {
    const tasks = [...direct, ...general].map(([, task]) => task);
    const state = getState(tasks, [lost]);
    const viaRecords = readGetState(new Node({ get_state: state }));
    const expected = collectTitanTasks(viaRecords.agents, viaRecords.tasks);
    const read = readTitanTasks(state as GetState, "m");
    expect(read).toStrictEqual(expected);
    expect(read.tasks.map((t) => t.taskId)).toEqual([
      "web.3.1.0",
      "web.3.2.0",
      "web.3.3.0",
      "web.3.4.0",
      "web.3.5.0",
      "web.3.6.0",
      "web.3.7.0",
      "web.3.8.0",
    ]);
    expect(read.malformed).toEqual([
      { taskId: "web.3.9.0", app: "web", problem: 'titan.instance is "ninth"' },
    ]);
    expect(read.tasks[5]?.ports).toEqual([31000, 31010, 31011]);
    expect(read.tasks[2]?.ports).toEqual([31003, 32000, 32001]);
    expect(read.tasks[2]?.demand.cpus).toBe(0.5);
  });
});

/** A titan task as a master writes it in `/master/state`; `n` varies ids, ports and times. */
function stateTask(n: number, state = "TASK_RUNNING"): Record<string, unknown> {
  const id = `web.3.${n}.0`;
  return {
    id,
    name: "web",
    framework_id: "fw-web",
    slave_id: "S1",
    state,
    role: "titan",
    resources: { cpus: 0.5, mem: 256, disk: 0, gpus: 0, ports: `[${31000 + n}-${31000 + n}]` },
    statuses: [
      { state: "TASK_STARTING", timestamp: 1_700_000_000 + n },
      { state, timestamp: 1_700_000_100 + n, healthy: true },
    ],
    labels: taskLabels({ app: "web", instance: n, release: 3, digest: "sha256:abc" }),
    container: { type: "DOCKER", docker: { image: "nginx:1.27" } },
  };
}

function masterState(tasks: unknown[]): string {
  return JSON.stringify({
    slaves: [{ id: "S1", hostname: "a1", resources: { cpus: 8, mem: 8192, ports: "[31000-32000]" } }],
    frameworks: [{ id: "fw-web", name: "titan:web", tasks }],
  });
}

const STATE_TASK = "$.frameworks[0].tasks[1]";

describe("reading /master/state tasks", () => {
  const foreign = { ...stateTask(5), labels: [{ key: "team", value: "web" }], role: undefined };
  const bare = { ...stateTask(6), labels: undefined, resources: undefined, container: undefined };
  const lost = stateTask(7, "TASK_UNREACHABLE");
  const direct: Array<[string, Record<string, unknown>]> = [
    ["a running titan task", stateTask(1)],
    ["an unreachable one", lost],
    ["another framework's task without a role", foreign],
    ["a task without labels, resources or container", bare],
  ];

  it.each(direct)("reads %s the same directly as through the checked reader", (_name, task) => {
    const read = readStateTaskDirect(task, "fw-web", "titan:web");
    expect(read).toBeDefined();
    expect(read).toEqual(readStateTaskChecked(new Node(task), "fw-web", "titan:web"));
  });

  it("leaves what Mesos may also write to the checked reader, which accepts it", () => {
    const textNumber = stateTask(2);
    setAt(textNumber, "resources.cpus", "0.25");
    const noValue = stateTask(3);
    (noValue.labels as Array<{ key: string; value?: string }>).push({ key: "note" });
    const textTime = stateTask(4);
    setAt(textTime, "statuses.1.timestamp", "1700000200");
    for (const task of [textNumber, noValue, textTime])
      expect(readStateTaskDirect(task, "fw-web", "titan:web")).toBeUndefined();
    const snapshot = parseSnapshot(masterState([textNumber, noValue, textTime]), "state.json", {
      role: "*",
    });
    expect(snapshot.titanTasks.web?.map((t) => t.instance)).toEqual([2, 3, 4]);
    expect(snapshot.titanTasks.web?.[0]?.demand.cpus).toBe(0.25);
    expect(snapshot.titanTasks.web?.[2]?.since).toBe(1_700_000_200_000);
  });

  it.each<[field: string, value: unknown, message: string]>([
    ["id", 7, `${STATE_TASK}.id: expected a string, found the number 7`],
    ["slave_id", undefined, `${STATE_TASK}.slave_id: expected a string, found nothing`],
    ["resources.mem", "lots", `${STATE_TASK}.resources.mem: expected a number, found the string "lots"`],
    [
      "resources.ports",
      "31000",
      `${STATE_TASK}.resources.ports: expected port ranges such as "[31000-32000]", found the string "31000"`,
    ],
    ["labels.0.key", 3, `${STATE_TASK}.labels[0].key: expected a string, found the number 3`],
    ["role", 5, `${STATE_TASK}.role: expected a string, found the number 5`],
    [
      "statuses.1.healthy",
      "yes",
      `${STATE_TASK}.statuses[1].healthy: expected true or false, found the string "yes"`,
    ],
  ])("reports %s = %j with its path", (field, value, message) => {
    const broken = stateTask(1);
    setAt(broken, field, value);
    expect(() => parseSnapshot(masterState([stateTask(0), broken]), "state.json", { role: "*" })).toThrow(
      `state.json is not a valid /master/state snapshot: ${message}`,
    );
  });
});
