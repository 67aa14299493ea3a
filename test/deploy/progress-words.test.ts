import { describe, expect, it } from "vitest";
import { describeEvent } from "../../src/deploy/progress.js";

describe("a deploy's words for tasks an earlier run launched", () => {
  it("says plainly that the master is asked about a launch written ahead", () => {
    expect(
      describeEvent({
        type: "existing",
        app: "app1",
        instance: 0,
        task: "app1.6.0.1",
        state: "LAUNCHING",
        current: true,
      }),
    ).toBe(
      "app1[0] app1.6.0.1 is named by the app's record but not listed by the master; asking the master about it",
    );
  });

  it("says a task the master has no record of is gone, with the master's words", () => {
    const lost = { type: "lost", app: "app1", instance: 0, task: "app1.6.0.1", state: "TASK_LOST" } as const;
    expect(describeEvent({ ...lost, message: "Reconciliation: Task is unknown" })).toBe(
      "app1[0] app1.6.0.1 is gone: the master has no record of it (Reconciliation: Task is unknown)",
    );
    expect(describeEvent({ ...lost, message: "Agent removed" })).toBe(
      "app1[0] app1.6.0.1 lost: Agent removed",
    );
  });
});
