import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { readTitanTasks } from "../../src/cluster/live-source.js";
import { readTitanState } from "../../src/commands/ps/state.js";
import { MesosTimeoutError } from "../../src/mesos/errors.js";
import { JsonSelector, JsonStreamError, type Selection } from "../../src/mesos/json-select.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { streamOperatorCall } from "../../src/mesos/state-stream.js";
import { scriptedServer } from "../support/scripted-server.js";

const document = JSON.stringify({
  type: "GET_STATE",
  'k\\"ey': "x",
  get_state: {
    get_tasks: {
      tasks: [
        {
          name: "a",
          labels: { labels: [{ key: "titan.app", value: "web" }] },
          note: 'br}ce [ "q" \\',
          runs: '\\"\\\\"\\\\\\"}',
        },
        { name: "b", labels: { labels: [{ key: "team", value: "x" }] } },
      ],
      completed_tasks: [],
    },
    get_executors: { executors: [{ deep: [[{ x: [1, 2, { y: "]" }] }]] }] },
    get_agents: { agents: [{ agent_info: { hostname: "h" } }] },
    n: -1.5e3,
    t: true,
  },
});

function run(bytes: Buffer, chunkSize: number, select: (path: string) => Selection) {
  const seen: Array<[string, unknown]> = [];
  const selector = new JsonSelector(select, (path, value) =>
    seen.push([path, JSON.parse(Buffer.from(value).toString("utf8"))]),
  );
  for (let i = 0; i < bytes.length; i += chunkSize) selector.push(bytes.subarray(i, i + chunkSize));
  selector.end();
  return seen;
}

const pick = (path: string): Selection =>
  path === "" ||
  path === "get_state" ||
  path === "get_state.get_tasks" ||
  path === "get_state.get_tasks.tasks"
    ? "descend"
    : path === "get_state.get_tasks.tasks[]" || path === "get_state.get_agents" || path === "get_state.n"
      ? "capture"
      : "skip";

describe("reading selected parts of a JSON stream", () => {
  it("hands over exactly the selected values, wherever the chunks split the bytes", () => {
    const bytes = Buffer.from(document);
    const whole = JSON.parse(document);
    const expected = [
      ["get_state.get_tasks.tasks[]", whole.get_state.get_tasks.tasks[0]],
      ["get_state.get_tasks.tasks[]", whole.get_state.get_tasks.tasks[1]],
      ["get_state.get_agents", whole.get_state.get_agents],
      ["get_state.n", -1500],
    ];
    for (const size of [1, 2, 3, 7, 64, bytes.length])
      expect(run(bytes, size, pick), `chunks of ${size}`).toEqual(expected);
  });

  it("refuses broken and truncated documents", () => {
    const bytes = Buffer.from(document);
    expect(() => run(bytes.subarray(0, bytes.length - 3), 5, pick)).toThrow(JsonStreamError);
    expect(() => run(Buffer.from('{"a" 1}'), 2, pick)).toThrow(JsonStreamError);
    expect(() => run(Buffer.from('{"a":[1,2}'), 2, pick)).toThrow(JsonStreamError);
    expect(() => run(Buffer.from("<html>"), 2, pick)).toThrow(JsonStreamError);
  });
});

