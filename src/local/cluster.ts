import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AgentResources, LocalAgentHandle, LocalAgentOptions } from "./agent/api.js";
import { type FaultActions, faultHandler } from "./faults.js";
import type { HttpCredentials } from "./http-guard.js";
import { startMasterServer } from "./master/http.js";
import { LocalMaster, type MasterOptions } from "./master/master.js";
import { splitRanges } from "./resources.js";
import { startZkContender, type ZkContender } from "./zk-contender.js";

/** One master and N agents in this process, on 127.0.0.1. */

export type AgentFactory = (options: LocalAgentOptions) => LocalAgentHandle;

export interface LocalClusterOptions {
  agents: number;
  /** Resources of each agent; the ports range is split between agents, which share one host. */
  agentResources: AgentResources;
  zones: readonly string[];
  /** The master's port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Sandboxes and agent state live under here. */
  workDir: string;
  createAgent: AgentFactory;
  master?: MasterOptions;
  /** Serve the test-only fault injection endpoint (default false: only test clusters ask for it). */
  faultsEndpoint?: boolean;
  /** Publish the master in ZooKeeper at this zk:// URL, as a master started with --zk does. */
  zk?: string;
  /** HTTP Basic credentials that the master's and agents' protected endpoints require; none: no authentication. */
  credentials?: HttpCredentials;
}

export type ClusterFaults = FaultActions;

export interface LocalCluster {
  readonly url: string;
  readonly port: number;
  readonly master: LocalMaster;
  agents(): LocalAgentHandle[];
  readonly faults: ClusterFaults;
  stop(): Promise<void>;
}

interface AgentTemplate {
  hostname: string;
  attributes: Record<string, string>;
  resources: AgentResources;
}

function agentTemplates(options: LocalClusterOptions): AgentTemplate[] {
  const zones = options.zones.length > 0 ? options.zones : ["a"];
  const ports = splitRanges(options.agentResources.ports, options.agents);
  const r = options.agentResources;
  return Array.from({ length: options.agents }, (_, i) => {
    const zone = zones[i % zones.length] as string;
    return {
      hostname: `agent-${i + 1}.local`,
      attributes: {
        zone,
        rack: `${zone}-r${Math.floor(i / zones.length) + 1}`,
        instance_type: `local.c${r.cpus}m${Math.round(r.mem / 1024)}`,
      },
      resources: { ...r, ports: ports[i] ?? [] },
    };
  });
}

/** Whether every directory from `dir` up to the root lets other users pass through. */
function searchableByOthers(dir: string): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (dirname(current) === current) return true;
  }
}

/**
 * Where the agents keep their sandboxes. Run as root, they switch to each task's user, who must be able to pass
 * through to its 0700 sandbox (never list): as a real agent's --work_dir, the path must be searchable by others.
 * Under a private home (root's is 0700) it is not, so the agents get a fresh directory of their own in the
 * system's temp dir instead, removed when the cluster stops.
 */
function agentsWorkDir(workDir: string): { dir: string; temporary: boolean } {
  mkdirSync(workDir, { recursive: true });
  if (process.getuid?.() !== 0) return { dir: workDir, temporary: false };
  if (searchableByOthers(dirname(resolve(workDir)))) {
    chmodSync(workDir, statSync(workDir).mode | 0o011);
    return { dir: workDir, temporary: false };
  }
  const dir = mkdtempSync(join(tmpdir(), "titan-local-agents-"));
  chmodSync(dir, 0o711);
  return { dir, temporary: true };
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const work = agentsWorkDir(options.workDir);
  const removeWork = (): void => {
    if (work.temporary) rmSync(work.dir, { recursive: true, force: true });
  };
  const master = new LocalMaster(options.master);
  const idPrefix = master.masterId;
  let agentSeq = 0;
  const handles: LocalAgentHandle[] = [];
  const templates = new Map<string, AgentTemplate>();

  const launchAgent = async (template: AgentTemplate, masterUrl: string): Promise<LocalAgentHandle> => {
    const id = `${idPrefix}-S${agentSeq++}`;
    const handle = options.createAgent({
      id,
      hostname: template.hostname,
      attributes: template.attributes,
      resources: template.resources,
      workDir: join(work.dir, "agents", id),
      masterUrl,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      onStatus: (status) => master.onAgentStatus(id, status),
    });
    handles.push(handle);
    templates.set(id, template);
    await handle.start();
    master.addAgent(handle);
    return handle;
  };

  const faults: ClusterFaults = {
    stopAgent: (agentId) => master.stopAgent(agentId),
    restartAgent: async (agentId) => {
      const template = templates.get(agentId);
      const record = master.agents.get(agentId);
      if (!template) throw new Error(`unknown agent '${agentId}'`);
      if (record && !record.dead) throw new Error(`agent '${agentId}' is running; stop it first`);
      const handle = await launchAgent(template, server.url);
      return handle.id;
    },
    partitionAgent: (agentId) => master.partitionAgent(agentId),
    healAgent: (agentId) => master.healAgent(agentId),
    failoverMaster: (reregisterDelayMs) => {
      master.failover(reregisterDelayMs);
      // The new leader's MasterInfo replaces the old node, under a new sequence number.
      contender?.rejoin().catch(() => undefined);
    },
    dropUpdates: (count) => {
      master.delivery.faults.drop = count;
    },
    duplicateUpdates: (count) => {
      master.delivery.faults.duplicate = count;
    },
    delayUpdates: (ms, count) => {
      master.delivery.faults.delay = { ms, count };
    },
    withholdOffers: (withhold) => {
      master.withholdOffers = withhold;
      if (!withhold) master.scheduleAllocation();
    },
    holdAccepts: (count) => {
      master.heldAccepts.toHold = count;
      if (count === 0) for (const release of [...master.heldAccepts.waiting]) release();
    },
  };

  const admin = options.faultsEndpoint === true ? faultHandler(faults, master) : undefined;
  let server: Awaited<ReturnType<typeof startMasterServer>>;
  try {
    server = await startMasterServer(master, options.port, {
      ...(admin ? { admin } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  } catch (error) {
    master.close();
    throw error;
  }
  let contender: ZkContender | undefined;
  try {
    await Promise.all(agentTemplates(options).map((t) => launchAgent(t, server.url)));
    if (options.zk !== undefined) contender = await startZkContender(options.zk, () => master.masterInfo());
  } catch (error) {
    master.close();
    await Promise.allSettled(handles.map((h) => h.stop()));
    await server.close();
    removeWork();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    master,
    agents: () => [...handles],
    faults,
    stop: () => {
      stopping ??= (async () => {
        await contender?.close();
        master.close();
        await Promise.allSettled(handles.map((h) => h.stop()));
        await server.close();
        removeWork();
      })();
      return stopping;
    },
  };
}
