import { describe, expect, it } from "vitest";
import type { DiskInfoJson } from "../../src/local/agent/api.js";
import { planAccept } from "../../src/local/master/accept.js";
import { allocate } from "../../src/local/master/allocator.js";
import type { OfferRecord } from "../../src/local/master/model.js";
import { agentPools, type Pool, poolsToJson, subtractPools } from "../../src/local/pools.js";
import { parseAgentResourcesFlag } from "../../src/local/resource-json-spec.js";
import { emptyQuantities, type Quantities } from "../../src/local/resources.js";
import { startOneAgentCluster } from "../support/local-cluster.js";
import { checkShape } from "../support/proto-shape.js";
import { commandTask, FRAMEWORK, type Json, operator, TestScheduler } from "./scheduler-client.js";

const q = (partial: Partial<Quantities>): Quantities => ({ ...emptyQuantities(), ...partial });
const MOUNT: DiskInfoJson = { source: { type: "MOUNT", mount: { root: "/mnt/data0" } } };
const PATH: DiskInfoJson = { source: { type: "PATH", path: { root: "/mnt/path0" } } };
const plain: Pool = { reservations: [], quantities: q({ cpus: 2, mem: 256, disk: 100 }) };
const mount: Pool = { reservations: [], disk: MOUNT, quantities: q({ disk: 1000 }) };
const path: Pool = { reservations: [], disk: PATH, quantities: q({ disk: 500 }) };

const offer: OfferRecord = {
  id: "o1",
  frameworkId: "F",
  agentId: "s1",
  role: "web",
  quantities: q({ cpus: 2, mem: 256, disk: 1600 }),
  pools: [plain, mount, path],
  json: {},
};

const disk = (value: number, extra: Record<string, unknown> = {}) => ({
  name: "disk",
  type: "SCALAR",
  scalar: { value },
  ...extra,
});
const cpus = { name: "cpus", type: "SCALAR", scalar: { value: 0.5 } };
const task = (id: string, resources: unknown[]) => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "s1" },
  resources: [cpus, ...resources],
  command: { value: "true" },
});
const launch = (...tasks: ReturnType<typeof task>[]) => {
  const result = planAccept({
    frameworkId: "F",
    offerIds: ["o1"],
    operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }],
    findOffer: (id) => (id === "o1" ? offer : undefined),
    taskIdInUse: () => undefined,
  });
  if (result.kind !== "valid") throw new Error(result.kind);
  return result;
};

