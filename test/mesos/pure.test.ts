import { describe, expect, it } from "vitest";
import { agentBaseUrl } from "../../src/mesos/agent-address.js";
import { backoffDelay } from "../../src/mesos/backoff.js";
import { sanitizeExcerpt } from "../../src/mesos/excerpt.js";
import {
  endsInstance,
  isTerminalState,
  mayStillRun,
  TaskStatusTracker,
  type UpdateVerdict,
} from "../../src/mesos/task-status.js";
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

describe("status update ordering after a master failover", () => {
  it("replays: RUNNING, failover, a reconciliation RUNNING stamped now, then the agent's queued older TASK_FAILED", () => {
    const tracker = new TaskStatusTracker();
    const base = { task_id: { value: "web.1.0.1" }, agent_id: { value: "a1" } };
    const sequence: Array<[TaskStatus, UpdateVerdict]> = [
      [{ ...base, state: "TASK_STARTING", source: "SOURCE_EXECUTOR", timestamp: 10, uuid: "u1" }, "new"],
      [{ ...base, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", timestamp: 11, uuid: "u2" }, "new"],
      // The master failed over; titan reconciles and the new master answers with its view, stamped now.
      [
        {
          ...base,
          state: "TASK_RUNNING",
          source: "SOURCE_MASTER",
          reason: "REASON_RECONCILIATION",
          timestamp: 100,
        },
        "new",
      ],
      // The agent re-registers and delivers the update it queued while the master was away: it happened at 50.
      [
        {
          ...base,
          state: "TASK_FAILED",
          source: "SOURCE_EXECUTOR",
          reason: "REASON_COMMAND_EXECUTOR_FAILED",
          timestamp: 50,
          uuid: "u3",
        },
        "new",
      ],
      // A reconciliation answer still in flight says RUNNING: a terminal state is never overridden.
      [
        {
          ...base,
          state: "TASK_RUNNING",
          source: "SOURCE_MASTER",
          reason: "REASON_RECONCILIATION",
          timestamp: 101,
        },
        "stale",
      ],
      [{ ...base, state: "TASK_FAILED", source: "SOURCE_EXECUTOR", timestamp: 50, uuid: "u3" }, "duplicate"],
    ];
    expect(sequence.map(([status]) => tracker.observe(status))).toEqual(
      sequence.map(([, verdict]) => verdict),
    );
    expect(tracker.stateOf("web.1.0.1")).toBe("TASK_FAILED");
  });

  it("never moves a task backwards, whatever the stamps say", () => {
    const tracker = new TaskStatusTracker();
    const base = { task_id: { value: "t" } };
    tracker.observe({ ...base, state: "TASK_RUNNING", timestamp: 5 });
    expect(
      tracker.observe({ ...base, state: "TASK_STAGING", reason: "REASON_RECONCILIATION", timestamp: 9 }),
    ).toBe("stale");
    expect(tracker.observe({ ...base, state: "TASK_KILLING", timestamp: 6 })).toBe("new");
  });

  it("has one set of terminal states, the master's, and says what ends an instance", () => {
    const states = ["TASK_LOST", "TASK_UNKNOWN", "TASK_UNREACHABLE", "TASK_GONE", "TASK_RUNNING"] as const;
    expect(states.map(isTerminalState)).toEqual([true, false, false, true, false]);
    expect(states.map(endsInstance)).toEqual([true, true, false, true, false]);
    expect(states.map(mayStillRun)).toEqual([true, false, true, false, true]);
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