describe("GET_STATE as a stream", () => {
  const state = {
    type: "GET_STATE",
    get_state: {
      get_tasks: {
        tasks: [
          {
            name: "web",
            task_id: { value: "web.1.0.0" },
            framework_id: { value: "f-web" },
            agent_id: { value: "a1" },
            state: "TASK_RUNNING",
            labels: { labels: taskLabels({ app: "web", instance: 0, release: 1, digest: "sha256:abc" }) },
          },
          { task_id: { value: "other" }, labels: { labels: [{ key: "team", value: "x" }] } },
        ],
      },
      get_executors: { executors: [{ executor_info: { executor_id: { value: "e" } } }] },
      get_frameworks: {
        frameworks: [{ framework_info: { name: "titan:web", id: { value: "f-web" } } }],
        completed_frameworks: [{ framework_info: { name: "titan:old", id: { value: "f-old" } } }],
      },
      get_agents: { agents: [{ agent_info: { hostname: "agent-1", id: { value: "a1" } } }] },
    },
  };

  it("asks for gzip, decompresses as it reads and keeps only titan's tasks, the agents and completed frameworks", async () => {
    const body = gzipSync(Buffer.from(JSON.stringify(state)));
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(body);
    });
    const cluster = MasterCluster.fromConfig({ masters: [server.url] });
    try {
      const read = await readTitanState(cluster, new AbortController().signal);
      expect(server.requests.at(-1)?.headers["accept-encoding"]).toBe("gzip");
      expect(read.titanTasks.tasks.map((t) => [t.taskId, t.framework, t.hostname])).toEqual([
        ["web.1.0.0", "titan:web", "agent-1"],
      ]);
      expect(read.state.get_agents?.agents?.[0]?.agent_info.hostname).toBe("agent-1");
      expect(read.state.get_frameworks?.completed_frameworks?.[0]?.framework_info.id?.value).toBe("f-old");
      expect(read.state.get_executors).toBeUndefined();
      expect(read.wireBytes).toBe(body.length);
      expect(read.jsonBytes).toBe(Buffer.byteLength(JSON.stringify(state)));
    } finally {
      await cluster.close();
    }
  });

  it("reads the bare Infinity a master writes for a titan task's unlimited limits", async () => {
    const text = JSON.stringify(state).replace(
      '"task_id":{"value":"web.1.0.0"}',
      '"task_id":{"value":"web.1.0.0"},"limits":{"mem":{"value":Infinity}}',
    );
    expect(text).toContain("Infinity}");
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    const cluster = MasterCluster.fromConfig({ masters: [server.url] });
    try {
      const read = await readTitanState(cluster, new AbortController().signal);
      expect(read.titanTasks.tasks.map((t) => t.taskId)).toEqual(["web.1.0.0"]);
    } finally {
      await cluster.close();
    }
  });

  it("says clearly when the body is cut short, is not JSON, or is over the cap", async () => {
    const text = JSON.stringify(state);
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text.slice(0, 100));
    });
    const cluster = MasterCluster.fromConfig({ masters: [server.url] });
    try {
      await expect(readTitanState(cluster, new AbortController().signal)).rejects.toThrow(
        /answered invalid JSON \(the document ended early/,
      );
      server.handle((_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>login</html>");
      });
      await expect(readTitanState(cluster, new AbortController().signal)).rejects.toThrow(
        /text\/html instead of JSON/,
      );
      // Well formed as far as brackets and strings go, but not JSON inside a task.
      server.handle((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          '{"type":"GET_STATE","get_state":{"get_tasks":{"tasks":[{"name":"a","labels":{"labels":[{"key":"titan.app","value":"x"}]},}]}}}',
        );
      });
      await expect(readTitanState(cluster, new AbortController().signal)).rejects.toThrow(
        /answered invalid JSON \(.*property name/,
      );
      server.handle((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(text);
      });
      await expect(
        streamOperatorCall(cluster, "GET_STATE", { select: () => "skip", onValue: () => {}, maxBytes: 50 }),
      ).rejects.toThrow(/larger than/);
    } finally {
      await cluster.close();
    }
  });
});

describe("a master that sends its state slowly", () => {
  /** Writes `body` a few bytes at a time until the client hangs up. */
  async function trickling(body: Buffer, gzip: boolean, bytes: number, everyMs: number) {
    return scriptedServer((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      });
      let at = 0;
      const timer = setInterval(() => {
        if (at >= body.length || res.destroyed) return clearInterval(timer);
        res.write(body.subarray(at, at + bytes));
        at += bytes;
      }, everyMs);
      res.on("close", () => clearInterval(timer));
    });
  }

  it.each([false, true])(
    "fails soon, in one line with a hint, when it arrives too slowly (gzip %s)",
    async (gzip) => {
      const text = Buffer.from(
        JSON.stringify({ type: "GET_STATE", get_state: { pad: "x".repeat(100_000) } }),
      );
      const server = await trickling(gzip ? gzipSync(text) : text, gzip, 10, 20);
      const cluster = MasterCluster.fromConfig({ masters: [server.url] });
      const started = Date.now();
      try {
        const failure = await streamOperatorCall(cluster, "GET_STATE", {
          select: () => "skip",
          onValue: () => {},
          rateGraceMs: 300,
          minBytesPerSecond: 1024,
        }).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(MesosTimeoutError);
        expect((failure as MesosTimeoutError).message).toMatch(
          /^GET_STATE from http:\/\/127\.0\.0\.1:\d+ arrives too slowly \(\d+ bytes in 0\.\d s, under 1 KiB\/s\); aborted$/,
        );
        expect((failure as MesosTimeoutError).hint).toContain("within 10 minutes");
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        await cluster.close();
      }
    },
  );

  it("fails when the whole answer takes longer than its overall deadline, however steadily it arrives", async () => {
    const text = Buffer.from(JSON.stringify({ type: "GET_STATE", get_state: { pad: "x".repeat(100_000) } }));
    const server = await trickling(text, false, 1000, 10);
    const cluster = MasterCluster.fromConfig({ masters: [server.url] });
    try {
      await expect(
        streamOperatorCall(cluster, "GET_STATE", { select: () => "skip", onValue: () => {}, totalMs: 300 }),
      ).rejects.toThrow(/^GET_STATE from \S+ took longer than 0\.3 s \(\d+(\.\d)? KiB so far\); aborted$/);
    } finally {
      await cluster.close();
    }
  });
});

