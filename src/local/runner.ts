import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createLocalAgent } from "./agent/agent.js";
import type { AgentResources } from "./agent/api.js";
import { type LocalCluster, startLocalCluster } from "./cluster.js";
import { processStartOf } from "./cluster-identity.js";
import { type CredentialSource, loadCredentials } from "./credentials.js";
import type { MasterOptions } from "./master/master.js";
import { claimPorts, claimPortsFirst, releasePorts } from "./port-claims.js";

/** What `titan local up` asks for; passed to the background process as JSON. */
export interface ClusterConfig {
  agents: number;
  agentResources: AgentResources;
  zones: string[];
  /** Fault domains in this region for the master and the agents (`--fault-domain`). */
  region?: string;
  port: number;
  workDir: string;
  /** Where the running cluster records its pid and URL. */
  stateFile: string;
  master?: MasterOptions;
  /** The agents' --executor_registration_timeout (`--executor-registration-timeout`). */
  executorRegistrationTimeoutMs?: number;
  /** Publish the master in ZooKeeper (zk://host:port/path). */
  zk?: string;
  /** The credentials every API of the cluster requires (HTTP Basic). */
  auth?: CredentialSource;
  /** Serve the test-only fault injection endpoint. */
  testFaults?: boolean;
}

/** The state file of a running cluster (mode 0600). */
export interface LocalClusterRecord {
  pid: number;
  url: string;
  port: number;
  agents: number;
  startedAt: string;
  /** Where titan finds the credentials for this cluster (the secret itself is never in this file). */
  auth?: CredentialSource;
  /** When the process started (Linux: `<boot id>/<ticks>`), to tell it from a later process given its pid. */
  processStart?: string;
  /** The cluster's instance token, which its master proves it holds (where there is no /proc to read). */
  instance?: string;
}

export function readClusterState(stateFile: string): LocalClusterRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(stateFile, "utf8")) as Partial<LocalClusterRecord>;
    // A pid of 0 or below names a process group, or every process, to kill(2).
    const pid = parsed.pid;
    if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0 || typeof parsed.url !== "string")
      return undefined;
    if (parsed.processStart !== undefined && typeof parsed.processStart !== "string") return undefined;
    if (parsed.instance !== undefined && typeof parsed.instance !== "string") return undefined;
    return parsed as LocalClusterRecord;
  } catch {
    return undefined;
  }
}

/**
 * Runs a cluster until `signal` aborts: starts it, records its state file, then stops every task and removes the
 * file. `onReady` gets the URL once the master answers.
 */
export async function runCluster(
  config: ClusterConfig,
  signal: AbortSignal,
  onReady: (cluster: LocalCluster) => void,
): Promise<void> {
  // Every agent's range is claimed for as long as the cluster runs, those of agents added later included.
  claimPorts(config.agentResources.ports);
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      agents: config.agents,
      agentResources: config.agentResources,
      zones: config.zones,
      ...(config.region === undefined ? {} : { region: config.region }),
      port: config.port,
      workDir: config.workDir,
      createAgent: createLocalAgent,
      ...(config.master ? { master: config.master } : {}),
      ...(config.executorRegistrationTimeoutMs === undefined
        ? {}
        : { executorRegistrationTimeoutMs: config.executorRegistrationTimeoutMs }),
      ...(config.zk ? { zk: config.zk } : {}),
      ...(config.auth ? { credentials: loadCredentials(config.auth) } : {}),
      ...(config.testFaults ? { faultsEndpoint: true } : {}),
      claimHostPorts: (block, held) => claimPortsFirst([block], process.pid, held),
    });
  } catch (error) {
    releasePorts();
    throw error;
  }
  const processStart = processStartOf(process.pid);
  const state: LocalClusterRecord = {
    pid: process.pid,
    url: cluster.url,
    port: cluster.port,
    agents: config.agents,
    startedAt: new Date().toISOString(),
    ...(config.auth ? { auth: config.auth } : {}),
    ...(processStart === undefined ? {} : { processStart }),
    instance: cluster.instance,
  };
  mkdirSync(dirname(config.stateFile), { recursive: true, mode: 0o711 });
  writeFileSync(config.stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(config.stateFile, 0o600);
  onReady(cluster);
  try {
    if (!signal.aborted) {
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    }
  } finally {
    await cluster.stop();
    releasePorts();
    if (readClusterState(config.stateFile)?.pid === process.pid) rmSync(config.stateFile, { force: true });
  }
}
