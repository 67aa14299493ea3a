import { randomUUID } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/** One executor run's sandbox, laid out as a Mesos agent's work_dir. */
export interface Sandbox {
  containerId: string;
  /** <workDir>/slaves/<agent>/frameworks/<fw>/executors/<executor>/runs/<container> */
  directory: string;
  /** .../runs/latest (a symlink to `directory`). */
  latestLink: string;
  /** The path the files endpoints also accept: /frameworks/<fw>/executors/<executor>/runs/latest */
  virtualLatest: string;
  stdoutPath: string;
  stderrPath: string;
}

export function executorRunsDir(
  workDir: string,
  agentId: string,
  frameworkId: string,
  executorId: string,
): string {
  return join(workDir, "slaves", agentId, "frameworks", frameworkId, "executors", executorId, "runs");
}

export function virtualLatestPath(frameworkId: string, executorId: string): string {
  return `/frameworks/${frameworkId}/executors/${executorId}/runs/latest`;
}

/** A new sandbox with its stdout/stderr files open for appending; the caller closes the descriptors. */
export interface OpenedSandbox {
  sandbox: Sandbox;
  stdoutFd: number;
  stderrFd: number;
}

/** Creates the run directory with stdout/stderr files (opened for the task) and points runs/latest at it. */
export function createSandbox(
  workDir: string,
  agentId: string,
  frameworkId: string,
  executorId: string,
): OpenedSandbox {
  const containerId = randomUUID();
  const runs = executorRunsDir(workDir, agentId, frameworkId, executorId);
  const directory = join(runs, containerId);
  // Only the task's user may read its sandbox: fetched files and logs can hold secrets (paths.cpp chmods 0750; the
  // local cluster shares its host with other users, so the group gets nothing either).
  mkdirSync(runs, { recursive: true });
  mkdirSync(directory, { mode: 0o700 });
  chmodSync(directory, 0o700);
  const stdoutPath = join(directory, "stdout");
  const stderrPath = join(directory, "stderr");
  const latestLink = join(runs, "latest");
  try {
    symlinkSync(containerId, latestLink);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    rmSync(latestLink, { force: true });
    symlinkSync(containerId, latestLink);
  }
  const stdoutFd = openSync(stdoutPath, "a", 0o600);
  let stderrFd: number;
  try {
    stderrFd = openSync(stderrPath, "a", 0o600);
  } catch (error) {
    closeSync(stdoutFd);
    throw error;
  }
  const sandbox: Sandbox = {
    containerId,
    directory,
    latestLink,
    virtualLatest: virtualLatestPath(frameworkId, executorId),
    stdoutPath,
    stderrPath,
  };
  return { sandbox, stdoutFd, stderrFd };
}
