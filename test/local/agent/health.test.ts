import { readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { HealthCheckJson } from "../../../src/local/agent/api.js";
import { eventually, FRAMEWORK, FRAMEWORK_ID, shellTask, startTestAgent } from "./support.js";

const FAST = { delay_seconds: 0, interval_seconds: 0.05, timeout_seconds: 2, grace_period_seconds: 0 };

/** An HTTP server on a free loopback port answering with `status()`; closed when the test ends. */
async function httpTarget(status: () => number): Promise<number> {
  const server: Server = createHttpServer((req, res) => {
    if (req.url === "/redirect") {
      res.writeHead(302, { Location: "/health" });
      res.end();
      return;
    }
    res.writeHead(status());
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

function healthTask(id: string, check: HealthCheckJson) {
  return shellTask(id, "sleep 30", { health_check: check });
}

describe("local agent: health checks", () => {
  it("reports the first healthy HTTP check once, with the health-check reason", async () => {
    const port = await httpTarget(() => 200);
    const { agent, of, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      healthTask("web", { type: "HTTP", http: { port, path: "/health" }, ...FAST }),
      FRAMEWORK,
    );
    const healthy = await waitFor("web", "TASK_RUNNING", (s) => s.healthy === true);
    expect(healthy).toMatchObject({
      reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
      source: "SOURCE_EXECUTOR",
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of("web").filter((s) => s.healthy !== undefined)).toHaveLength(1);
    expect(agent.tasks()[0]?.healthy).toBe(true);
  });

  it("follows redirects like curl -L", async () => {
    const port = await httpTarget(() => 204);
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      healthTask("redir", { type: "HTTP", http: { port, path: "/redirect" }, ...FAST }),
      FRAMEWORK,
    );
    await waitFor("redir", "TASK_RUNNING", (s) => s.healthy === true);
  });

  it("reports every failure, then kills the task after consecutive_failures (statuses are ignored)", async () => {
    const port = await httpTarget(() => 503);
    const { agent, of, waitFor } = await startTestAgent();
    const check: HealthCheckJson = {
      type: "HTTP",
      http: { port, statuses: [503] },
      ...FAST,
      consecutive_failures: 2,
    };
    agent.launch(FRAMEWORK_ID, healthTask("sick", check), FRAMEWORK);
    const killed = await waitFor("sick", "TASK_KILLED");
    expect(killed.healthy).toBe(false);
    expect(killed.message).toBe("Command terminated with signal Terminated");
    const health = of("sick").filter((s) => s.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    expect(health.map((s) => [s.state, s.healthy])).toEqual([
      ["TASK_RUNNING", false],
      ["TASK_RUNNING", false],
    ]);
    const stderr = join(agent.tasks()[0]?.sandbox ?? "", "stderr");
    // The executor's log lines, as Mesos' health checker words them (src/checks/health_checker.cpp).
    const log = readFileSync(stderr, "utf8");
    expect(log).toContain(
      "HTTP health check for task 'sick' failed: Unexpected HTTP response code: 503 Service Unavailable",
    );
    expect(log).toContain("HTTP health check for task 'sick' failed 2 times consecutively");
  });

  it("reports recovery after failures as a new healthy update", async () => {
    let code = 200;
    const port = await httpTarget(() => code);
    const { agent, of, waitFor } = await startTestAgent();
    const check: HealthCheckJson = { type: "HTTP", http: { port }, ...FAST, consecutive_failures: 1000 };
    agent.launch(FRAMEWORK_ID, healthTask("flappy", check), FRAMEWORK);
    await waitFor("flappy", "TASK_RUNNING", (s) => s.healthy === true);
    code = 500;
    await waitFor("flappy", "TASK_RUNNING", (s) => s.healthy === false);
    code = 200;
    await eventually(() => of("flappy").filter((s) => s.healthy === true).length === 2);
    const sequence = of("flappy")
      .filter((s) => s.healthy !== undefined)
      .map((s) => s.healthy);
    expect(sequence[0]).toBe(true);
    expect(sequence.at(-1)).toBe(true);
    expect(sequence.slice(1, -1).every((h) => h === false)).toBe(true);
  });

  it("checks TCP by connecting to 127.0.0.1:port", async () => {
    const server = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      server.close();
    });
    const port = (server.address() as AddressInfo).port;
    const { agent, waitFor } = await startTestAgent();
    agent.launch(
      FRAMEWORK_ID,
      healthTask("tcp", { type: "TCP", tcp: { port }, ...FAST, consecutive_failures: 1 }),
      FRAMEWORK,
    );
    await waitFor("tcp", "TASK_RUNNING", (s) => s.healthy === true);
    server.close();
    const killed = await waitFor("tcp", "TASK_KILLED");
    expect(killed.healthy).toBe(false);
  });

  it("ignores failures during the grace period until the first success", async () => {
    const { agent, of, waitFor } = await startTestAgent();
    const check: HealthCheckJson = {
      type: "COMMAND",
      command: { value: 'test -f "$MESOS_SANDBOX/ready"' },
      ...FAST,
      grace_period_seconds: 30,
      consecutive_failures: 1,
    };
    agent.launch(FRAMEWORK_ID, healthTask("warming", check), FRAMEWORK);
    await waitFor("warming", "TASK_RUNNING");
    const sandbox = agent.tasks()[0]?.sandbox ?? "";
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(of("warming").some((s) => s.healthy !== undefined)).toBe(false);
    writeFileSync(join(sandbox, "ready"), "");
    await waitFor("warming", "TASK_RUNNING", (s) => s.healthy === true);
    expect(of("warming").filter((s) => s.healthy !== undefined)[0]?.healthy).toBe(true);
  });

  it("runs COMMAND checks with the check's own environment, and kills on failure", async () => {
    const { agent, waitFor } = await startTestAgent();
    const check: HealthCheckJson = {
      type: "COMMAND",
      command: {
        value: 'test "$MODE" = ok',
        environment: { variables: [{ name: "MODE", value: "broken" }] },
      },
      ...FAST,
      consecutive_failures: 1,
    };
    agent.launch(FRAMEWORK_ID, healthTask("cmd", check), FRAMEWORK);
    const killed = await waitFor("cmd", "TASK_KILLED");
    expect(killed.healthy).toBe(false);
  });

  it("counts a check that exceeds timeout_seconds as a failure", async () => {
    const { agent, waitFor } = await startTestAgent();
    const check: HealthCheckJson = {
      type: "COMMAND",
      command: { value: "sleep 30" },
      ...FAST,
      timeout_seconds: 0.1,
      consecutive_failures: 1,
    };
    agent.launch(FRAMEWORK_ID, healthTask("slow", check), FRAMEWORK);
    const unhealthy = await waitFor("slow", "TASK_RUNNING", (s) => s.healthy === false);
    expect(unhealthy.reason).toBe("REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    await waitFor("slow", "TASK_KILLED");
  });
});
