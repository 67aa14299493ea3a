import { rmSync } from "node:fs";
import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { clusterOwnership, type Ownership, stillRunning } from "../../local/cluster-identity.js";
import { localPaths, stopProcess } from "../../local/control.js";
import { type LocalClusterRecord, readClusterState } from "../../local/runner.js";

/** Tasks get their kill grace period (3 s by default) before the cluster is forced down. */
const STOP_TIMEOUT_MS = 30_000;

export async function runLocalDown(env: Env): Promise<number> {
  const paths = localPaths(env.paths.stateDir);
  const state = readClusterState(paths.stateFile);
  // Only a process proven to be the cluster is signalled: a record left by a cluster killed outright may name a
  // pid the system has since given to any other process.
  const ownership: Ownership =
    state === undefined ? "gone" : await clusterOwnership({ ...state, recordFile: paths.stateFile });
  if (state === undefined || ownership !== "ours") {
    rmSync(paths.stateFile, { force: true });
    writeLine(env.io.err, env.io.errColor.dim(notRunning(state, ownership)));
    return 0;
  }
  writeLine(env.io.err, env.io.errColor.dim(`stopping the local cluster at ${state.url}...`));
  const clean = await stopProcess(state.pid, STOP_TIMEOUT_MS, () => stillRunning(state));
  rmSync(paths.stateFile, { force: true });
  if (!clean) {
    throw new TitanError(`the local cluster (pid ${state.pid}) did not stop in time and was killed`, {
      hint: `task processes may be left behind; see ${paths.logFile}`,
    });
  }
  writeLine(env.io.out, `stopped the local cluster at ${state.url}`);
  // Unlike a kind or minikube cluster, the apps' records outlive it: say so, or status reads as a broken app.
  writeLine(
    env.io.err,
    env.io.errColor.dim(
      "its apps' releases stay in the state store: `titan deploy` starts them again on the next `titan local up`, `titan stop APP --purge` forgets an app",
    ),
  );
  return 0;
}

/** Why there is nothing to stop; the pid of a record that names a live process, which was left alone. */
function notRunning(state: LocalClusterRecord | undefined, ownership: Ownership): string {
  if (state === undefined || ownership === "gone" || ownership === "ours")
    return "the local cluster is not running";
  if (ownership === "reused")
    return `the local cluster is not running (pid ${state.pid} in its record is another process now; left alone)`;
  return `the local cluster is not running or does not answer at ${state.url} (pid ${state.pid} in its record cannot be told to be it; left alone)`;
}
