import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { SandboxGoneError } from "../../src/mesos/errors.js";
import { AgentFiles, FileFollower } from "../../src/mesos/files.js";
import { sandboxDirectoryFromLegacyState, sandboxPathFromAgentState } from "../../src/mesos/sandbox.js";
import { HttpTransport } from "../../src/mesos/transport.js";
import type { LegacyAgentState } from "../../src/mesos/types/legacy.js";
import type { AgentGetState } from "../../src/mesos/types/operator.js";
import { json, scriptedServer } from "../support/scripted-server.js";

const ROOT = new URL("../../fixtures/mesos/", import.meta.url);
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(path, ROOT), "utf8"));

const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

/** An agent serving one file whose content the test can change, with the real `/files/read` semantics. */
async function agentWithFile(path: string, initial: Buffer) {
  let content = initial;
  let exists = true;
  const server = await scriptedServer((req, res) => {
    const url = new URL(req.path, "http://agent");
    if (url.pathname !== "/files/read" || url.searchParams.get("path") !== path || !exists) {
      res.writeHead(404);
      res.end();
      return;
    }
    const offset = Number(url.searchParams.get("offset") ?? "-1");
    if (offset === -1) {
      json(res, 200, { data: "", offset: content.length });
      return;
    }
    const length = Number(url.searchParams.get("length") ?? "-1");
    const end = length === -1 ? content.length : Math.min(content.length, offset + length);
    const data = offset >= content.length ? "" : content.subarray(offset, end).toString("latin1");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(Buffer.from(JSON.stringify({ data, offset }), "latin1"));
  });
  const transport = new HttpTransport();
  transports.push(transport);
  return {
    server,
    files: (chunkBytes = 64 * 1024) => new AgentFiles(transport, new URL(server.url), { chunkBytes }),
    set(next: Buffer) {
      content = next;
    },
    remove() {
      exists = false;
    },
  };
}

const STDOUT = "/frameworks/F/executors/web.1/runs/latest/stdout";

