import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { createLocalAgent } from "../../../src/local/agent/agent.js";
import type {
  AgentStatus,
  CommandInfoJson,
  FrameworkInfoJson,
  LocalAgentHandle,
  TaskInfoJson,
  TaskStateName,
} from "../../../src/local/agent/api.js";

export const FRAMEWORK_ID = "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-0000";
export const AGENT_ID = "5e0f3d5c-2b43-4a5e-9c3e-0f6b0c1d2e3f-S0";

export const FRAMEWORK: FrameworkInfoJson = {
  // A user that exists here: the agent drops tasks of users the machine does not have.
  user: userInfo().username,
  name: "titan",
  id: { value: FRAMEWORK_ID },
  failover_timeout: 604800,
  checkpoint: true,
  roles: ["titan"],
  hostname: "deploy-host",
  principal: "titan",
  capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }],
};

export interface TestAgent {
  agent: LocalAgentHandle;
  workDir: string;
  statuses: AgentStatus[];
  /** Statuses of one task, in delivery order. */
  of(taskId: string): AgentStatus[];
  /** Resolves with the first delivered status of `taskId` in `state` (and matching `extra`, if given). */
  waitFor(taskId: string, state: TaskStateName, extra?: (s: AgentStatus) => boolean): Promise<AgentStatus>;
}

/** A started agent on a free port that is stopped (every task killed) when the test ends, pass or fail. */
export async function startTestAgent(
  options: {
    switchUser?: boolean;
    credentials?: { principal: string; secret: string };
    executorRegistrationTimeoutMs?: number;
  } = {},
): Promise<TestAgent> {
  // Removed once the agent has stopped (its containers destroyed), not by the afterEach clean-up, which runs
  // before onTestFinished and raced the runtime still deleting a rootfs (ENOTEMPTY).
  const workDir = mkdtempSync(join(tmpdir(), "titan-agent-"));
  const statuses: AgentStatus[] = [];
  const agent = createLocalAgent({
    id: AGENT_ID,
    hostname: "agent0.local",
    attributes: { zone: "a", rack: "r1", instance_type: "local" },
    resources: { cpus: 4, mem: 8192, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    workDir,
    masterUrl: "http://127.0.0.1:5050",
    ...(options.switchUser === undefined ? {} : { switchUser: options.switchUser }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.executorRegistrationTimeoutMs === undefined
      ? {}
      : { executorRegistrationTimeoutMs: options.executorRegistrationTimeoutMs }),
    onStatus: (status) => statuses.push(status),
  });
  onTestFinished(async () => {
    try {
      await agent.stop();
    } finally {
      rmSync(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
  }, 15_000);
  await agent.start();
  const of = (taskId: string) => statuses.filter((s) => s.taskId === taskId);
  const waitFor = (taskId: string, state: TaskStateName, extra?: (s: AgentStatus) => boolean) =>
    eventually(() => of(taskId).find((s) => s.state === state && (extra === undefined || extra(s))), 10_000);
  return { agent, workDir, statuses, of, waitFor };
}

/** Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function commandTask(
  id: string,
  command: CommandInfoJson,
  extra: Partial<TaskInfoJson> = {},
): TaskInfoJson {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: AGENT_ID },
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, allocation_info: { role: "titan" } },
      { name: "mem", type: "SCALAR", scalar: { value: 32 }, allocation_info: { role: "titan" } },
    ],
    command,
    ...extra,
  };
}

export function shellTask(id: string, script: string, extra: Partial<TaskInfoJson> = {}): TaskInfoJson {
  return commandTask(id, { value: script }, extra);
}

/** True while a process with this pid runs (a zombie waiting to be reaped counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

/** A call to the agent's v1 operator API, as JSON. */
export async function callAgent(
  agent: TestAgent,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${agent.agent.url}/api/v1`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify(body),
  });
}
