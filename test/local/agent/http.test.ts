import { readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TaskInfoJson } from "../../../src/local/agent/api.js";
import { containerTestProblem, pushHelloImage } from "../../support/hello-image.js";
import { checkShape } from "../../support/proto-shape.js";
import { startRegistry } from "../../support/registry.js";
import { callAgent, FRAMEWORK, FRAMEWORK_ID, shellTask, startTestAgent, type TestAgent } from "./support.js";

const imageProblem = containerTestProblem();

const fixture = (path: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/mesos/${path}`, import.meta.url), "utf8"));

/** A MESOS-containerizer image task needs a real image since local agents run images under runc. */
async function richImage(): Promise<string> {
  const registry = await startRegistry();
  const { image, digest } = await pushHelloImage(registry.host);
  return `${image.replace(/:[^:/]+$/, "")}@${digest}`;
}

/** A task using every TaskInfo part titan sends: labels, discovery, a Docker image, a health check, a kill policy. */
function richTask(id: string, image: string): TaskInfoJson {
  return shellTask(id, "sleep 30", {
    labels: { labels: [{ key: "titan.app", value: "web" }] },
    discovery: {
      visibility: "FRAMEWORK",
      name: "web",
      ports: { ports: [{ number: 31005, name: "http", protocol: "tcp" }] },
    },
    container: {
      type: "MESOS",
      mesos: { image: { type: "DOCKER", docker: { name: image } } },
    },
    health_check: {
      type: "HTTP",
      http: { scheme: "http", port: 31005, path: "/health" },
      delay_seconds: 3600,
    },
    kill_policy: { grace_period: { nanoseconds: 1_000_000_000 } },
  });
}

type Obj = Record<string, unknown>;

/** The first element of the array under `key`, or an empty object. */
function first(o: unknown, key: string): Obj {
  const list = (o as Obj | undefined)?.[key];
  return (Array.isArray(list) ? (list[0] as Obj | undefined) : undefined) ?? {};
}

/** Keys of `reference` missing from `actual` or holding a different JSON type there. */
function shapeDrift(reference: unknown, actual: unknown, path = "$"): string[] {
  if (typeof reference !== "object" || reference === null || Array.isArray(reference)) return [];
  if (typeof actual !== "object" || actual === null) return [`${path}: expected an object`];
  const drift: string[] = [];
  for (const [key, value] of Object.entries(reference)) {
    const mine = (actual as Record<string, unknown>)[key];
    if (mine === undefined) drift.push(`${path}.${key}: missing`);
    else if (Array.isArray(value) !== Array.isArray(mine) || typeof value !== typeof mine) {
      drift.push(`${path}.${key}: ${typeof value} expected, got ${typeof mine}`);
    }
  }
  return drift;
}

async function get(agent: TestAgent, path: string): Promise<Response> {
  return fetch(`${agent.agent.url}${path}`);
}

/** A finished task whose stdout holds `text`. */
async function taskWithOutput(agent: TestAgent, id: string, text: string): Promise<string> {
  agent.agent.launch(FRAMEWORK_ID, shellTask(id, `printf '%s' '${text}'`), FRAMEWORK);
  await agent.waitFor(id, "TASK_FINISHED");
  const view = agent.agent.tasks().find((t) => t.taskInfo.task_id.value === id);
  return view?.sandbox ?? "";
}

describe("local agent: /files", () => {
  it("reads with offsets, probes the size with offset=-1 and echoes offsets past the end", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "reader", "hello world");
    const stdout = `${sandbox}/stdout`;
    const q = (extra: string) => `/files/read?path=${encodeURIComponent(stdout)}${extra}`;
    expect(await (await get(agent, q("&offset=-1"))).json()).toEqual({ data: "", offset: 11 });
    expect(await (await get(agent, q(""))).json()).toEqual({ data: "", offset: 11 });
    expect(await (await get(agent, q("&offset=0&length=5"))).json()).toEqual({ data: "hello", offset: 0 });
    expect(await (await get(agent, q("&offset=6"))).json()).toEqual({ data: "world", offset: 6 });
    expect(await (await get(agent, q("&offset=20000"))).json()).toEqual({ data: "", offset: 20000 });
    // Numbers as stout's numify reads them: a sign, or hexadecimal; a space or an int64 overflow is refused.
    expect(await (await get(agent, q("&offset=%2B6&length=0x2"))).json()).toEqual({ data: "wo", offset: 6 });
    for (const offset of ["%206", "99999999999999999999"]) {
      const refused = await get(agent, q(`&offset=${offset}`));
      expect([refused.status, await refused.text()]).toEqual([
        400,
        `Failed to parse offset: Failed to convert '${decodeURIComponent(offset)}' to number.\n`,
      ]);
    }
  });

  it("serves the virtual /frameworks/<fw>/executors/<id>/runs/latest path and runs/latest", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "virtual", "abc");
    const virtual = `/frameworks/${FRAMEWORK_ID}/executors/virtual/runs/latest/stdout`;
    const latest = join(sandbox, "..", "latest", "stdout");
    for (const path of [virtual, latest]) {
      const response = await get(agent, `/files/read?path=${encodeURIComponent(path)}&offset=0`);
      expect(await response.json()).toEqual({ data: "abc", offset: 0 });
    }
  });

  it("answers 404 for unknown paths and paths outside sandboxes, 400 for bad parameters", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "errors", "x");
    const read = (query: string) => get(agent, `/files/read?${query}`);
    expect((await read(`path=${encodeURIComponent(`${sandbox}/nope`)}&offset=0`)).status).toBe(404);
    expect((await read("path=/etc/passwd&offset=0")).status).toBe(404);
    expect((await read("offset=0")).status).toBe(400);
    expect((await read(`path=${encodeURIComponent(`${sandbox}/stdout`)}&offset=abc`)).status).toBe(400);
    expect((await read(`path=${encodeURIComponent(`${sandbox}/stdout`)}&offset=-2`)).status).toBe(400);
    expect((await read(`path=${encodeURIComponent(`${sandbox}/stdout`)}&length=-5&offset=0`)).status).toBe(
      400,
    );
    expect((await read(`path=${encodeURIComponent(sandbox)}&offset=0`)).status).toBe(400);
  });

  it("resolves a path as files.cpp FilesProcess::resolve does: no normalising, a way out of the sandbox is a 400", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "resolve", "mine");
    await taskWithOutput(agent, "neighbour", "theirs");
    symlinkSync("/etc", join(sandbox, "escape"));
    const read = (path: string) => get(agent, `/files/read?path=${encodeURIComponent(path)}&offset=0`);
    const answer = async (path: string) => {
      const response = await read(path);
      return { status: response.status, body: await response.text() };
    };
    const up = `${sandbox}/../../../../../../..`;
    expect(await answer(up)).toEqual({
      status: 400,
      body: `'${realpathSync(sandbox)}/${up.slice(sandbox.length + 1)}' is inaccessible.\n`,
    });
    expect((await answer(`${sandbox}/escape/hostname`)).status).toBe(400);
    // `..` is not folded away before the attached paths are looked up, so it cannot hop to another executor's run.
    const virtual = `/frameworks/${FRAMEWORK_ID}/executors/resolve/runs/latest`;
    expect((await answer(`${virtual}/../../../neighbour/runs/latest/stdout`)).status).toBe(400);
    expect((await answer(`${virtual}/./stdout`)).body).toBe('{"data":"mine","offset":0}');
    expect((await answer(`/frameworks/${FRAMEWORK_ID}/./executors/resolve/runs/latest/stdout`)).status).toBe(
      404,
    );
    expect(await answer("")).toEqual({ status: 400, body: "Expecting 'path=value' in query.\n" });
    const browse = await get(agent, `/files/browse?path=${encodeURIComponent(`${virtual}/stdout`)}`);
    expect(await browse.json()).toEqual([]);
    const callback = await get(
      agent,
      `/files/read?path=${encodeURIComponent(`${virtual}/stdout`)}&offset=0&jsonp=cb`,
    );
    expect(callback.headers.get("content-type")).toBe("text/javascript");
    expect(await callback.text()).toBe('cb({"data":"mine","offset":0})');
  });

  it("serves /files/debug: every attached path and the run directory it stands for", async () => {
    const agent = await startTestAgent();
    const directory = await taskWithOutput(agent, "debugged", "x");
    const real = realpathSync(directory);
    const response = await get(agent, "/files/debug");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      [`/frameworks/${FRAMEWORK_ID}/executors/debugged/runs/latest`]: real,
      [join(directory, "..", "latest")]: real,
      [directory]: real,
    });
  });

  it("gzips a body of 1 KiB or more when the request accepts gzip, as libprocess' encoder does for every endpoint", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "zipped", "");
    writeFileSync(join(sandbox, "stdout"), "x".repeat(4000));
    const path = `/files/read?path=${encodeURIComponent(`${sandbox}/stdout`)}&offset=0`;
    const encodingOf = async (url: string, acceptEncoding: string) => {
      const response = await fetch(`${agent.agent.url}${url}`, {
        headers: { "Accept-Encoding": acceptEncoding },
      });
      const body = (await response.json()) as { data?: string };
      return [response.headers.get("content-encoding"), body.data?.length];
    };
    expect(await encodingOf(path, "gzip")).toEqual(["gzip", 4000]);
    // `*` stands for gzip (libprocess `Request::acceptsEncoding`), and a q of 0 refuses it.
    expect(await encodingOf(path, "deflate, *")).toEqual(["gzip", 4000]);
    expect(await encodingOf(path, "gzip;q=0, *")).toEqual([null, 4000]);
    expect(await encodingOf(path, "identity")).toEqual([null, 4000]);
    expect((await encodingOf("/state", "gzip"))[0]).toBe("gzip");
    const small = `/files/read?path=${encodeURIComponent(`${sandbox}/stdout`)}&offset=0&length=10`;
    expect(await encodingOf(small, "gzip")).toEqual([null, 10]);
  });

  it("caps one read at 64 KiB and passes bytes through unchanged", async () => {
    const agent = await startTestAgent();
    const sandbox = await taskWithOutput(agent, "big", "");
    writeFileSync(join(sandbox, "stdout"), Buffer.concat([Buffer.alloc(70_000, "a"), Buffer.from('"é\n')]));
    const path = encodeURIComponent(`${sandbox}/stdout`);
    const first = (await (await get(agent, `/files/read?path=${path}&offset=0`)).json()) as { data: string };
    expect(first.data).toHaveLength(65_536);
    const tail = await get(agent, `/files/read?path=${path}&offset=70000`);
    const raw = Buffer.from(await tail.arrayBuffer());
    expect(raw.toString("utf8")).toBe('{"data":"\\"é\\n","offset":70000}');
  });

  it("browses a sandbox with Mesos' entry fields", async () => {
    const agent = await startTestAgent();
    await taskWithOutput(agent, "browse", "12345");
    const dir = `/frameworks/${FRAMEWORK_ID}/executors/browse/runs/latest`;
    const response = await get(agent, `/files/browse?path=${encodeURIComponent(dir)}`);
    expect(response.status).toBe(200);
    const entries = (await response.json()) as Array<Record<string, unknown>>;
    expect(entries.map((e) => e.path)).toEqual([`${dir}/stderr`, `${dir}/stdout`]);
    const stdout = entries[1];
    expect(stdout).toMatchObject({ size: 5, nlink: 1 });
    expect(Object.keys(stdout ?? {}).sort()).toEqual([
      "gid",
      "mode",
      "mtime",
      "nlink",
      "path",
      "size",
      "uid",
    ]);
    expect(stdout?.mode).toMatch(/^-[rwx-]{9}$/);
    const reference = (fixture("files/browse-response.json") as Array<Record<string, unknown>>)[0];
    expect(shapeDrift(reference, stdout)).toEqual([]);
    expect(typeof stdout?.uid).toBe("string");
    expect((await get(agent, "/files/browse?path=/frameworks/nope")).status).toBe(404);
  });
});

describe("local agent: state endpoints", () => {
  it("reports its build beside its version, as src/version/version.hpp `version()` does", async () => {
    const agent = await startTestAgent();
    const build = {
      build_date: expect.any(String),
      build_time: expect.any(Number),
      build_user: expect.any(String),
    };
    const v1 = (await (await callAgent(agent, { type: "GET_VERSION" })).json()) as { get_version: unknown };
    expect(v1.get_version).toEqual({ version_info: { version: "1.12.0", ...build } });
    expect(await (await get(agent, "/version")).json()).toEqual({ version: "1.12.0", ...build });
    expect(await (await get(agent, "/state")).json()).toMatchObject(build);
  });

  it("serves legacy /state (and /slave(1)/state) with frameworks, executors, directories and tasks", async () => {
    const agent = await startTestAgent();
    agent.agent.launch(FRAMEWORK_ID, shellTask("svc", "sleep 30"), FRAMEWORK);
    await agent.waitFor("svc", "TASK_RUNNING");
    const state = (await (await get(agent, "/state")).json()) as Record<string, unknown>;
    expect(await (await get(agent, "/slave(1)/state")).json()).toMatchObject({ id: state.id });
    expect(state).toMatchObject({
      version: "1.12.0",
      id: agent.agent.id,
      hostname: "agent0.local",
      pid: `slave(1)@127.0.0.1:${new URL(agent.agent.url).port}`,
      resources: { cpus: 4, mem: 8192, disk: 20000, gpus: 0, ports: "[31000-32000]" },
      attributes: { zone: "a", rack: "r1", instance_type: "local" },
      master_hostname: "127.0.0.1",
      completed_frameworks: [],
    });
    const framework = first(state, "frameworks");
    expect(framework).toMatchObject({
      id: FRAMEWORK_ID,
      name: "titan",
      user: FRAMEWORK.user,
      roles: ["titan"],
    });
    const executor = first(framework, "executors");
    expect(executor).toMatchObject({
      id: "svc",
      source: "svc",
      name: "Command Executor (Task: svc) (Command: sh -c 'sleep 30')",
      directory: agent.agent.tasks()[0]?.sandbox,
      container: agent.agent.tasks()[0]?.containerId,
      resources: { cpus: 0.2, mem: 64, disk: 0, gpus: 0 },
    });
    const task = first(executor, "tasks");
    expect(task).toMatchObject({
      id: "svc",
      executor_id: "svc",
      framework_id: FRAMEWORK_ID,
      slave_id: agent.agent.id,
      state: "TASK_RUNNING",
      role: "titan",
    });
    expect((task.statuses as Array<{ state: string }>).map((s) => s.state)).toEqual([
      "TASK_STARTING",
      "TASK_RUNNING",
    ]);
  });

  it.skipIf(imageProblem !== undefined)(
    "carries every field of the reference agent /state for frameworks, executors and tasks",
    async () => {
      const image = await richImage();
      const agent = await startTestAgent();
      agent.agent.launch(FRAMEWORK_ID, richTask("rich", image), FRAMEWORK);
      await agent.waitFor("rich", "TASK_RUNNING");
      const state = (await (await get(agent, "/state")).json()) as Record<string, unknown>;
      const reference = fixture("legacy/agent-state-excerpt.json") as Record<string, unknown>;
      const refFramework = first(reference, "frameworks");
      const myFramework = first(state, "frameworks");
      const refExecutor = first(refFramework, "executors");
      const myExecutor = first(myFramework, "executors");
      expect([
        ...shapeDrift(reference, state),
        ...shapeDrift(refFramework, myFramework, "$.frameworks[0]"),
        ...shapeDrift(refExecutor, myExecutor, "$.executors[0]"),
        ...shapeDrift(first(refExecutor, "tasks"), first(myExecutor, "tasks"), "$.tasks[0]"),
      ]).toEqual([]);
      const task = first(myExecutor, "tasks");
      expect(task.labels).toEqual([{ key: "titan.app", value: "web" }]);
      expect(task.health_check).toMatchObject({
        interval_seconds: 10,
        timeout_seconds: 20,
        consecutive_failures: 3,
      });
    },
  );

  it("moves finished executors and idle frameworks to the completed lists", async () => {
    const agent = await startTestAgent();
    await taskWithOutput(agent, "done", "x");
    const state = (await (await get(agent, "/state")).json()) as Record<string, unknown>;
    expect(state.frameworks).toEqual([]);
    const executor = first(first(state, "completed_frameworks"), "completed_executors");
    expect(first(executor, "completed_tasks")).toMatchObject({
      state: "TASK_FINISHED",
    });
  });

  it.skipIf(imageProblem !== undefined)(
    "answers GET_STATE, GET_HEALTH, GET_VERSION and READ_FILE in the agent.proto shapes",
    async () => {
      const image = await richImage();
      const agent = await startTestAgent();
      agent.agent.launch(FRAMEWORK_ID, richTask("live", image), FRAMEWORK);
      await agent.waitFor("live", "TASK_RUNNING");
      await taskWithOutput(agent, "gone", "bye");
      const responses: unknown[] = [];
      for (const type of [
        "GET_STATE",
        "GET_HEALTH",
        "GET_VERSION",
        "GET_AGENT",
        "GET_FLAGS",
        "GET_TASKS",
        "GET_EXECUTORS",
        "GET_FRAMEWORKS",
      ]) {
        const response = await callAgent(agent, { type });
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("application/json");
        responses.push(await response.json());
      }
      const virtual = `/frameworks/${FRAMEWORK_ID}/executors/gone/runs/latest`;
      const read = await callAgent(agent, {
        type: "READ_FILE",
        read_file: { path: `${virtual}/stdout`, offset: 0 },
      });
      const list = await callAgent(agent, { type: "LIST_FILES", list_files: { path: virtual } });
      responses.push(await read.json(), await list.json());
      for (const response of responses) expect(checkShape(response, "mesos.v1.agent.Response")).toEqual([]);
      const [state, health, version] = responses as Array<Record<string, Record<string, unknown>>>;
      expect(health).toEqual({ type: "GET_HEALTH", get_health: { healthy: true } });
      expect(version?.get_version).toMatchObject({
        version_info: { version: "1.12.0", build_user: "titan" },
      });
      const getState = state?.get_state as Record<string, Record<string, Array<Record<string, unknown>>>>;
      expect(getState.get_tasks?.launched_tasks?.map((t) => t.task_id)).toEqual([{ value: "live" }]);
      expect(getState.get_tasks?.completed_tasks?.map((t) => t.state)).toEqual(["TASK_FINISHED"]);
      expect(getState.get_executors?.executors?.[0]?.executor_info).toMatchObject({
        executor_id: { value: "live" },
      });
      expect(getState.get_frameworks?.frameworks?.[0]?.framework_info).toMatchObject({
        id: { value: FRAMEWORK_ID },
      });
      expect(responses[8]).toEqual({
        type: "READ_FILE",
        read_file: { size: 3, data: Buffer.from("bye").toString("base64") },
      });
    },
  );

  it("enforces the operator API's method, Content-Type and Accept rules", async () => {
    const agent = await startTestAgent();
    const answer = async (response: Response | Promise<Response>) => {
      const r = await response;
      return [r.status, await r.text()];
    };
    const health = (headers: Record<string, string>) => callAgent(agent, { type: "GET_HEALTH" }, headers);
    // src/slave/http.cpp `Http::api`, with libprocess' MethodNotAllowed body.
    expect(await answer(get(agent, "/api/v1"))).toEqual([
      405,
      "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.",
    ]);
    expect(await answer(health({ "Content-Type": "application/json; charset=utf-8" }))).toEqual([
      415,
      "Expecting 'Content-Type' of application/json or application/x-protobuf or application/recordio",
    ]);
    expect(await answer(health({ "Message-Content-Type": "application/json" }))).toEqual([
      415,
      "Expecting 'Message-Content-Type' to be not set for non-streaming requests",
    ]);
    const notAcceptable = [
      406,
      "Expecting 'Accept' to allow application/json or application/x-protobuf or application/recordio",
    ];
    expect(await answer(health({ Accept: "application/x-protobuf" }))).toEqual(notAcceptable);
    // The first range naming application/json decides (libprocess `_acceptsMediaType`), so q=0 refuses it.
    expect(await answer(health({ Accept: "application/json;q=0, */*" }))).toEqual(notAcceptable);
    expect(await answer(health({ "Message-Accept": "application/json" }))).toEqual([
      406,
      "Expecting 'Message-Accept' to be not set for non-streaming responses",
    ]);
    expect(await answer(callAgent(agent, { type: "UNKNOWN" }))).toEqual([501, "501 Not Implemented."]);
    expect((await callAgent(agent, { type: "GET_HEALTH" }, { Accept: "*/*" })).status).toBe(200);
    // The read-only endpoints take any method (an agent without an authorizer never checks it), and a path no route
    // has is libprocess' NotFound().
    expect((await fetch(`${agent.agent.url}/state`, { method: "POST" })).status).toBe(200);
    expect(await answer(get(agent, "/state.json"))).toEqual([404, "404 Not Found."]);
    // libprocess' route lookup: trailing slashes dropped, the longest route a path begins with.
    expect((await get(agent, "/state/")).status).toBe(200);
    expect((await get(agent, "/slave(1)/state/x")).status).toBe(200);
    expect((await get(agent, "/version/x")).status).toBe(404);
    // The files endpoints belong to the files process, not to slave(1).
    const stdout = `/frameworks/${FRAMEWORK_ID}/executors/x/runs/latest/stdout`;
    expect((await get(agent, `/slave(1)/files/read?path=${encodeURIComponent(stdout)}`)).status).toBe(404);
    expect((await get(agent, "/slave(1)/files/debug")).status).toBe(404);
    expect((await get(agent, "/files/debug")).status).toBe(200);
    expect(await answer(get(agent, "/files/download?path=/nope"))).toEqual([404, "404 Not Found."]);
    expect((await callAgent(agent, {})).status).toBe(400);
    expect(
      (await callAgent(agent, { type: "READ_FILE", read_file: { path: "/nope", offset: 0 } })).status,
    ).toBe(404);
    expect((await get(agent, "/health")).status).toBe(200);
  });

  it("reads a call body as an agent reads an agent.Call, and answers a bad one with its 400", async () => {
    const agent = await startTestAgent();
    const answer = async (body: Record<string, unknown>) => {
      const response = await callAgent(agent, body);
      return [response.status, await response.text()];
    };
    expect(await answer({ type: "READ_FILE", read_file: { path: "/nope" } })).toEqual([
      400,
      // common/http.hpp `deserialize` passes protobuf::parse's error on bare: no prefix, unlike the master's.
      "Missing required fields: read_file.offset",
    ]);
    expect(await answer({ type: "READ_FILE", read_file: { path: "/nope", offset: "start" } })).toEqual([
      400,
      "Failed to parse 'start' as a JSON number for field 'offset': syntax error",
    ]);
    expect(await answer({ type: "READ_FILE" })).toEqual([
      400,
      "Failed to validate agent::Call: Expecting 'read_file' to be present",
    ]);
    expect(await answer({ type: "GET_EVERYTHING" })).toEqual([
      400,
      "Failed to validate agent::Call: Expecting 'type' to be present",
    ]);
    // A numeric string is a number to an agent, and a key agent.proto lacks is dropped.
    expect(
      (await callAgent(agent, { type: "READ_FILE", read_file: { path: "/nope", offset: "0", size: 1 } }))
        .status,
    ).toBe(404);
  });
});

describe("local agent: partitions", () => {
  it("drops HTTP connections and holds status updates while partitioned, then delivers them in order", async () => {
    const agent = await startTestAgent();
    agent.agent.partition();
    await expect(get(agent, "/health")).rejects.toThrow();
    agent.agent.launch(FRAMEWORK_ID, shellTask("cut-off", "echo ran"), FRAMEWORK);
    const sandbox = await (async () => {
      for (;;) {
        const view = agent.agent.tasks()[0];
        if (view?.state === "TASK_FINISHED") return view.sandbox;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    expect(readFileSync(join(sandbox, "stdout"), "utf8")).toBe("ran\n");
    expect(agent.statuses).toEqual([]);
    agent.agent.heal();
    await agent.waitFor("cut-off", "TASK_FINISHED");
    expect(agent.of("cut-off").map((s) => s.state)).toEqual([
      "TASK_STARTING",
      "TASK_RUNNING",
      "TASK_FINISHED",
    ]);
    expect((await get(agent, "/health")).status).toBe(200);
  });
});
