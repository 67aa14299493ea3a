import { agentPorts } from "./agent-ports.js";
import { LocalClusterStartError, runningCluster, startBackgroundCluster } from "./background.js";
import { localPaths } from "./control.js";
import { DEFAULT_PRINCIPAL, localClusterAccess, writeGeneratedSecret } from "./credentials.js";
import { portIsFree } from "./host-ports.js";
import type { HttpCredentials } from "./http-guard.js";
import { releasePorts } from "./port-claims.js";
import type { ClusterConfig } from "./runner.js";

export interface EnsuredCluster {
  url: string;
  /** The credentials the cluster requires, read from its 0600 secret file. */
  auth?: HttpCredentials;
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
  if (running) return { ...accessOf(paths.stateFile, running.url), started: false };
  const config: ClusterConfig = {
    agents: 3,
    agentResources: { cpus: 4, mem: 8192, disk: 20000, ports: [{ begin: 31000, end: 32000 }] },
    zones: ["a", "b", "c"],
    port: options.port ?? 5050,
    workDir: paths.workDir,
    stateFile: paths.stateFile,
    auth: { principal: DEFAULT_PRINCIPAL, secretFile: paths.secretFile },
  };
  if (!(await portIsFree(config.port))) {
    // Something this user did not start owns the port (another user's cluster, mesos-local): never use it, since a
    // deploy would send it the app and its secrets.
    throw new LocalClusterStartError(
      `port ${config.port} on 127.0.0.1 is in use by something other than your local cluster`,
      "start yours on another port with `titan local up --port <port>` (0 picks a free one); every command then uses it",
    );
  }
  // The default range, unless something listens in it or another local cluster's agents hand it out.
  await agentPorts(config, false);
  writeGeneratedSecret(paths.secretFile);
  // The cluster's process claims the ports for as long as it runs: this one's claim is given up either way.
  const state = await startBackgroundCluster(paths, config).finally(() => releasePorts());
  return { ...accessOf(paths.stateFile, state.url), started: true };
}

function accessOf(stateFile: string, url: string): { url: string; auth?: HttpCredentials } {
  const access = localClusterAccess(stateFile);
  return access?.auth ? { url, auth: access.auth } : { url };
}
