import { LocalClusterStartError, runningCluster, startBackgroundCluster } from "./background.js";
import { localPaths, portIsFree } from "./control.js";
import type { ClusterConfig } from "./runner.js";

export interface EnsuredCluster {
  url: string;
  /** True when this call started it (callers say so to the user). */
  started: boolean;
}

/**
 * The local cluster for the built-in `local` context: the running one, or a new one in the background with the
 * defaults of `titan local up` (3 agents, port 5050).
 */
export async function ensureLocalCluster(
  stateDir: string,
  options: { port?: number } = {},
): Promise<EnsuredCluster> {
  const paths = localPaths(stateDir);
  const running = await runningCluster(paths);
  if (running) return { url: running.url, started: false };
  const config: ClusterConfig = {
    agents: 3,
    agentResources: { cpus: 4, mem: 8192, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    zones: ["a", "b", "c"],
    port: options.port ?? 5050,
    workDir: paths.workDir,
    stateFile: paths.stateFile,
    master: { offerTimeoutMs: 30_000 },
  };
  if (!(await portIsFree(config.port))) {
    // Something this user did not start owns the port (another user's cluster, mesos-local): never use it, since a
    // deploy would send it the app and its secrets.
    throw new LocalClusterStartError(
      `port ${config.port} on 127.0.0.1 is in use by something other than your local cluster`,
      "start yours on another port with `titan local up --port <port>` (0 picks a free one); every command then uses it",
    );
  }
  const state = await startBackgroundCluster(paths, config);
  return { url: state.url, started: true };
}
