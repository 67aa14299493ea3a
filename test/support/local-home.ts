import { join } from "node:path";
import { stillRunning } from "../../src/local/cluster-identity.js";
import { localPaths } from "../../src/local/control.js";
import { readClusterState } from "../../src/local/runner.js";
import { runCli } from "./cli.js";
import { tempDir } from "./tmp.js";

const stateDirs: string[] = [];

/**
 * A HOME of its own in a temp dir (XDG dirs under it), whose local cluster `killLocalClusters` ends, and `run`
 * running the CLI there.
 */
export function localHome(prefix: string, extra: Record<string, string> = {}) {
  const dir = tempDir(prefix);
  const env = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_DATA_HOME: join(dir, "data"),
    XDG_STATE_HOME: join(dir, "state"),
    XDG_CACHE_HOME: join(dir, "cache"),
    ...extra,
  };
  stateDirs.push(join(dir, "state", "titan"));
  return { dir, env, run: (args: string[]) => runCli(args, { env, cwd: dir }) };
}

/** Kills the local clusters of every `localHome` made since the last call (for afterEach). */
export function killLocalClusters(): void {
  for (const stateDir of stateDirs.splice(0)) {
    const state = readClusterState(localPaths(stateDir).stateFile);
    if (state && stillRunning(state)) process.kill(state.pid, "SIGKILL");
  }
}
