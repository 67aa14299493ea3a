import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startTestCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { fakeAgents } from "./fake-agent.js";
import { commandTask, FRAMEWORK, type Json, operator, post, TestScheduler } from "./scheduler-client.js";

async function clusterWithTask() {
  const fakes = fakeAgents();
  const c = await startTestCluster({ agents: 3, createAgent: fakes.create });
  const s = await TestScheduler.subscribe(c.url, {
    ...FRAMEWORK,
    labels: { labels: [{ key: "tool", value: "titan" }] },
  });
  const offer = (await s.offers())[0] as Json;
  await s.accept(
    [String((offer.id as Json).value)],
    [
      {
        ...commandTask("web.1", offer, "sleep 30", 0.5, 256),
        labels: { labels: [{ key: "titan.app", value: "web" }] },
        health_check: { type: "HTTP", http: { port: 31005, path: "/health" } },
        container: { type: "MESOS", mesos: { image: { type: "DOCKER", docker: { name: "nginx:1" } } } },
      },
    ],
  );
  await s.update("web.1", "TASK_RUNNING");
  return { ...c, s, offer };
}

describe("operator API POST /api/v1", () => {
  it.each([
    "GET_HEALTH",
    "GET_VERSION",
    "GET_MASTER",
    "GET_AGENTS",
    "GET_FRAMEWORKS",
    "GET_TASKS",
    "GET_EXECUTORS",
    "GET_STATE",
    "GET_FLAGS",
  ])("answers %s with the proto's shape", async (type) => {
    const c = await clusterWithTask();
    const answer = await post(c.url, "/api/v1", JSON.stringify({ type }));
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(answer.body) as Json;
    expect(body.type).toBe(type);
    expect(checkShape(body, "mesos.v1.master.Response")).toEqual([]);
    c.s.close();
  });

  it("reports agents with total, allocated and offered resources and exact nanosecond times", async () => {
    const c = await clusterWithTask();
    const answer = await post(c.url, "/api/v1", JSON.stringify({ type: "GET_AGENTS" }));
    expect(answer.body).toMatch(/"registered_time":\{"nanoseconds":\d{19}\}/);
    const agents = ((JSON.parse(answer.body) as Json).get_agents as Json).agents as Json[];
    expect(agents).toHaveLength(3);
    const busy = agents.find(
      (a) => ((a.agent_info as Json).id as Json).value === (c.offer.agent_id as Json).value,
    ) as Json;
    const cpus = (busy.allocated_resources as Json[]).find((r) => r.name === "cpus") as Json;
    expect(cpus).toMatchObject({ scalar: { value: 0.5 }, allocation_info: { role: "titan" } });
    expect((busy.agent_info as Json).attributes).toEqual(
      expect.arrayContaining([{ name: "zone", type: "TEXT", text: { value: "a" } }]),
    );
    c.s.close();
  });

  it("leaves empty repeated fields out of each agent, framework and task, as stout writes a message", async () => {
    const c = await startTestCluster({ agents: 2, createAgent: fakeAgents().create });
    const s = await TestScheduler.subscribe(c.url, FRAMEWORK);
    const offers: Json[] = [];
    for (let seen = 0; offers.length < 2; ) {
      const event = await s.next((e) => e.type === "OFFERS", 5000, seen);
      seen = s.events.indexOf(event) + 1;
      offers.push(...((event.offers as Json).offers as Json[]));
    }
    const [used, spare] = offers as [Json, Json];
    const from = s.events.length;
    await s.accept(
      [String((used.id as Json).value)],
      [{ ...commandTask("t1", used), labels: { labels: [] } }],
      { refuse_seconds: 3600 },
    );
    await s.update("t1", "TASK_RUNNING", from);
    const declined = await s.call({
      type: "DECLINE",
      decline: { offer_ids: [spare.id], filters: { refuse_seconds: 3600 } },
    });
    expect(declined.status).toBe(202);

    const state = (await operator(c.url, { type: "GET_STATE" })).get_state as Json;
    // readonly_handler.cpp writes the response's own lists even when empty...
    expect((state.get_tasks as Json).completed_tasks).toEqual([]);
    expect((state.get_agents as Json).recovered_agents).toEqual([]);
    // ...and each element with protobuf.hpp `json(ObjectWriter*, const Protobuf&)`: a repeated field only with members.
    const agents = (state.get_agents as Json).agents as Json[];
    const idle = agents.find(
      (a) => ((a.agent_info as Json).id as Json).value === (spare.agent_id as Json).value,
    );
    expect(idle).toBeDefined();
    expect(Object.keys(idle as Json)).not.toContain("allocated_resources");
    expect(Object.keys(idle as Json)).not.toContain("offered_resources");
    const framework = ((state.get_frameworks as Json).frameworks as Json[])[0] as Json;
    expect(Object.keys(framework)).not.toContain("offers");
    expect(Object.keys(framework)).not.toContain("inverse_offers");
    expect(framework.allocated_resources).toHaveLength(2);
    const task = ((state.get_tasks as Json).tasks as Json[])[0] as Json;
    expect(task.labels).toEqual({});
    s.close();
  });

  it("lists no executor for a command task: the command executor is the agent's own", async () => {
    const c = await clusterWithTask();
    expect(((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks).toHaveLength(1);
    expect((await operator(c.url, { type: "GET_EXECUTORS" })).get_executors).toEqual({ executors: [] });
    const state = (await operator(c.url, { type: "GET_STATE" })).get_state as Json;
    expect(state.get_executors).toEqual({ executors: [] });
    const legacy = (await (await fetch(`${c.url}/master/state`)).json()) as Json;
    expect(((legacy.frameworks as Json[])[0] as Json).executors).toEqual([]);
    c.s.close();
  });

  it("writes Task objects with the declared defaults of health checks and images", async () => {
    const c = await clusterWithTask();
    const tasks = ((await operator(c.url, { type: "GET_TASKS" })).get_tasks as Json).tasks as Json[];
    const task = tasks[0] as Json;
    expect(task.health_check).toMatchObject({
      delay_seconds: 15,
      interval_seconds: 10,
      timeout_seconds: 20,
      consecutive_failures: 3,
      grace_period_seconds: 10,
    });
    expect(((task.container as Json).mesos as Json).image).toMatchObject({ cached: true });
    expect(task.user).toBe("root");
    c.s.close();
  });

  it.each([
    {
      desc: "an unknown type",
      body: { type: "GET_EVERYTHING" },
      status: 400,
      text: "Failed to validate master::Call: Expecting 'type' to be present",
    },
    {
      desc: "no type",
      body: {},
      status: 400,
      text: "Failed to validate master::Call: Expecting 'type' to be present",
    },
    // libprocess' NotImplemented() body, which Master::Http::api answers UNKNOWN with.
    { desc: "UNKNOWN", body: { type: "UNKNOWN" }, status: 501, text: "501 Not Implemented." },
  ])("answers $status for $desc", async ({ body, status, text }) => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    const answer = await post(c.url, "/api/v1", JSON.stringify(body));
    expect(answer.status).toBe(status);
    expect(answer.body).toBe(text);
  });

  it("gzips large answers when asked to", async () => {
    const c = await clusterWithTask();
    const answer = await fetch(`${c.url}/api/v1`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept-Encoding": "gzip" },
      body: JSON.stringify({ type: "GET_STATE" }),
    });
    expect(answer.headers.get("content-encoding")).toBe("gzip");
    // fetch decompresses: the body must be the gzip of the JSON answer.
    const body = (await answer.json()) as Json;
    expect(body.type).toBe("GET_STATE");
    const plain = await post(c.url, "/api/v1", JSON.stringify({ type: "GET_STATE" }));
    expect(plain.headers["content-encoding"]).toBeUndefined();
    // libprocess' encoder compresses every body it sends whole, `*` standing for gzip: the legacy state, jsonp too.
    for (const [path, acceptEncoding] of [
      ["/master/state", "*"],
      ["/master/state?jsonp=cb", "gzip"],
    ] as const) {
      const legacy = await fetch(`${c.url}${path}`, { headers: { "Accept-Encoding": acceptEncoding } });
      expect(legacy.headers.get("content-encoding")).toBe("gzip");
      expect((await legacy.text()).length).toBeGreaterThan(1024);
    }
    c.s.close();
  });
});

