import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { TitanTaskReading } from "../../src/cluster/build.js";
import { taskLabels } from "../../src/cluster/labels.js";
import { readTitanTasks } from "../../src/cluster/live-source.js";
import { readTitanState } from "../../src/commands/ps/state.js";
import { parseMesosJson } from "../../src/mesos/json.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import type { GetState } from "../../src/mesos/types/operator.js";
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
        // Enough tasks after those for the list to be parsed in batches, foreign ones among them.
        ...Array.from({ length: 300 }, (_, i) =>
          i % 5 === 0
            ? {
                name: "other",
                task_id: { value: `o${i}` },
                framework_id: { value: "fw-x" },
                agent_id: { value: "a3" },
              }
            : titanTask("bulk", i, 1 + (i % 3), "TASK_RUNNING"),
        ),
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

async function readAnswer(chunks: string[], headers: Record<string, string> = {}) {
  const server = await scriptedServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json", ...headers });
    for (const chunk of chunks) res.write(chunk);
    res.end();
  });
  const cluster = MasterCluster.fromConfig({ masters: [server.url] });
  try {
    return await readTitanState(cluster, new AbortController().signal);
  } finally {
    await cluster.close();
  }
}

/** Titan's tasks of the same document parsed whole, every part of it kept: what ps must show the same as. */
function parsedWhole(master: string): TitanTaskReading {
  const { get_state } = parseMesosJson(body) as { get_state: GetState };
  return readTitanTasks(get_state, master);
}

function psOutput({ tasks, malformed }: TitanTaskReading, master: string) {
  const sections = [{ context: "c", cluster: "k", master, apps: groupByApp(tasks, { ended: true }) }];
  return {
    malformed,
    table: renderPs(sections, now, new Chalk({ level: 0 })),
    json: psToJson(sections, now),
  };
}

describe("reading GET_STATE for ps as a stream, its task lists in batches", () => {
  const answers: Array<[string, string[], Record<string, string>]> = [
    ["in one piece", [body], { "content-length": String(Buffer.byteLength(body)) }],
    [
      "in pieces of 700 bytes",
      Array.from({ length: Math.ceil(body.length / 700) }, (_, i) => body.slice(i * 700, i * 700 + 700)),
      {},
    ],
  ];

  for (const [how, chunks, headers] of answers) {
    it(`keeps titan's tasks, the agents and the frameworks, so ps shows what the whole document holds (${how})`, async () => {
      expect(Buffer.byteLength(body)).toBeGreaterThan(100_000);
      const streamed = await readAnswer(chunks, headers);
      // web.2.1.0 holds a bare Infinity.
      expect(streamed.titanTasks.tasks.slice(0, 3).map((t) => t.taskId)).toEqual([
        "web.2.0.0",
        "web.2.1.0",
        "api.2.0.0",
      ]);
      expect(streamed.titanTasks.tasks.filter((t) => t.app === "bulk")).toHaveLength(240);
      expect(streamed.state.get_executors).toBeUndefined();
      expect(streamed.state.get_frameworks?.frameworks?.[1]?.framework_info).toEqual({
        id: { value: "fw-api" },
        name: "titan:api",
        user: "u",
      });

      const shown = psOutput(streamed.titanTasks, streamed.master);
      expect(shown).toEqual(psOutput(parsedWhole(streamed.master), streamed.master));
      expect(shown.table.join("\n")).toContain("web  desired -  running 2  healthy 1");
    });
  }
});
