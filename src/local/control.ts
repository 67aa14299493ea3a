import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function isHealthy(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * The compiled daemon entry: beside this module when running from dist/, else dist/local/daemon.js of the package
 * (when titan itself runs from its TypeScript sources, e.g. under a test runner).
 */
export function daemonEntry(): string | undefined {
  const here = fileURLToPath(new URL("./daemon.js", import.meta.url));
  if (existsSync(here)) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "dist", "local", "daemon.js");
    if (existsSync(join(dir, "package.json")) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Starts the cluster as a detached process writing to the log file (readable by its owner only). */
export function spawnDaemon(entry: string, config: ClusterConfig, logFile: string): ChildProcess {
  const log = openSync(logFile, "a", 0o600);
  chmodSync(logFile, 0o600);
  try {
    const child = spawn(process.execPath, [entry, JSON.stringify(config)], {
      detached: true,
      stdio: ["ignore", log, log],
      cwd: dirname(logFile),
    });
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
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

/** SIGTERM, wait for a clean exit, SIGKILL after `timeoutMs`. Returns true if it exited cleanly. */
export async function stopProcess(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(25);
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
  return false;
}
