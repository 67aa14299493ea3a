import { describe, expect, it } from "vitest";
import { lastCheckFailure } from "../../src/observe/check-output.js";

describe("the last health check failure in a task's stderr", () => {
  it("reads a real agent's glog line and the local agent's plain one, the last for that task", () => {
    const tail = [
      "I1202 12:00:01.000000  4242 executor.cpp:363] Received task health update, healthy: false",
      "W1202 12:00:01.000000  4242 health_checker.cpp:273] HTTP health check for task 'web.2.0.1' failed: Unexpected HTTP response code: 500 Internal Server Error",
      "HTTP health check for task 'web.2.0.1' failed: Unexpected HTTP response code: 503 Service Unavailable",
      "HTTP health check for task 'web.2.0.1' failed 3 times consecutively",
      "COMMAND health check for task 'web.2.1.1' failed: Command exited with status 1",
      "",
    ].join("\n");
    expect(lastCheckFailure(tail, "web.2.0.1")).toBe(
      "HTTP health check failed: Unexpected HTTP response code: 503 Service Unavailable",
    );
    expect(lastCheckFailure(tail, "web.2.1.1")).toBe(
      "COMMAND health check failed: Command exited with status 1",
    );
    expect(lastCheckFailure(tail, "web.9.9.9")).toBeUndefined();
  });

  it("never passes terminal control through, and keeps a long line short", () => {
    const hostile = "TCP health check for task 't' failed: \u001b[2Jgone\u0007";
    expect(lastCheckFailure(hostile, "t")).toBe("TCP health check failed: ?[2Jgone?");
    const long = `COMMAND health check for task 't' failed: ${"x".repeat(1000)}`;
    expect(lastCheckFailure(long, "t")?.length).toBe(300);
  });
});
