import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { readTitanTasks } from "../../src/cluster/live-source.js";
import { PARSE_WHOLE_UP_TO, readTitanState } from "../../src/commands/ps/state.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { groupByApp } from "../../src/observe/group.js";
import { psToJson, renderPs } from "../../src/observe/ps-view.js";
import { scriptedServer } from "../support/scripted-server.js";

const now = 1_800_000_000_000;

function titanTask(app: string, instance: number, agent: number, state: string) {
  const id = `${app}.2.${instance}.0`;
  return {
    name: app,
    task_id: { value: id },
    framework_id: { value: `fw-${app}` },
    agent_id: { value: `a${agent}` },
    state,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, role: "*" },
      {
        name: "ports",
        type: "RANGES",
        ranges: { range: [{ begin: 31000 + instance, end: 31000 + instance }] },
      },
    ],
    statuses: [{ task_id: { value: id }, state, timestamp: now / 1000 - 600, healthy: instance % 2 === 0 }],
    labels: { labels: taskLabels({ app, instance, release: 2, digest: "sha256:abc" }) },
  };
}

/** Titan's tasks in every list, with foreign tasks around them, one of which names titan's label as a value. */
const state = {
  type: "GET_STATE",
  get_state: {
    get_tasks: {
      tasks: [
        titanTask("web", 0, 1, "TASK_RUNNING"),
        {
          name: "batch",
          task_id: { value: "b1" },
          framework_id: { value: "fw-x" },
          agent_id: { value: "a1" },
        },
        {
          name: "look-alike",
          task_id: { value: "l1" },
          framework_id: { value: "fw-x" },
          agent_id: { value: "a2" },
          state: "TASK_RUNNING",
          resources: "not a list",
          labels: { labels: [{ key: "note", value: "titan.app" }] },
        },
        { ...titanTask("web", 1, 2, "TASK_RUNNING"), limits: { mem: { value: "INF" } } },
        titanTask("api", 0, 2, "TASK_STAGING"),
      ],
      unreachable_tasks: [titanTask("web", 2, 3, "TASK_UNREACHABLE")],
      completed_tasks: [
        titanTask("web", 3, 1, "TASK_KILLED"),
        { name: "done", task_id: { value: "d1" }, framework_id: { value: "fw-x" }, labels: { labels: [] } },
      ],
    },
    get_executors: { executors: [{ executor_info: { executor_id: { value: "e" } } }] },
    get_frameworks: {
      frameworks: [
        { framework_info: { id: { value: "fw-web" }, name: "titan:web", user: "u", failover_timeout: 60 } },
        { framework_info: { id: { value: "fw-api" }, name: "titan:api", user: "u", labels: { labels: [] } } },
      ],
      completed_frameworks: [{ framework_info: { id: { value: "fw-old" }, name: "titan:old", user: "u" } }],
    },
    get_agents: {
      agents: [1, 2, 3].map((a) => ({
        agent_info: {
          id: { value: `a${a}` },
          hostname: `agent-${a}`,
          attributes: [{ name: "zone", type: "TEXT", text: { value: `z${a}` } }],
        },
        active: true,
      })),
    },
  },
};

// A master writes an unlimited limit as a bare Infinity, which JSON.stringify cannot.
const body = JSON.stringify(state).replace('"INF"', "Infinity");

async function readBoth(respond: (text: string) => { headers: Record<string, string>; chunks: string[] }) {
  const server = await scriptedServer((_req, res) => {
    const { headers, chunks } = respond(body);
    res.writeHead(200, { "content-type": "application/json", ...headers });
    for (const chunk of chunks) res.write(chunk);
    res.end();
  });
  const cluster = MasterCluster.fromConfig({ masters: [server.url] });
  try {
    const signal = new AbortController().signal;
    const streamed = await readTitanState(cluster, signal, { parseWholeUpTo: 0 });
    const parsedWhole = await readTitanState(cluster, signal, { parseWholeUpTo: PARSE_WHOLE_UP_TO });
    return { streamed, parsedWhole };
  } finally {
    await cluster.close();
  }
}

function psOutput(read: Awaited<ReturnType<typeof readTitanState>>) {
  const { tasks, malformed } = readTitanTasks(read.state, read.master);
  const sections = [
    { context: "c", cluster: "k", master: read.master, apps: groupByApp(tasks, { ended: true }) },
  ];
  return {
    malformed,
    table: renderPs(sections, now, new Chalk({ level: 0 })),
    json: psToJson(sections, now),
  };
}

describe("reading GET_STATE for ps, parsed whole or streamed", () => {
  it("keeps the same tasks, agents and frameworks either way, so ps shows the same", async () => {
    const { streamed, parsedWhole } = await readBoth((text) => ({
      headers: { "content-length": String(Buffer.byteLength(text)) },
      chunks: [text.slice(0, 700), text.slice(700)],
    }));
    expect(parsedWhole).toEqual(streamed);
    expect(streamed.state.get_tasks?.tasks?.map((t) => t.task_id.value)).toEqual([
      "web.2.0.0",
      "web.2.1.0",
      "api.2.0.0",
    ]);
    expect(streamed.state.get_tasks?.tasks?.[1]?.limits?.mem?.value).toBe(Number.POSITIVE_INFINITY);
    expect(streamed.state.get_executors).toBeUndefined();
    expect(streamed.state.get_frameworks?.frameworks?.[1]?.framework_info).toEqual({
      id: { value: "fw-api" },
      name: "titan:api",
      user: "u",
    });

    const shown = psOutput(parsedWhole);
    expect(shown).toEqual(psOutput(streamed));
    expect(shown.table.join("\n")).toContain("web  desired -  running 2  healthy 1");
  });

  it("parses a state of up to 64 MiB whole", () => {
    expect(PARSE_WHOLE_UP_TO).toBe(64 * 1024 ** 2);
  });
});
