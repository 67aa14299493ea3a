import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSnapshot } from "../../src/cluster/snapshot.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/snapshots/${name}`, import.meta.url), "utf8");
const byHost = (snapshot: ReturnType<typeof parseSnapshot>, host: string) => {
  const found = snapshot.agents.find((a) => a.hostname === host);
  if (!found) throw new Error(`no agent ${host}`);
  return found;
};

describe("GET /master/state snapshots", () => {
  const snapshot = parseSnapshot(fixture("us-east.json"), "us-east.json", { role: "*" });

  it("reads every agent with its attributes as text", () => {
    expect(snapshot.format).toBe("master-state");
    expect(snapshot.agents).toHaveLength(12);
    const gpu = byHost(snapshot, "ip-10-1-2-22.ec2.internal");
    expect(gpu.attributes).toEqual({
      zone: "us-east-1c",
      rack: "r6",
      instance_type: "p3.2xlarge",
      gpu: "v100",
      region: "us-east",
    });
    expect(gpu.total).toEqual({ cpus: 8, mem: 59392, disk: 190000, gpus: 1 });
  });

  it("subtracts used resources and the unused part of other roles' reservations", () => {
    // c5.2xlarge, 8 cpus / 14336 MB; analytics reserves 4 / 8192 and its spark task uses 3 / 6144 of that.
    const reserved = byHost(snapshot, "ip-10-1-0-14.ec2.internal");
    expect(reserved.free).toEqual({ cpus: 4, mem: 6144, disk: 140000, gpus: 0 });
  });

  it("lets a role use its own reservation", () => {
    const analytics = parseSnapshot(fixture("us-east.json"), "us-east.json", { role: "analytics" });
    const reserved = byHost(analytics, "ip-10-1-0-14.ec2.internal");
    expect(reserved.free).toEqual({ cpus: 5, mem: 8192, disk: 180000, gpus: 0 });
  });

  it("removes the ports tasks hold from the free ranges", () => {
    // marathon's checkout-web holds 31001 and titan's api.0 holds 31005.
    const first = byHost(snapshot, "ip-10-1-0-11.ec2.internal");
    expect(first.freePorts).toEqual([
      { begin: 31000, end: 31000 },
      { begin: 31002, end: 31004 },
      { begin: 31006, end: 32000 },
    ]);
  });

  it("recognises titan's tasks by their labels and ignores terminal ones", () => {
    const api = snapshot.titanTasks.api ?? [];
    expect(api.map((t) => [t.instance, t.state, t.release, t.region, t.hostname])).toEqual([
      [0, "TASK_RUNNING", 3, "us-east", "ip-10-1-0-11.ec2.internal"],
      [1, "TASK_RUNNING", 3, "us-east", "ip-10-1-1-16.ec2.internal"],
      [2, "TASK_RUNNING", 3, "us-east", "ip-10-1-2-20.ec2.internal"],
    ]);
    expect(api[0]?.ports).toEqual([31005]);
    expect(api[0]?.image).toBe("registry.example.com/payments/api:1.4.1");
    expect(api[0]?.demand).toEqual({ cpus: 0.5, mem: 512, disk: 1024, gpus: 0 });
    expect(api[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("lists every non-terminal task as running, other frameworks' by framework", () => {
    expect(snapshot.running).toHaveLength(15);
    expect(snapshot.running.filter((r) => r.app === "api").map((r) => r.instance)).toEqual([0, 1, 2]);
    expect(new Set(snapshot.running.map((r) => r.app))).toEqual(
      new Set(["api", "framework:marathon", "framework:spark"]),
    );
  });

  it("ignores a task in a terminal state even when it is still listed under tasks", () => {
    const text = legacyDoc({
      tasks: [
        legacyTask("t-1", "TASK_FINISHED", { cpus: 2, mem: 1024 }),
        legacyTask("t-2", "TASK_STAGING", { cpus: 1, mem: 256 }),
      ],
    });
    const s = parseSnapshot(text, "inline", { role: "*" });
    expect(s.agents[0]?.free).toEqual({ cpus: 3, mem: 3840, disk: 0, gpus: 0 });
    expect(s.running).toHaveLength(1);
  });

  it("skips agents the master would not offer, with a warning", () => {
    const text = legacyDoc({ agent: { active: true, deactivated: true } });
    const s = parseSnapshot(text, "inline", { role: "*" });
    expect(s.agents).toEqual([]);
    expect(s.warnings).toEqual(["agent a1.example.com is skipped: deactivated"]);
  });

  it("skips agents in another region than the master's domain, which a master offers only to REGION_AWARE frameworks", () => {
    const state = JSON.parse(fixture("us-east.json"));
    const remote = state.slaves[0];
    remote.domain.fault_domain.region.name = "eu-west";
    const parsed = parseSnapshot(JSON.stringify(state), "remote.json", { role: "*" });
    expect(parsed.agents.map((a) => a.hostname)).not.toContain(remote.hostname);
    expect(parsed.agents).toHaveLength(snapshot.agents.length - 1);
    const reason =
      "in region eu-west, remote to the master's us-east (a master offers remote agents only to REGION_AWARE frameworks)";
    expect(parsed.warnings).toContain(`agent ${remote.hostname} is skipped: ${reason}`);
    // Many agents skipped for one reason make one line that names a few.
    for (const slave of state.slaves.slice(1, 5)) slave.domain.fault_domain.region.name = "eu-west";
    const hosts = state.slaves
      .slice(0, 5)
      .sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1))
      .map((slave: { hostname: string }) => slave.hostname);
    expect(parseSnapshot(JSON.stringify(state), "remote.json", { role: "*" }).warnings).toContain(
      `5 agents are skipped (${hosts.slice(0, 3).join(", ")} and 2 more): ${reason}`,
    );
    // Without the master's own domain, no agent can be told remote.
    delete state.domain;
    expect(parseSnapshot(JSON.stringify(state), "remote.json", { role: "*" }).agents).toHaveLength(
      snapshot.agents.length,
    );
  });

  it("does not count a task with unusable titan labels as titan's, and says so", () => {
    const task = legacyTask("t-9", "TASK_RUNNING", { cpus: 1, mem: 128 });
    task.labels = [
      { key: "titan.app", value: "api" },
      { key: "titan.instance", value: "first" },
    ];
    const s = parseSnapshot(legacyDoc({ tasks: [task] }), "inline", { role: "*" });
    expect(s.titanTasks).toEqual({});
    expect(s.running[0]?.app).toBe("framework:other");
    expect(s.warnings[0]).toMatch(/task t-9 of app api is not counted as titan's: titan.instance is "first"/);
  });
});

describe("operator API GET_STATE snapshots", () => {
  const snapshot = parseSnapshot(fixture("eu-west.json"), "eu-west.json", { role: "*" });

  it("detects the format and skips the deactivated agent", () => {
    expect(snapshot.format).toBe("operator-get-state");
    expect(snapshot.agents).toHaveLength(5);
    expect(snapshot.warnings).toEqual([
      "agent ip-10-2-2-26.eu-west-1.compute.internal is skipped: deactivated",
    ]);
  });

  it("converts TEXT and SCALAR attributes to text and adds the fault domain's region", () => {
    expect(snapshot.agents[0]?.attributes).toEqual({
      zone: "eu-west-1a",
      rack: "r1",
      instance_type: "m5.xlarge",
      ssd: "1",
      region: "eu-west",
    });
  });

  it("keeps another role's reservation out of the free resources", () => {
    // m5.2xlarge, 8 cpus; kafka uses 4 unreserved, ledger-sync 1 of payments' 2 reserved cpus.
    const shared = byHost(snapshot, "ip-10-2-1-24.eu-west-1.compute.internal");
    expect(shared.free.cpus).toBe(2);
    expect(shared.freePorts.some((r) => r.begin <= 31100 && r.end >= 31100)).toBe(false);
    const payments = parseSnapshot(fixture("eu-west.json"), "eu-west.json", { role: "payments" });
    expect(byHost(payments, "ip-10-2-1-24.eu-west-1.compute.internal").free.cpus).toBe(3);
  });

  it("ignores completed tasks", () => {
    expect(snapshot.running).toHaveLength(5);
    expect(snapshot.titanTasks).toEqual({});
  });

  it("reads reservations in the refinement format, RANGES and SET attributes, and titan's labels", () => {
    const text = JSON.stringify({
      type: "GET_STATE",
      get_state: {
        get_agents: {
          agents: [
            {
              active: true,
              agent_info: {
                hostname: "a1",
                id: { value: "S1" },
                attributes: [
                  { name: "ports_attr", type: "RANGES", ranges: { range: [{ begin: 1, end: 5 }] } },
                  { name: "disks", type: "SET", set: { item: ["ssd", "nvme"] } },
                ],
              },
              total_resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
                {
                  name: "cpus",
                  type: "SCALAR",
                  scalar: { value: 4 },
                  reservations: [{ type: "STATIC", role: "batch" }],
                },
                { name: "mem", type: "SCALAR", scalar: { value: 8192 } },
                { name: "cpus", type: "SCALAR", scalar: { value: 2 }, revocable: {} },
                { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31010 }] } },
              ],
            },
          ],
        },
        get_frameworks: {
          frameworks: [{ framework_info: { id: { value: "F1" }, name: "titan:api", user: "root" } }],
        },
        get_tasks: {
          tasks: [
            {
              name: "api.0",
              task_id: { value: "api.0.x" },
              framework_id: { value: "F1" },
              agent_id: { value: "S1" },
              state: "TASK_RUNNING",
              container: {
                type: "DOCKER",
                docker: { image: "registry.example.com/payments/api:1.4.0", network: "HOST" },
              },
              resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 1 } },
                { name: "mem", type: "SCALAR", scalar: { value: 1024 } },
                { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31003, end: 31003 }] } },
              ],
              labels: {
                labels: [
                  { key: "titan.app", value: "api" },
                  { key: "titan.instance", value: "0" },
                  { key: "titan.digest", value: "sha256:abc" },
                ],
              },
            },
          ],
        },
      },
    });
    const s = parseSnapshot(text, "inline", { role: "*" });
    expect(s.agents[0]?.attributes).toEqual({ ports_attr: "[1-5]", disks: "{ssd, nvme}" });
    expect(s.agents[0]?.total.cpus).toBe(8);
    expect(s.agents[0]?.free).toEqual({ cpus: 3, mem: 7168, disk: 0, gpus: 0 });
    expect(s.agents[0]?.freePorts).toEqual([
      { begin: 31000, end: 31002 },
      { begin: 31004, end: 31010 },
    ]);
    expect(s.titanTasks.api?.[0]).toMatchObject({
      instance: 0,
      digest: "sha256:abc",
      ports: [31003],
      hostname: "a1",
    });
  });

  it("counts only plain disk: an agent's MOUNT and PATH disks and volumes, and a task's, are no task's to take", () => {
    // A plain `disk` is contained only in disk without a DiskInfo (resources.cpp `subtractable`).
    const mount = { source: { type: "MOUNT", mount: { root: "/mnt/data0" } } };
    const volume = { persistence: { id: "pg-data" }, volume: { container_path: "data", mode: "RW" } };
    const db = [{ type: "STATIC", role: "db" }];
    const disk = (value: number, extra: Record<string, unknown> = {}) => ({
      name: "disk",
      type: "SCALAR",
      scalar: { value },
      ...extra,
    });
    const text = JSON.stringify({
      type: "GET_STATE",
      get_state: {
        get_agents: {
          agents: [
            {
              active: true,
              agent_info: { hostname: "a1", id: { value: "S1" } },
              total_resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
                { name: "mem", type: "SCALAR", scalar: { value: 8192 } },
                disk(1000),
                disk(50_000, { disk: mount }),
                disk(2000, { disk: { source: { type: "PATH", path: { root: "/mnt/path0" } } } }),
                disk(500, { disk: volume, reservations: db }),
              ],
            },
          ],
        },
        get_frameworks: {
          frameworks: [{ framework_info: { id: { value: "F1" }, name: "cassandra", user: "root" } }],
        },
        get_tasks: {
          tasks: [
            {
              name: "node-0",
              task_id: { value: "node-0" },
              framework_id: { value: "F1" },
              agent_id: { value: "S1" },
              state: "TASK_RUNNING",
              resources: [
                { name: "cpus", type: "SCALAR", scalar: { value: 1 } },
                disk(100),
                disk(50_000, { disk: mount }),
                disk(500, { disk: volume, reservations: db }),
              ],
            },
          ],
        },
      },
    });
    const s = parseSnapshot(text, "inline", { role: "*" });
    expect(s.agents[0]?.total.disk).toBe(1000);
    expect(s.agents[0]?.free).toEqual({ cpus: 3, mem: 8192, disk: 900, gpus: 0 });
    expect(s.setAsideDisk).toEqual({ agents: 1, mb: 52_500 });
  });

  it("says when a GET_STATE snapshot's agents span regions, as it cannot tell the remote ones", () => {
    const state = JSON.parse(fixture("eu-west.json"));
    const [first] = state.get_state.get_agents.agents;
    first.agent_info.domain.fault_domain.region.name = "us-east";
    const parsed = parseSnapshot(JSON.stringify(state), "get-state.json", { role: "*" });
    expect(parsed.agents.map((a) => a.hostname)).toContain(first.agent_info.hostname);
    expect(parsed.warnings).toContain(
      "the agents' fault domains span regions eu-west, us-east, and a GET_STATE snapshot does not say which is the master's: agents of the others, which the master does not offer titan, are counted too (a /master/state snapshot, or a live plan, leaves them out)",
    );
    expect(parseSnapshot(fixture("eu-west.json"), "get-state.json", { role: "*" }).warnings).not.toEqual(
      expect.arrayContaining([expect.stringContaining("span regions")]),
    );
  });
});

