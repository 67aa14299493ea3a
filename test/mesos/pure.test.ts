import { describe, expect, it } from "vitest";
import { agentBaseUrl } from "../../src/mesos/agent-address.js";
import { backoffDelay } from "../../src/mesos/backoff.js";
import { sanitizeExcerpt } from "../../src/mesos/excerpt.js";
import { isTerminalState, TaskStatusTracker } from "../../src/mesos/task-status.js";
import type { TaskStatus } from "../../src/mesos/types/mesos.js";

describe("sanitizeExcerpt", () => {
  it("strips tags, scripts and styles, decodes entities and collapses whitespace", () => {
    expect(
      sanitizeExcerpt(
        "<html><style>p{}</style><script>alert(1)</script><p>Bad&nbsp;&amp;\n\t gateway</p></html>",
      ),
    ).toBe("Bad & gateway");
    expect(sanitizeExcerpt("line1\r\nline2\u0000\u001b[31m")).toBe("line1 line2 [31m");
  });

  it("cuts to 120 characters with an ellipsis", () => {
    const out = sanitizeExcerpt("word ".repeat(100));
    expect(out.length).toBeLessThanOrEqual(120);
    expect(out.endsWith("…")).toBe(true);
  });
});

describe("backoffDelay", () => {
  const policy = { initialMs: 1000, maxMs: 15_000 };
  it("grows exponentially with equal jitter and is capped", () => {
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, policy, () => 0))).toEqual([
      500, 1000, 2000, 4000, 7500, 7500,
    ]);
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, policy, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 15_000, 15_000,
    ]);
  });
});

describe("TaskStatusTracker", () => {
  const status = (state: TaskStatus["state"], timestamp: number, uuid?: string): TaskStatus => ({
    task_id: { value: "t" },
    state,
    timestamp,
    ...(uuid === undefined ? {} : { uuid }),
  });

  it("keeps the newest state and flags duplicates and stale updates", () => {
    const tracker = new TaskStatusTracker();
    expect(tracker.observe(status("TASK_STARTING", 1, "a"))).toBe("new");
    expect(tracker.observe(status("TASK_RUNNING", 2, "b"))).toBe("new");
    expect(tracker.observe(status("TASK_RUNNING", 2, "b"))).toBe("duplicate");
    expect(tracker.observe(status("TASK_STARTING", 1, "c"))).toBe("stale");
    expect(tracker.observe(status("TASK_FINISHED", 3, "d"))).toBe("new");
    expect(tracker.observe(status("TASK_RUNNING", 4))).toBe("stale");
    expect(tracker.stateOf("t")).toBe("TASK_FINISHED");
  });

  it("lets an unreachable task come back", () => {
    const tracker = new TaskStatusTracker();
    tracker.observe(status("TASK_UNREACHABLE", 1));
    expect(tracker.observe(status("TASK_RUNNING", 2))).toBe("new");
    expect(isTerminalState("TASK_UNREACHABLE")).toBe(false);
    expect(isTerminalState("TASK_GONE")).toBe(true);
  });
});

describe("agentBaseUrl", () => {
  const agent = (pid: string | undefined) => ({
    agent_info: { hostname: "agent3.example.com", port: 5051 },
    active: true,
    version: "1.12.0",
    ...(pid === undefined ? {} : { pid }),
  });

  it("prefers the address in the agent's pid and falls back to hostname:port", () => {
    expect(agentBaseUrl(agent("slave(1)@10.0.0.13:5052")).href).toBe("http://10.0.0.13:5052/");
    expect(agentBaseUrl(agent("slave(1)@::1:5052"), "https:").href).toBe("https://[::1]:5052/");
    expect(agentBaseUrl(agent(undefined)).href).toBe("http://agent3.example.com:5051/");
  });
});