describe("agent files API", () => {
  it("probes the size, reads ranges, and keeps raw bytes intact (UTF-8 split across chunks)", async () => {
    const text = Buffer.from("héllo wörld ✓ line\n", "utf8");
    const agent = await agentWithFile(STDOUT, text);
    const files = agent.files(3);
    expect(await files.size(STDOUT)).toBe(text.length);
    expect((await files.read(STDOUT, 0, 2)).data).toEqual(text.subarray(0, 2));
    const chunks = [];
    for await (const chunk of files.chunks(STDOUT)) chunks.push(chunk);
    expect(chunks.every((c) => c.data.length <= 3)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString("utf8")).toBe(text.toString("utf8"));
    expect(chunks.map((c) => c.offset)).toEqual(chunks.map((_, i) => i * 3));
    expect(agent.server.requests[0]?.path).toBe(`/files/read?path=${encodeURIComponent(STDOUT)}&offset=-1`);
  });

  it("follows a growing file and detects truncation/rotation", async () => {
    const agent = await agentWithFile(STDOUT, Buffer.from("one\ntwo\n"));
    const follower = new FileFollower(agent.files(4), STDOUT);
    const text = (events: Awaited<ReturnType<FileFollower["poll"]>>) =>
      events
        .map((e) =>
          e.kind === "data" ? e.data.toString() : `<truncated at ${e.previousOffset}, now ${e.size}>`,
        )
        .join("");
    expect(text(await follower.poll())).toBe("one\ntwo\n");
    expect(text(await follower.poll())).toBe("");
    agent.set(Buffer.from("one\ntwo\nthree\n"));
    expect(text(await follower.poll())).toBe("three\n");
    agent.set(Buffer.from("new\n"));
    expect(text(await follower.poll())).toBe("<truncated at 14, now 4>new\n");
    expect(follower.offset).toBe(4);
  });

  it("sees a file truncated and written past its old length between two polls", async () => {
    const agent = await agentWithFile(STDOUT, Buffer.from("a1\na2\n"));
    const follower = new FileFollower(agent.files(4), STDOUT);
    const text = (events: Awaited<ReturnType<FileFollower["poll"]>>) =>
      events
        .map((e) =>
          e.kind === "data" ? e.data.toString() : `<truncated at ${e.previousOffset}, now ${e.size}>`,
        )
        .join("");
    expect(text(await follower.poll())).toBe("a1\na2\n");
    agent.set(Buffer.from("a1\na2\na3\n"));
    expect(text(await follower.poll())).toBe("a3\n");
    agent.set(Buffer.from("b1\nb2\nb3\nb4\n"));
    expect(text(await follower.poll())).toBe("<truncated at 9, now 12>b1\nb2\nb3\nb4\n");
    agent.set(Buffer.from("b1\nb2\nb3\nb4\nb5\n"));
    expect(text(await follower.poll())).toBe("b5\n");
  });

  it("sees it also when following began part way into the file", async () => {
    const agent = await agentWithFile(STDOUT, Buffer.from("a1\na2\n"));
    const follower = new FileFollower(agent.files(), STDOUT, 6);
    agent.set(Buffer.from("a1\na2\na3\n"));
    expect((await follower.poll()).map((e) => e.kind)).toEqual(["data"]);
    agent.set(Buffer.from("b1\nb2\nb3\nb4\n"));
    expect((await follower.poll()).map((e) => e.kind)).toEqual(["truncated", "data"]);
    expect(follower.offset).toBe(12);
  });

  it("starts from the tail", async () => {
    const agent = await agentWithFile(STDOUT, Buffer.from("0123456789"));
    const follower = await FileFollower.fromTail(agent.files(), STDOUT, 4);
    const events = await follower.poll();
    expect(events).toEqual([{ kind: "data", offset: 6, data: Buffer.from("6789") }]);
  });

  it("a 404 means the sandbox is gone", async () => {
    const agent = await agentWithFile(STDOUT, Buffer.from("x"));
    agent.remove();
    const error = await agent
      .files()
      .size(STDOUT)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxGoneError);
    expect((error as Error).message).toBe(`sandbox file ${STDOUT} no longer exists on the agent`);
  });

  it("parses the real response fixtures", async () => {
    const server = await scriptedServer((req, res) => {
      const offset = new URL(req.path, "http://a").searchParams.get("offset");
      json(
        res,
        200,
        fixture(
          offset === "-1"
            ? "files/read-size-probe-response.json"
            : offset === "20000"
              ? "files/read-past-eof-response.json"
              : "files/read-chunk-response.json",
        ),
      );
    });
    const transport = new HttpTransport();
    transports.push(transport);
    const files = new AgentFiles(transport, new URL(server.url));
    expect(await files.size(STDOUT)).toBe(18432);
    expect((await files.read(STDOUT, 0, 100)).data.toString()).toBe("listening on :31005\nGET /health 200\n");
    expect((await files.read(STDOUT, 20000, 100)).data.length).toBe(0);
  });
});

describe("finding a task's sandbox", () => {
  it("from the legacy agent /state: the executor's absolute directory", () => {
    const state = fixture("legacy/agent-state-excerpt.json") as LegacyAgentState;
    expect(
      sandboxDirectoryFromLegacyState(state, "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000", "web.1.c0ffee"),
    ).toBe(
      "/var/lib/mesos/slaves/5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-S3/frameworks/5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000/executors/web.1.c0ffee/runs/7c1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
    );
    expect(
      sandboxDirectoryFromLegacyState(state, "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000", "nope"),
    ).toBeUndefined();
  });

  it("from agent GET_STATE: the virtual path of the executor's latest run", () => {
    const state = (fixture("operator/agent-get-state-response.json") as { get_state: AgentGetState })
      .get_state;
    const task = state.get_tasks?.launched_tasks?.[0];
    const fid = task?.framework_id.value ?? "";
    const eid = task?.executor_id?.value ?? task?.task_id.value;
    expect(sandboxPathFromAgentState(state, fid, task?.task_id.value ?? "")).toBe(
      `/frameworks/${fid}/executors/${eid}/runs/latest`,
    );
    expect(sandboxPathFromAgentState(state, fid, "unknown-task")).toBeUndefined();
  });

  it("tasks of a task group live below their DEFAULT executor's sandbox", () => {
    const state: AgentGetState = {
      get_tasks: {
        launched_tasks: [
          {
            name: "db",
            task_id: { value: "db.1" },
            framework_id: { value: "F" },
            executor_id: { value: "group-exec" },
            agent_id: { value: "A" },
            state: "TASK_RUNNING",
          },
        ],
      },
      get_executors: {
        executors: [{ executor_info: { type: "DEFAULT", executor_id: { value: "group-exec" } } }],
      },
    };
    expect(sandboxPathFromAgentState(state, "F", "db.1")).toBe(
      "/frameworks/F/executors/group-exec/runs/latest/tasks/db.1",
    );
  });
});