describe("GET_STATE's task lists parsed in batches while they arrive", () => {
  // Some tasks hold objects that start as tasks do, so that cuts inside a task are tried and refused.
  const tasks = Array.from({ length: 3000 }, (_, i) => ({
    name: `t${i}`,
    task_id: { value: `t${i}` },
    ...(i % 7 === 0
      ? {
          nested: [
            { name: "n", task_id: {} },
            { name: "m", task_id: { value: "}," } },
          ],
        }
      : {}),
    framework_id: { value: "f-web" },
    agent_id: { value: `a${i % 4}` },
    state: "TASK_RUNNING",
    labels: {
      labels:
        i % 3 === 0
          ? [{ key: "team", value: `web ${i}` }]
          : taskLabels({ app: "web", instance: i, release: 1, digest: "sha256:abc" }),
    },
  }));
  const text = JSON.stringify({
    type: "GET_STATE",
    get_state: {
      get_tasks: { tasks, completed_tasks: tasks.slice(0, 50) },
      get_executors: { executors: tasks.slice(0, 20) },
    },
  });
  const select = (path: string): Selection =>
    [
      "",
      "get_state",
      "get_state.get_tasks",
      "get_state.get_tasks.tasks",
      "get_state.get_tasks.completed_tasks",
    ].includes(path)
      ? "descend"
      : path.endsWith("tasks[]")
        ? "capture"
        : "skip";
  const expected = [
    ...tasks.map((t) => ["get_state.get_tasks.tasks[]", t]),
    ...tasks.slice(0, 50).map((t) => ["get_state.get_tasks.completed_tasks[]", t]),
  ];

  const answers: Record<string, Parameters<typeof scriptedServer>[0]> = {
    "in one piece": (_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text)),
      });
      res.end(text);
    },
    "in pieces of 1,000 bytes": (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      for (let i = 0; i < text.length; i += 1000) res.write(text.slice(i, i + 1000));
      res.end();
    },
    gzipped: (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(Buffer.from(text)));
    },
  };

  for (const [how, respond] of Object.entries(answers)) {
    it(`hands over every task in order, most of them parsed in batches (answer ${how})`, async () => {
      const server = await scriptedServer(respond);
      const cluster = MasterCluster.fromConfig({ masters: [server.url] });
      try {
        const seen: Array<[string, unknown]> = [];
        let batched = 0;
        await streamOperatorCall(cluster, "GET_STATE", {
          select,
          onValue: (path, value) => {
            // Only a value parsed in a batch cannot rule out bytes it lacks.
            if (value.mayContain(Buffer.from("absent"))) batched += 1;
            seen.push([path, value.parse()]);
          },
        });
        expect(seen).toEqual(expected);
        // The first task of a list and the tasks in the last bytes before its end are read one by one.
        expect(batched).toBeGreaterThan(0.75 * expected.length);
      } finally {
        await cluster.close();
      }
    });
  }

  it("keeps the same titan tasks as a reading of the parsed document", async () => {
    const server = await scriptedServer(
      answers["in pieces of 1,000 bytes"] as Parameters<typeof scriptedServer>[0],
    );
    const cluster = MasterCluster.fromConfig({ masters: [server.url] });
    try {
      const read = await readTitanState(cluster, new AbortController().signal);
      const reference = readTitanTasks(JSON.parse(text).get_state, read.master);
      expect(read.titanTasks).toEqual(reference);
      expect(read.titanTasks.tasks).toHaveLength(2000);
    } finally {
      await cluster.close();
    }
  });
});
