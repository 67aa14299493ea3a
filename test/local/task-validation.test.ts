import { describe, expect, it } from "vitest";
import { planAccept } from "../../src/local/master/accept.js";
import type { OfferRecord } from "../../src/local/master/model.js";
import { emptyQuantities, type Quantities } from "../../src/local/resources.js";

const q = (partial: Partial<Quantities>): Quantities => ({ ...emptyQuantities(), ...partial });
const offer: OfferRecord = {
  id: "o1",
  frameworkId: "F",
  agentId: "s1",
  role: "web",
  quantities: q({ cpus: 4, mem: 1024 }),
  pools: [{ reservations: [], quantities: q({ cpus: 4, mem: 1024 }) }],
  json: {},
};
const scalar = (name: string, value: number, extra: Record<string, unknown> = {}) => ({
  name,
  type: "SCALAR",
  scalar: { value },
  ...extra,
});

/** The TASK_ERROR messages of one LAUNCH of a task with these fields. */
function rejections(fields: Record<string, unknown>): string[] {
  const plan = planAccept({
    frameworkId: "F",
    offerIds: ["o1"],
    operations: [
      {
        type: "LAUNCH",
        launch: {
          task_infos: [
            {
              name: "t",
              task_id: { value: "t" },
              agent_id: { value: "s1" },
              command: { value: "true" },
              ...fields,
            },
          ],
        },
      },
    ],
    findOffer: (id) => (id === "o1" ? offer : undefined),
    taskIdInUse: () => undefined,
  });
  if (plan.kind !== "valid") throw new Error(plan.error);
  return plan.rejections.map((r) => r.message);
}

describe("task validation of a LAUNCH (src/master/validation.cpp task::internal)", () => {
  it("compares a memory limit with the request in whole megabytes, as validateResourceLimits does", () => {
    // Resources::mem() truncates the request to whole megabytes, and the limit becomes Bytes of whole megabytes.
    const task = (limit: number) => ({
      resources: [scalar("cpus", 1), scalar("mem", 100.5)],
      limits: { mem: { value: limit } },
    });
    expect(rejections(task(100.2))).toEqual([]);
    expect(rejections(task(99.9))).toEqual([
      "The memory limit must be greater than or equal to the memory request",
    ]);
  });

  it("refuses a task that mixes revocable and non-revocable entries of one resource, as validateResources does", () => {
    expect(
      rejections({ resources: [scalar("mem", 64, { revocable: {} }), scalar("cpus", 1), scalar("mem", 64)] }),
    ).toEqual([
      "Task mixes revocable and non-revocable resources: Cannot use both revocable and non-revocable 'mem' at the same time",
    ]);
    // An empty entry is no entry to the master's Resources: the task is then only short of revocable cpus.
    const [short] = rejections({ resources: [scalar("cpus", 1, { revocable: {} }), scalar("cpus", 0)] });
    expect(short).toMatch(/^Total resources cpus\(allocated: web\)\{REV\}:1 required by task/);
  });

  it("refuses two persistent volumes of one role with one id, as validateUniquePersistenceID does", () => {
    const volume = (containerPath: string) =>
      scalar("disk", 10, {
        reservations: [{ type: "DYNAMIC", role: "web", principal: "ops" }],
        disk: {
          persistence: { id: "data", principal: "ops" },
          volume: { container_path: containerPath, mode: "RW" },
        },
      });
    expect(rejections({ resources: [scalar("cpus", 1), volume("a"), volume("b")] })).toEqual([
      "Task uses duplicate persistence ID: Persistence ID 'data' is not unique",
    ]);
  });
});
