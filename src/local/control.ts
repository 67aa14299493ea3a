import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { dirname, join } from "node:path";
import { installedFile, spawnDetached } from "../cli/detached.js";
import type { SourcedDisk } from "./agent/api.js";
import type { ClusterConfig, LocalClusterRecord } from "./runner.js";

/** Where a local cluster keeps its files under the platform state directory. */
export interface LocalPaths {
  dir: string;
  stateFile: string;
  logFile: string;
  workDir: string;
  /** The generated secret of the cluster's HTTP credentials (0600). */
  secretFile: string;
}

export function localPaths(stateDir: string): LocalPaths {
  const dir = join(stateDir, "local");
  return {
    dir,
    stateFile: join(dir, "cluster.json"),
    logFile: join(dir, "cluster.log"),
    workDir: join(dir, "work"),
    secretFile: join(dir, "secret"),
  };
}

/** Whether a process `pid` exists (0 and below name groups to kill(2), never one process: false). */
export function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the local cluster at `url` answers its health check within `timeoutMs`. Through node:http rather than
 * `fetch`: every command that finds the local cluster asks this first, and loading `fetch` cost about 50 ms on top
 * of the HTTP client the command then talks to the master with.
 */
export function isHealthy(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (healthy: boolean): void => {
      if (settled) return;
      settled = true;
      resolve(healthy);
    };
    try {
      // A connection of its own, closed after the answer: a kept-alive one would hold the command open.
      const request = get(
        `${url}/health`,
        { agent: false, signal: AbortSignal.timeout(timeoutMs) },
        (response) => {
          response.on("end", () => settle(response.statusCode === 200));
          response.on("error", () => settle(false));
          response.on("close", () => settle(false));
          response.resume();
        },
      );
      request.on("error", () => settle(false));
    } catch {
      settle(false);
    }
  });
}

/** The compiled daemon entry, dist/local/daemon.js of the package (also when titan runs from its sources). */
export function daemonEntry(): string | undefined {
  return installedFile(join("dist", "local", "daemon.js"));
}

/** Starts the cluster as a detached process writing to the log file (readable by its owner only). */
export function spawnDaemon(entry: string, config: ClusterConfig, logFile: string): ChildProcess {
  return spawnDetached([entry, JSON.stringify(config)], logFile, { cwd: dirname(logFile) });
}

export function logTail(logFile: string, lines = 5): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the daemon to write its state file and answer /health; undefined if it died or timed out. */
export async function waitUntilUp(
  readState: () => LocalClusterRecord | undefined,
  child: ChildProcess,
  timeoutMs: number,
): Promise<LocalClusterRecord | undefined> {
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    const state = readState();
    if (state && state.pid === child.pid && (await isHealthy(state.url))) return state;
    await sleep(25);
  }
  return undefined;
}

/**
 * SIGTERM, wait for a clean exit, SIGKILL after `timeoutMs`. Returns true if it exited cleanly. `running` tells
 * whether the process is still the one meant (not another given its pid since): only that one gets the SIGKILL.
 */
export async function stopProcess(
  pid: number,
  timeoutMs: number,
  running: () => boolean = () => isAlive(pid),
): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) return true;
    await sleep(25);
  }
  if (!running()) return true;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
  return false;
}

/** What the agents control endpoint reports of one agent. */
export interface ControlAgent {
  agent_id: string;
  hostname: string;
  attributes: Record<string, string>;
  /** The fault domain's zone, else the `zone` attribute. */
  zone?: string;
  /** The fault domain's region, when the agent has one. */
  region?: string;
  resources: {
    cpus: number;
    mem: number;
    disk: number;
    gpus: number;
    ports: Array<{ begin: number; end: number }>;
    /** Disks with a source, beside the plain `disk`. */
    disks?: SourcedDisk[];
  };
  state: string;
}

export interface AgentsControl {
  list(): Promise<ControlAgent[]>;
  add(request: {
    count: number;
    resources: { cpus: number; mem: number; disk: number; gpus: number };
    zone?: string;
    region?: string;
    attributes?: Record<string, string>;
  }): Promise<ControlAgent[]>;
  remove(agentIds: readonly string[]): Promise<void>;
}

/** Refused by the running cluster: the message is its own. */
export class ControlRefusedError extends Error {}

/** The client of a running local cluster's agents control endpoint (/__titan_local/agents). */
export function agentsControl(url: string, auth?: { principal: string; secret: string }): AgentsControl {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (auth)
    headers.Authorization = `Basic ${Buffer.from(`${auth.principal}:${auth.secret}`).toString("base64")}`;
  const call = async (method: "GET" | "POST", body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${url}/__titan_local/agents`, {
      method,
      headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // Removing agents waits for their tasks' kill grace periods.
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let answer: Record<string, unknown> = {};
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A non-JSON answer is reported by its status below.
    }
    if (res.status !== 200) {
      throw new ControlRefusedError(
        typeof answer.error === "string" ? answer.error : `HTTP ${res.status} ${text.slice(0, 200)}`,
      );
    }
    return answer;
  };
  return {
    list: async () => (await call("GET")).agents as ControlAgent[],
    add: async (request) => (await call("POST", { type: "ADD_AGENTS", ...request })).agents as ControlAgent[],
    remove: async (agentIds) => void (await call("POST", { type: "REMOVE_AGENTS", agent_ids: agentIds })),
  };
}