describe("disks with a source in the local master (resources.cpp addable, subtractable, contains)", () => {
  it("offers a MOUNT disk as its own entry, with its DiskInfo", () => {
    expect(poolsToJson([plain, mount], { refinement: true, allocationRole: "web" })).toContainEqual({
      name: "disk",
      type: "SCALAR",
      scalar: { value: 1000 },
      disk: MOUNT,
      allocation_info: { role: "web" },
    });
  });

  it("never gives a plain task disk from a MOUNT or PATH disk", () => {
    const result = launch(task("plain", [disk(200)]));
    expect(result.launches).toEqual([]);
    expect(result.rejections[0]?.message).toBe(
      "Total resources cpus(allocated: web):0.5; disk(allocated: web):200 required by task and its executor is more than available cpus(allocated: web):2; mem(allocated: web):256; disk(allocated: web):100; disk(allocated: web)[MOUNT:/mnt/data0]:1000; disk(allocated: web)[PATH:/mnt/path0]:500",
    );
  });

  it("gives a MOUNT disk only whole", () => {
    const part = launch(task("part", [disk(400, { disk: MOUNT })]));
    expect(part.rejections[0]?.message).toMatch(
      /^Total resources cpus\(allocated: web\):0.5; disk\(allocated: web\)\[MOUNT:\/mnt\/data0\]:400 required by task/,
    );
    const whole = launch(task("whole", [disk(1000, { disk: MOUNT })]));
    expect(whole.rejections).toEqual([]);
    expect(whole.unusedPools).not.toContainEqual(expect.objectContaining({ disk: MOUNT }));
  });

  it("splits a PATH disk, and two tasks cannot share one MOUNT disk", () => {
    const split = launch(task("p1", [disk(200, { disk: PATH })]), task("p2", [disk(300, { disk: PATH })]));
    expect(split.rejections).toEqual([]);
    expect(split.unusedPools).not.toContainEqual(expect.objectContaining({ disk: PATH }));
    const twice = launch(
      task("m1", [disk(1000, { disk: MOUNT })]),
      task("m2", [disk(1000, { disk: MOUNT })]),
    );
    expect(twice.launches.map((l) => l.taskId)).toEqual(["m1"]);
    expect(twice.rejections.map((r) => r.taskId)).toEqual(["m2"]);
  });

  it("refuses a DiskInfo on another resource, as Resources::validate does", () => {
    const result = launch(task("odd", [{ ...cpus, disk: MOUNT }]));
    expect(result.rejections[0]?.message).toBe(
      "Resource 'cpus[MOUNT:/mnt/data0]:0.5' is invalid: DiskInfo should not be set for cpus resource",
    );
  });

  it.each([
    [{ disk: {} }, "Invalid DiskInfo: DiskInfo is set but empty"],
    [
      { disk: { volume: { container_path: "data", mode: "RW" } } },
      "Invalid DiskInfo: Non-persistent volume not supported",
    ],
    [
      { disk: { persistence: { id: "v1" }, volume: { container_path: "d", mode: "RW" } } },
      "Invalid DiskInfo: Persistent volumes cannot be created from unreserved resources",
    ],
  ])("refuses a disk with %j, as validation.cpp validateDiskInfo does", (extra, message) => {
    const result = launch(task("odd", [disk(10, extra)]));
    expect(result.rejections[0]?.message).toBe(`Task uses invalid resources: ${message}`);
  });

  it.each([
    [
      { type: "BLOCK", mount: { root: "/mnt/b" } },
      "Resource 'disk[BLOCK]:10' is invalid: Mount should not be set for BLOCK disk source",
    ],
    [
      { type: "RAW", path: { root: "/dev/sdb" }, vendor: "v", id: "vol-1" },
      "Resource 'disk[RAW(v,vol-1,)]:10' is invalid: Path should not be set for RAW disk source",
    ],
    [
      { type: "UNKNOWN" },
      "Resource 'disk[UNKNOWN]:10' is invalid: Unsupported 'DiskInfo.Source.Type' in 'UNKNOWN'",
    ],
  ])("fails the whole LAUNCH for a disk source %j, as Resources::validate does", (source, message) => {
    const result = launch(task("odd", [disk(10, { disk: { source } })]), task("fine", [cpus]));
    expect(result.launches).toEqual([]);
    expect(result.rejections.map((r) => r.message)).toEqual([message, message]);
  });

  it("takes a BLOCK disk source with nothing else set as valid in format", () => {
    const result = launch(task("block", [disk(10, { disk: { source: { type: "BLOCK" } } })]));
    expect(result.rejections[0]?.message).toMatch(
      /^Total resources .*; disk\(allocated: web\)\[BLOCK\]:10 required by task/,
    );
  });

  it("refuses part of a GPU, as validation.cpp validateGpus does", () => {
    const result = launch(task("half", [{ name: "gpus", type: "SCALAR", scalar: { value: 0.5 } }]));
    expect(result.rejections[0]?.message).toBe(
      "Task uses invalid resources: Invalid 'gpus' resource: The 'gpus' resource must be an unsigned integer",
    );
  });

  it("frees a MOUNT disk only when all of it is given back", () => {
    expect(subtractPools([plain, mount], [{ ...mount, quantities: q({ disk: 400 }) }])).toEqual([
      plain,
      mount,
    ]);
    expect(subtractPools([plain, mount], [mount])).toEqual([plain]);
  });

  it("offers a disk reserved to a role only to that role", () => {
    const reserved: Pool = { ...mount, reservations: [{ type: "STATIC", role: "db" }] };
    const framework = (id: string, roles: string[]) => ({ id, roles, held: emptyQuantities(), filters: [] });
    const [web] = allocate(
      [{ id: "s1", pools: [plain, reserved] }],
      [framework("F", ["web"])],
      q({ cpus: 2 }),
      0,
    );
    expect(web?.pools).toEqual([plain]);
  });
});

