import { mkdirSync, rmSync } from "node:fs";
import { clusterOwnership } from "./cluster-identity.js";
import {
  daemonEntry,
  isAlive,
  isHealthy,
  type LocalPaths,
  logTail,
  spawnDaemon,
  waitUntilUp,
} from "./control.js";
import { type ClusterConfig, type LocalClusterRecord, readClusterState } from "./runner.js";

/** Why a background cluster could not be started, with what the user can do about it. */
export class LocalClusterStartError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "LocalClusterStartError";
  }
}

const START_TIMEOUT_MS = 15_000;

/**
 * The running cluster recorded under `paths`, if its process is proven to be the one recorded (never another given
 * its pid since, whatever now answers at its URL) and its master answers.
 */
export async function runningCluster(paths: LocalPaths): Promise<LocalClusterRecord | undefined> {
  const state = readClusterState(paths.stateFile);
  if (
    state &&
    (await clusterOwnership({ ...state, recordFile: paths.stateFile })) === "ours" &&
    (await isHealthy(state.url))
  )
    return state;
  return undefined;
}

/** Starts the cluster as a detached process and waits until its master answers /health. */
export async function startBackgroundCluster(
  paths: LocalPaths,
  config: ClusterConfig,
): Promise<LocalClusterRecord> {
  const entry = daemonEntry();
  if (!entry) {
    throw new LocalClusterStartError(
      "titan's compiled files are missing (dist/local/daemon.js)",
      "run `npm run build`",
    );
  }
  rmSync(paths.stateFile, { force: true });
  mkdirSync(paths.dir, { recursive: true, mode: 0o711 });
  const child = spawnDaemon(entry, config, paths.logFile);
  const state = await waitUntilUp(() => readClusterState(paths.stateFile), child, START_TIMEOUT_MS);
  if (!state) {
    if (child.pid !== undefined && isAlive(child.pid)) child.kill("SIGKILL");
    const last = logTail(paths.logFile).split("\n").at(-1) ?? "";
    throw new LocalClusterStartError(
      `the local cluster did not start${last ? `: ${last}` : ""}`,
      `see ${paths.logFile}`,
    );
  }
  return state;
}
