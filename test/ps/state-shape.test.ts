import { describe, expect, it } from "vitest";
import { readTitanState } from "../../src/commands/ps/state.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { runCli } from "../support/cli.js";
import { scriptedServer } from "../support/scripted-server.js";
import { isolatedHome } from "../support/state-home.js";

const FRAMEWORK = { framework_info: { id: { value: "fw-web" }, name: "titan:web", user: "u" } };

/** A GET_STATE answer whose `get_state` has `parts` in place of its own. */
function answer(parts: Record<string, unknown>): string {
  return JSON.stringify({
    type: "GET_STATE",
    get_state: {
      get_tasks: { tasks: [], completed_tasks: [] },
      get_frameworks: { frameworks: [FRAMEWORK], completed_frameworks: [] },
      get_agents: { agents: [] },
      ...parts,
    },
  });
}

async function masterAnswering(body: string): Promise<string> {
  const server = await scriptedServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(body);
  });
  return server.url;
}

const WRONG_SHAPES: ReadonlyArray<[string, Record<string, unknown>, string]> = [
  [
    "a framework without its info",
    { get_frameworks: { frameworks: [{}] } },
    "$.get_state.get_frameworks.frameworks[0].framework_info: expected an object, found nothing",
  ],
  [
    "a framework's info that is a string",
    { get_frameworks: { frameworks: [{ framework_info: "titan" }] } },
    '$.get_state.get_frameworks.frameworks[0].framework_info: expected an object, found the string "titan"',
  ],
  [
    "a completed framework that is a number",
    { get_frameworks: { frameworks: [FRAMEWORK], completed_frameworks: [FRAMEWORK, 7] } },
    "$.get_state.get_frameworks.completed_frameworks[1]: expected an object, found the number 7",
  ],
  [
    "the frameworks as an object",
    { get_frameworks: { frameworks: { web: FRAMEWORK } } },
    "$.get_state.get_frameworks.frameworks: expected an array, found an object",
  ],
  [
    "get_frameworks as a string",
    { get_frameworks: "none" },
    '$.get_state.get_frameworks: expected an object, found the string "none"',
  ],
  [
    "get_agents as a string",
    { get_agents: "nope" },
    '$.get_state.get_agents: expected an object, found the string "nope"',
  ],
  [
    "get_tasks as a number",
    { get_tasks: 5 },
    "$.get_state.get_tasks: expected an object, found the number 5",
  ],
  ["get_tasks as an array", { get_tasks: [] }, "$.get_state.get_tasks: expected an object, found an array"],
  [
    "a task list as an object",
    { get_tasks: { tasks: {} } },
    "$.get_state.get_tasks.tasks: expected an array, found an object",
  ],
];

describe("a GET_STATE of the wrong shape, as ps, status and top read it", () => {
  it.each(WRONG_SHAPES)("%s is reported with its path", async (_what, parts, message) => {
    const cluster = MasterCluster.fromConfig({ masters: [await masterAnswering(answer(parts))] });
    try {
      await expect(readTitanState(cluster, new AbortController().signal)).rejects.toThrow(
        `answered GET_STATE in an unexpected shape: ${message}`,
      );
    } finally {
      await cluster.close();
    }
  });

  it("still reads empty and absent parts as nothing", async () => {
    const body = JSON.stringify({
      type: "GET_STATE",
      get_state: { get_tasks: {}, get_frameworks: {}, get_agents: {} },
    });
    const cluster = MasterCluster.fromConfig({ masters: [await masterAnswering(body)] });
    try {
      const read = await readTitanState(cluster, new AbortController().signal);
      expect(read.titanTasks.tasks).toEqual([]);
    } finally {
      await cluster.close();
    }
  });

  it.each([["ps"], ["status"], ["top"]])(
    "titan %s says so in one line, exit 1, never an internal error",
    async (command) => {
      const master = await masterAnswering(answer({ get_frameworks: { frameworks: [{}] }, get_tasks: 5 }));
      const { env } = isolatedHome();
      const r = await runCli([command, "--master", master], { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /^error: the master at http:\/\/127\.0\.0\.1:\d+ answered GET_STATE in an unexpected shape: \$\.get_state\./m,
      );
      expect(r.stderr).not.toMatch(/internal error|Cannot destructure/);
    },
  );
});