function keys(value: unknown): string[] {
  return Object.keys(value as Json).sort();
}

describe("legacy endpoints", () => {
  it("uses the same keys as the legacy /master/state of a real master", async () => {
    const fixture = JSON.parse(
      readFileSync(new URL("../../fixtures/mesos/legacy/master-state-excerpt.json", import.meta.url), "utf8"),
    ) as Json;
    const c = await clusterWithTask();
    const state = (await (await fetch(`${c.url}/master/state`)).json()) as Json;
    expect(keys(state)).toEqual(keys(fixture));
    const slave = (state.slaves as Json[])[0];
    expect(keys(slave)).toEqual(keys((fixture.slaves as Json[])[0]));
    // The fixture's framework and task set every optional field the local cluster writes when given.
    const framework = (state.frameworks as Json[])[0];
    const fixtureFramework = (fixture.frameworks as Json[])[0] as Json;
    expect(keys(framework).filter((k) => k !== "principal")).toEqual(
      keys(fixtureFramework).filter((k) => k !== "principal"),
    );
    const task = ((framework as Json).tasks as Json[])[0];
    const fixtureTask = (fixtureFramework.tasks as Json[])[0];
    expect(keys(task).filter((k) => k !== "user")).toEqual(
      keys(fixtureTask).filter((k) => k !== "discovery"),
    );
    c.s.close();
  });

  it("serves /master/state (and /state) in the hand-written legacy shape", async () => {
    const c = await clusterWithTask();
    for (const path of ["/master/state", "/state"]) {
      const state = (await (await fetch(`${c.url}${path}`)).json()) as Json;
      expect(state.version).toBe("1.12.0");
      expect(state.leader).toBe(`master@127.0.0.1:${new URL(c.url).port}`);
      const slaves = state.slaves as Json[];
      expect(slaves).toHaveLength(3);
      expect(slaves[0]?.resources).toMatchObject({ cpus: 4, mem: 8192, disk: 20000, gpus: 0 });
      const first = slaves[0] as Json;
      expect(String((first.resources as Json).ports)).toMatch(/^\[\d+-\d+\]$/);
      const framework = (state.frameworks as Json[])[0] as Json;
      expect(framework.labels).toEqual([{ key: "tool", value: "titan" }]);
      expect(framework.roles).toEqual(["titan"]);
      const task = (framework.tasks as Json[])[0] as Json;
      expect(task).toMatchObject({ id: "web.1", executor_id: "", state: "TASK_RUNNING", role: "titan" });
      expect(task.slave_id).toBe((c.offer.agent_id as Json).value);
      expect(task.labels).toEqual([{ key: "titan.app", value: "web" }]);
    }
    c.s.close();
  });

  it("serves /master/tasks with the default limit and order, /master/slaves and /master/frameworks", async () => {
    const c = await clusterWithTask();
    const tasks = (await (
      await fetch(`${c.url}/master/tasks?framework_id=${c.s.frameworkId}`)
    ).json()) as Json;
    expect((tasks.tasks as Json[]).map((t) => t.id)).toEqual(["web.1"]);
    const slaves = (await (await fetch(`${c.url}/master/slaves`)).json()) as Json;
    expect(slaves.recovered_slaves).toEqual([]);
    const frameworks = (await (await fetch(`${c.url}/master/frameworks`)).json()) as Json;
    expect(frameworks.unregistered_frameworks).toEqual([]);
    c.s.close();
  });

  it("redirects /master/redirect to the leader with a scheme-less Location", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    const answer = await post(c.url, "/master/redirect", "", {}, "GET");
    expect(answer.status).toBe(307);
    expect(answer.headers.location).toBe(`//127.0.0.1:${new URL(c.url).port}`);
  });

  it("answers /version, /health and 404 for unknown paths", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    const version = (await (await fetch(`${c.url}/version`)).json()) as Json;
    expect(version.version).toBe("1.12.0");
    expect((await fetch(`${c.url}/health`)).status).toBe(200);
    const unknown = await fetch(`${c.url}/state.json`);
    // libprocess' NotFound() for a path no route has (process.cpp).
    expect([unknown.status, await unknown.text()]).toEqual([404, "404 Not Found."]);
  });

  it("wraps a legacy answer in its jsonp callback as libprocess' OK(json, jsonp) does: no semicolon, even for ''", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    for (const [query, callback] of [
      ["?jsonp=cb", "cb"],
      ["?jsonp=", ""],
    ] as const) {
      const answer = await fetch(`${c.url}/master/slaves${query}`);
      expect(answer.headers.get("content-type")).toBe("text/javascript");
      const text = await answer.text();
      expect(text.startsWith(`${callback}({"slaves":[`)).toBe(true);
      expect(text.endsWith("]})")).toBe(true);
    }
  });

  it("finds a route as libprocess does: trailing slashes dropped, the longest route a path begins with", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    const status = async (path: string) => (await fetch(`${c.url}${path}`, { redirect: "manual" })).status;
    expect(await status("/master/state/")).toBe(200);
    expect(await status("/master/state/anything")).toBe(200);
    expect(await status("/master")).toBe(404);
    // The version process has its root only; Master::Http::redirect refuses what lies below its own path.
    expect(await status("/version/")).toBe(200);
    expect(await status("/version/x")).toBe(404);
    expect(await status("/master/redirect")).toBe(307);
    expect(await status("/master/redirect/")).toBe(404);
    const api = await post(c.url, "/api/v1/", JSON.stringify({ type: "GET_HEALTH" }));
    expect(api.status).toBe(200);
  });

  it("serves the files endpoints as a master without --log_dir does: nothing attached (src/files/files.cpp)", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({ agents: 1, createAgent: fakes.create });
    const answer = async (path: string) => {
      const response = await fetch(`${c.url}${path}`);
      return [response.status, await response.text()];
    };
    expect(await answer("/files/read?path=/master/log&offset=0")).toEqual([404, ""]);
    expect(await answer("/files/read?offset=0")).toEqual([400, "Expecting 'path=value' in query.\n"]);
    expect(await answer("/files/read?path=/master/log&offset=-2")).toEqual([
      400,
      "Negative offset provided: -2.\n",
    ]);
    expect(await answer("/files/browse?path=/master")).toEqual([404, ""]);
    expect(await answer("/files/download?path=/master/log")).toEqual([404, "404 Not Found."]);
    expect(await answer("/files/debug")).toEqual([200, "{}"]);
  });
});