describe("an agent's --resources in Mesos' JSON form", () => {
  it("reads plain, reserved, MOUNT and PATH entries", () => {
    const spec = JSON.stringify([
      { name: "cpus", type: "SCALAR", scalar: { value: 4 } },
      { name: "mem", type: "SCALAR", scalar: { value: 8192 } },
      { name: "cpus", type: "SCALAR", scalar: { value: 2 }, role: "db" },
      disk(100),
      disk(1000, { disk: MOUNT }),
      disk(500, { disk: PATH, reservations: [{ type: "STATIC", role: "db" }] }),
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31010 }] } },
    ]);
    const parsed = parseAgentResourcesFlag(spec);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.resources).toEqual({
      cpus: 4,
      mem: 8192,
      disk: 100,
      ports: [{ begin: 31000, end: 31010 }],
      reserved: { db: { cpus: 2, mem: 0, disk: 0 } },
      disks: [
        { source: MOUNT.source, size: 1000 },
        { source: PATH.source, size: 500, role: "db" },
      ],
    });
    expect(agentPools(parsed.resources)).toContainEqual({
      reservations: [{ type: "STATIC", role: "db" }],
      disk: PATH,
      quantities: q({ disk: 500 }),
    });
  });

  it("still reads the text form", () => {
    expect(parseAgentResourcesFlag("cpus:2;mem:512")).toMatchObject({
      ok: true,
      resources: { cpus: 2, mem: 512 },
    });
  });

  it.each([
    ["[{", /^not valid JSON \(/],
    ["[1]", /^resource 1: is not a Resource object$/],
    [
      JSON.stringify([disk(10, { disk: { source: { type: "MOUNT" } } })]),
      /^resource 1: MOUNT disk root directory is not specified$/,
    ],
    [
      JSON.stringify([disk(10, { disk: { source: { type: "PATH", path: { root: "data" } } } })]),
      /must be an absolute path/,
    ],
    [JSON.stringify([disk(10, { disk: { source: { type: "RAW" } } })]), /resource provider/],
    [
      JSON.stringify([disk(10, { disk: { persistence: { id: "v" }, source: MOUNT.source } })]),
      /made with CREATE/,
    ],
    [
      JSON.stringify([{ ...cpus, disk: MOUNT }]),
      /^resource 1: DiskInfo should not be set for cpus resource$/,
    ],
    [JSON.stringify([{ ...cpus, role: "-web" }]), /^resource 1: Role component '-web'/],
    [
      JSON.stringify([{ ...cpus, reservations: [{ type: "DYNAMIC", role: "web" }] }]),
      /dynamic reservations are made by RESERVE/,
    ],
    [JSON.stringify([{ name: "fpgas", type: "SCALAR", scalar: { value: 1 } }]), /unknown resource 'fpgas'/],
  ])("refuses %s", (spec, error) => {
    const parsed = parseAgentResourcesFlag(spec);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });
});

async function getJson(url: string): Promise<Json> {
  return (await (await fetch(url)).json()) as Json;
}

describe("a local cluster whose agents have a MOUNT disk", () => {
  it("shows it where a real master does, offers it, and launches a task that takes it whole", async () => {
    const c = await startOneAgentCluster({ disks: [{ source: MOUNT.source, size: 1000 }] });
    try {
      const mountEntry = { name: "disk", type: "SCALAR", scalar: { value: 1000 }, disk: MOUNT };
      const agents = await operator(c.url, { type: "GET_AGENTS" });
      expect(checkShape(agents, "mesos.v1.master.Response")).toEqual([]);
      const [agent] = (agents.get_agents as Json).agents as Json[];
      // Operator endpoints write resources in the ENDPOINT format, `role` included (resources_utils.cpp).
      expect(agent?.total_resources).toContainEqual({ ...mountEntry, role: "*" });
      const slaves = await getJson(`${c.url}/master/slaves`);
      const [slave] = slaves.slaves as Json[];
      expect(slave?.unreserved_resources_full).toContainEqual({ ...mountEntry, role: "*" });
      // The flat form sums every disk (common/http.cpp json(Resources)), here and on the agent's own /state.
      expect((slave as Json).resources).toMatchObject({ disk: 1100 });
      const [handle] = c.cluster.agents();
      expect(((await getJson(`${handle?.url}/state`)).resources as Json).disk).toBe(1100);

      const scheduler = await TestScheduler.subscribe(c.url, FRAMEWORK);
      try {
        const [offer] = await scheduler.offers();
        expect(checkShape(offer, "mesos.v1.Offer")).toEqual([]);
        expect(offer?.resources).toContainEqual({ ...mountEntry, allocation_info: { role: "titan" } });
        const task = (id: string, size: number) => {
          const base = commandTask(id, offer as Json);
          return { ...base, resources: [...(base.resources as Json[]), disk(size, { disk: MOUNT })] };
        };
        const seen = scheduler.events.length;
        await scheduler.accept(
          [String(((offer as Json).id as Json).value)],
          [task("whole", 1000), task("again", 1000)],
        );
        await scheduler.update("whole", "TASK_RUNNING", seen);
        const refused = await scheduler.update("again", "TASK_ERROR", seen);
        expect(String(refused.message)).toMatch(
          /\[MOUNT:\/mnt\/data0\]:1000 required by task and its executor is more than available/,
        );
        const used = ((await getJson(`${c.url}/master/slaves`)).slaves as Json[])[0]?.used_resources as Json;
        expect(used.disk).toBe(1000);
      } finally {
        scheduler.close();
      }
    } finally {
      await c.stop();
    }
  });
});
