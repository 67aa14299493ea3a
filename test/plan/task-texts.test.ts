import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/cluster/canonical.js";
import type { TitanTask } from "../../src/cluster/types.js";
import type { RunningTask } from "../../src/placement/types.js";
import { placementText, runningTaskText } from "../../src/plan/task-texts.js";

// Any code point, and the characters JSON escapes, a lone surrogate among them.
const text = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom('"', "\\", "\n", "\u0001", "é", "\u2028", "\ud800", "a") }),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY));
const scalars = fc.record({ cpus: number, mem: number, disk: number, gpus: number });

const titanTask: fc.Arbitrary<TitanTask> = fc.record(
  {
    taskId: text,
    frameworkId: text,
    framework: text,
    app: text,
    instance: number,
    release: number,
    region: text,
    digest: text,
    image: text,
    state: fc.constantFrom("TASK_RUNNING", "TASK_STAGING", "TASK_UNREACHABLE"),
    agentId: text,
    hostname: text,
    zone: text,
    demand: scalars,
    ports: fc.array(number, { maxLength: 4 }),
    health: fc.constantFrom("healthy", "unhealthy", "checking", "none"),
    since: number,
    startedAt: number,
  },
  {
    requiredKeys: [
      "taskId",
      "frameworkId",
      "framework",
      "app",
      "instance",
      "digest",
      "state",
      "agentId",
      "hostname",
      "demand",
      "ports",
      "health",
    ],
  },
);

const runningTask: fc.Arbitrary<RunningTask> = fc.record(
  { app: text, agentId: text, instance: number, demand: scalars, portCount: number },
  { requiredKeys: ["app", "agentId", "demand", "portCount"] },
);

describe("the texts of tasks in the inputs digest", () => {
  it("are the canonical JSON of a titan task's placement fields, whatever its fields hold", () => {
    fc.assert(
      fc.property(titanTask, (task) => {
        const { health, since, startedAt, zone, frameworkId, framework, ...placement } = task;
        void [health, since, startedAt, zone, frameworkId, framework];
        expect(placementText(task).json).toBe(canonicalJson(placement));
      }),
      { numRuns: 2000 },
    );
  });

  it("are the canonical JSON of a running task, titan's or another framework's", () => {
    fc.assert(
      fc.property(runningTask, (task) => {
        expect(runningTaskText(task)).toBe(canonicalJson(task));
      }),
      { numRuns: 2000 },
    );
  });
});
