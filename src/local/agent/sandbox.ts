import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, rmSync, symlinkSync } from "node:fs";
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
  mkdirSync(directory, { recursive: true });
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
  const stdoutFd = openSync(stdoutPath, "a");
  let stderrFd: number;
  try {
    stderrFd = openSync(stderrPath, "a");
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
