import { describe, expect, it } from "vitest";
import type { TaskStatus } from "../../src/mesos/types/mesos.js";
import { terminalMessage } from "../../src/observe/task-end.js";

const status = (over: Partial<TaskStatus>): TaskStatus => ({
  task_id: { value: "web.1.0.0" },
  state: "TASK_KILLED",
  message: "Command exited with status 0",
  ...over,
});

describe("the wording of a task's end", () => {
  it("says a kill titan did not ask for, flagged unhealthy, was the health check's", () => {
    expect(terminalMessage(status({ healthy: false }), false)).toMatch(/^failed its health check/);
    expect(terminalMessage(status({ healthy: false }), false)).toContain("--stderr");
  });

  it("keeps the executor's message otherwise", () => {
    expect(terminalMessage(status({ healthy: false }), true)).toBe("Command exited with status 0");
    expect(terminalMessage(status({}), false)).toBe("Command exited with status 0");
    expect(terminalMessage(status({ state: "TASK_FAILED", healthy: false }), false)).toBe(
      "Command exited with status 0",
    );
    expect(terminalMessage(status({ message: undefined }), false)).toBeUndefined();
  });
});