describe("operator RESERVE_RESOURCES", () => {
  it("refines a static reservation for a sub-role, shows it in GET_AGENTS and offers it to that role", async () => {
    const fakes = fakeAgents();
    const c = await startTestCluster({
      agents: 1,
      createAgent: fakes.create,
      agentResources: {
        cpus: 2,
        mem: 1024,
        disk: 0,
        ports: [],
        reserved: { web: { cpus: 2, mem: 512, disk: 0 } },
      },
    });
    const agentId = c.agentIds()[0] ?? "";
    const refined = [
      { type: "STATIC", role: "web" },
      { type: "DYNAMIC", role: "web/api", principal: "ops" },
    ];
    const reserve = (value: number) =>
      post(
        c.url,
        "/api/v1",
        JSON.stringify({
          type: "RESERVE_RESOURCES",
          reserve_resources: {
            agent_id: { value: agentId },
            resources: [{ name: "cpus", type: "SCALAR", scalar: { value }, reservations: refined }],
          },
        }),
      );
    expect((await reserve(5)).status).toBe(409);
    expect((await reserve(1.5)).status).toBe(202);
    const agents = await operator(c.url, { type: "GET_AGENTS" });
    const total = (((agents.get_agents as Json).agents as Json[])[0] as Json).total_resources as Json[];
    expect(total).toContainEqual({
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 1.5 },
      reservations: refined,
    });
    expect(total).toContainEqual({
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 0.5 },
      role: "web",
      reservations: [{ type: "STATIC", role: "web" }],
    });
    const s = await TestScheduler.subscribe(c.url, { ...FRAMEWORK, roles: ["web/api"] });
    const offer = (await s.offers())[0] as Json;
    expect(offer.resources).toContainEqual({
      name: "cpus",
      type: "SCALAR",
      scalar: { value: 1.5 },
      reservations: refined,
      allocation_info: { role: "web/api" },
    });
  });
});