describe("a snapshot saved with a byte order mark", () => {
  it.each(["us-east.json", "eu-west.json"])(
    "reads %s with a UTF-8 BOM as without, as a manifest is read",
    (name) => {
      const text = fixture(name);
      const plain = parseSnapshot(text, name, { role: "*" });
      expect(parseSnapshot(`\ufeff${text}`, name, { role: "*" })).toEqual(plain);
    },
  );
});

describe("unusable snapshots", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["HTML", "<!DOCTYPE html><html><body>Login</body></html>", /is HTML or XML, not a JSON cluster snapshot/],
    ["truncated JSON", fixture("us-east.json").slice(0, 5000), /is not valid JSON \(it looks cut off\)/],
    ["an empty file", "  \n", /is empty/],
    ["a JSON array", "[1, 2]", /is JSON but not a Mesos cluster snapshot: the document is an array$/],
    ["null", "null", /is JSON but not a Mesos cluster snapshot: the document is null$/],
    ["a string", '"x"', /is JSON but not a Mesos cluster snapshot: the document is the string "x"$/],
    ["a number", "3", /is JSON but not a Mesos cluster snapshot: the document is the number 3$/],
    ["true", "true", /is JSON but not a Mesos cluster snapshot: the document is true$/],
    [
      "slaves that are no list",
      '{"slaves": "x"}',
      /^state\.json is not a valid \/master\/state snapshot: \$\.slaves: expected an array, found the string "x"$/,
    ],
    [
      "slaves that are null",
      '{"slaves": null, "frameworks": []}',
      /^state\.json is not a valid \/master\/state snapshot: \$\.slaves: expected an array, found null$/,
    ],
    [
      "a get_state that is no object",
      '{"get_state": "x"}',
      /^state\.json is not a valid GET_STATE snapshot: \$\.get_state: expected an object, found the string "x"$/,
    ],
    [
      "agents that are no object",
      '{"type": "GET_STATE", "get_state": {"get_agents": 5}}',
      /^state\.json is not a valid GET_STATE snapshot: \$\.get_state\.get_agents: expected an object, found the number 5$/,
    ],
    [
      "tasks that are no object",
      '{"type": "GET_STATE", "get_state": {"get_agents": {"agents": []}, "get_tasks": []}}',
      /\$\.get_state\.get_tasks: expected an object, found an array$/,
    ],
    ["another object", '{"hello": "world"}', /has neither `slaves` \(\/master\/state\) nor `get_state`/],
    ["an agent's /state", '{"id": "S1", "frameworks": [], "hostname": "a"}', /looks like an agent's \/state/],
    [
      "another operator response",
      '{"type": "GET_HEALTH", "get_health": {"healthy": true}}',
      /GET_HEALTH response/,
    ],
    [
      "a wrong field type",
      '{"slaves": [{"id": "S1", "hostname": "a", "resources": {"cpus": "lots"}}], "frameworks": []}',
      /not a valid \/master\/state snapshot: \$\.slaves\[0\]\.resources\.cpus: expected a number, found the string "lots"/,
    ],
    [
      "an agent with negative cpus",
      '{"slaves": [{"id": "S1", "hostname": "a", "resources": {"cpus": 4}}, {"id": "S2", "hostname": "b", "resources": {"cpus": -5, "mem": 1024}}], "frameworks": []}',
      /^state\.json is not a valid \/master\/state snapshot: agent S2 \(b\) at \$\.slaves\[1\] has -5 cpus; a Mesos master never reports a negative resource$/,
    ],
    [
      "an agent with negative memory in use",
      '{"slaves": [{"id": "S1", "hostname": "a", "resources": {"cpus": 4, "mem": 1024}, "used_resources": {"mem": -100}}], "frameworks": []}',
      /agent S1 \(a\) at \$\.slaves\[0\] uses -100 mem; a Mesos master never reports a negative resource$/,
    ],
    [
      "a GET_STATE agent with a negative scalar",
      '{"type": "GET_STATE", "get_state": {"get_agents": {"agents": [{"agent_info": {"id": {"value": "A1"}, "hostname": "a"}, "total_resources": [{"name": "disk", "type": "SCALAR", "scalar": {"value": -1}}]}]}}}',
      /^state\.json is not a valid GET_STATE snapshot: agent A1 \(a\) at \$\.get_state\.get_agents\.agents\[0\] has -1 disk/,
    ],
    [
      "an agent id listed twice",
      '{"slaves": [{"id": "S1", "hostname": "a", "resources": {"cpus": 4}}, {"id": "S2", "hostname": "b", "resources": {"cpus": 4}}, {"id": "S1", "hostname": "c", "resources": {"cpus": 8}}], "frameworks": []}',
      /^state\.json is not a valid \/master\/state snapshot: agent S1 is listed twice, at \$\.slaves\[0\] \(a\) and \$\.slaves\[2\] \(c\)$/,
    ],
    [
      "a GET_STATE agent id listed twice",
      '{"type": "GET_STATE", "get_state": {"get_agents": {"agents": [{"agent_info": {"id": {"value": "A1"}, "hostname": "a"}}, {"agent_info": {"id": {"value": "A1"}, "hostname": "a"}}]}}}',
      /agent A1 is listed twice, at \$\.get_state\.get_agents\.agents\[0\] \(a\) and \$\.get_state\.get_agents\.agents\[1\] \(a\)$/,
    ],
    [
      "a GET_STATE without agent ids",
      '{"type": "GET_STATE", "get_state": {"get_agents": {"agents": [{"agent_info": {"hostname": "a"}}]}}}',
      /\$\.get_state\.get_agents\.agents\[0\]\.agent_info\.id\.value: expected a string, found nothing/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`rejects ${what} with one line and a hint, exit 2`, () => {
      let caught: unknown;
      try {
        parseSnapshot(text, "state.json", { role: "*" });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ exitCode: 2, message: expect.stringMatching(message) });
      const error = caught as { message: string; hint?: string };
      expect(error.message).not.toContain("\n");
      expect(error.hint).toBeTruthy();
    });
  }
});

interface LegacyTask {
  id: string;
  name: string;
  framework_id: string;
  slave_id: string;
  state: string;
  resources: Record<string, number | string>;
  role: string;
  labels?: Array<{ key: string; value: string }>;
}

function legacyTask(id: string, state: string, r: { cpus: number; mem: number }): LegacyTask {
  return {
    id,
    name: id,
    framework_id: "F0",
    slave_id: "S1",
    state,
    resources: { cpus: r.cpus, mem: r.mem, disk: 0, gpus: 0 },
    role: "*",
  };
}

function legacyDoc(options: { tasks?: LegacyTask[]; agent?: Record<string, unknown> }): string {
  return JSON.stringify({
    version: "1.12.0",
    slaves: [
      {
        id: "S1",
        hostname: "a1.example.com",
        attributes: {},
        resources: { cpus: 4, mem: 4096, disk: 0, gpus: 0 },
        used_resources: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
        reserved_resources: {},
        active: true,
        ...options.agent,
      },
    ],
    frameworks: [{ id: "F0", name: "other", tasks: options.tasks ?? [], unreachable_tasks: [] }],
  });
}
