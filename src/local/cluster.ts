import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AgentResources, LocalAgentHandle, LocalAgentOptions, RangeJson } from "./agent/api.js";
import { trackDirectory, untrackDirectory } from "./agent/process-group.js";
import { agentsControlHandler } from "./agents-control.js";
import { type FaultDomain, zoneOf } from "./fault-domain.js";
import { type FaultActions, faultHandler } from "./faults.js";
import { freePortBlock } from "./host-ports.js";
import type { HttpCredentials } from "./http-guard.js";
import { newInstance } from "./instance-proof.js";
import { startMasterServer } from "./master/http.js";
import { LocalMaster, type MasterOptions } from "./master/master.js";
import { splitRanges } from "./resources.js";
import { startZkContender, type ZkContender } from "./zk-contender.js";

/** One master and N agents in this process, on 127.0.0.1. */

/** Blocks lost to local clusters claiming the same ports at the same instant before an added agent gives up. */
const BLOCK_CLAIM_ATTEMPTS = 10;

export type AgentFactory = (options: LocalAgentOptions) => LocalAgentHandle;

export interface LocalClusterOptions {
  agents: number;
  /** Resources of each agent; the ports range is split between agents, which share one host. */
  agentResources: AgentResources;
  zones: readonly string[];
  /**
   * Put the master and the agents in fault domains of this region, as masters and agents started with --domain:
   * each agent's zone is then its fault domain's, not a `zone` attribute.
   */
  region?: string;
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
  /** Every agent's --executor_registration_timeout (default 1 minute, as Mesos). */
  executorRegistrationTimeoutMs?: number;
  /**
   * Claims the block of host ports an added agent is to take, beside the ranges the cluster's agents hold, writing
   * the claim before reading the others' (port-claims.ts `claimPortsFirst`); false when another local cluster claims
   * it at the same instant, which leaves it to that one and picks again.
   */
  claimHostPorts?: (block: RangeJson, held: readonly RangeJson[]) => boolean;
}

export type ClusterFaults = FaultActions;

export interface LocalCluster {
  readonly url: string;
  readonly port: number;
  /** This cluster's instance token: its record keeps it, its master proves it holds it (instance-proof.ts). */
  readonly instance: string;
  readonly master: LocalMaster;
  /** The agents the master knows (stopped ones too, until the master forgets them). */
  agents(): LocalAgentHandle[];
  readonly faults: ClusterFaults;
  /** Starts more agents while the cluster runs; each gets its own free block of host ports. */
  addAgents(request: AddAgentsRequest): Promise<LocalAgentHandle[]>;
  /** Shuts agents down for good, as `mesos-agent` told to: each unregisters, its tasks are lost, then it exits. */
  removeAgents(agentIds: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface AddAgentsRequest {
  count: number;
  /** cpus and mem are required; disk 0 means the cluster's default agent disk; ports are picked here. */
  resources: Omit<AgentResources, "ports">;
  /** The zone attribute (or fault-domain zone); default: the configured zone with the fewest agents. */
  zone?: string;
  /** The fault domain's region, on a cluster with fault domains; default: the master's (another is remote). */
  region?: string;
  /** More TEXT attributes (zone, rack and instance_type are set here unless given). */
  attributes?: Readonly<Record<string, string>>;
}

interface AgentTemplate {
  hostname: string;
  attributes: Record<string, string>;
  domain?: FaultDomain;
  resources: AgentResources;
}

/** An agent's zone: a fault domain in the cluster's region when it has one, else the `zone` attribute. */
function placedIn(
  zone: string,
  region: string | undefined,
  attributes: Record<string, string>,
): Pick<AgentTemplate, "attributes" | "domain"> {
  return region === undefined
    ? { attributes: { zone, ...attributes } }
    : { attributes, domain: { region, zone } };
}

function instanceType(r: Omit<AgentResources, "ports">): string {
  return `local.c${r.cpus}m${Math.round(r.mem / 1024)}`;
}

function agentTemplates(options: LocalClusterOptions): AgentTemplate[] {
  const zones = options.zones.length > 0 ? options.zones : ["a"];
  const ports = splitRanges(options.agentResources.ports, options.agents);
  const r = options.agentResources;
  return Array.from({ length: options.agents }, (_, i) => {
    const zone = zones[i % zones.length] as string;
    return {
      hostname: `agent-${i + 1}.local`,
      ...placedIn(zone, options.region, {
        rack: `${zone}-r${Math.floor(i / zones.length) + 1}`,
        instance_type: instanceType(r),
      }),
      resources: { ...r, ports: ports[i] ?? [] },
    };
  });
}

function portCount(ranges: AgentResources["ports"]): number {
  return ranges.reduce((n, r) => n + r.end - r.begin + 1, 0);
}

/** The zone with the fewest agents, in the configured order on a tie. */
function quietestZone(zones: readonly string[], used: readonly string[]): string {
  const list = zones.length > 0 ? zones : ["a"];
  const count = (z: string) => used.filter((u) => u === z).length;
  return list.reduce((best, z) => (count(z) < count(best) ? z : best), list[0] as string);
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

/**
 * A new cluster's agents get new ids (under a new master id), so no agent ever uses an earlier cluster's agent
 * directory again: what an earlier cluster left there (sandboxes, image stores, kept after it stopped) goes now,
 * rather than growing with every `up`. What cannot be removed is left, as it harms no new agent.
 */
function removeEarlierAgents(agentsDir: string): void {
  let names: string[];
  try {
    names = readdirSync(agentsDir);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      rmSync(join(agentsDir, name), { recursive: true, force: true });
    } catch {
      // Left as it is: a file the cluster's user may not remove harms no new agent.
    }
  }
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const work = agentsWorkDir(options.workDir);
  removeEarlierAgents(join(work.dir, "agents"));
  // Killed outright, the cluster leaves its temporary directory (with every container's rootfs) to the watchdog.
  if (work.temporary) trackDirectory(work.dir);
  const removeWork = (): void => {
    if (!work.temporary) return;
    rmSync(work.dir, { recursive: true, force: true });
    untrackDirectory(work.dir);
  };
  const master = new LocalMaster({
    ...options.master,
    ...(options.region === undefined
      ? {}
      : { domain: { region: options.region, zone: options.zones[0] ?? "a" } }),
  });
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
      ...(template.domain === undefined ? {} : { domain: template.domain }),
      resources: template.resources,
      workDir: join(work.dir, "agents", id),
      masterUrl,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.executorRegistrationTimeoutMs === undefined
        ? {}
        : { executorRegistrationTimeoutMs: options.executorRegistrationTimeoutMs }),
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
    loseAccepts: (count) => {
      master.lostAccepts = count;
    },
  };

  const liveHandles = (): LocalAgentHandle[] => handles.filter((h) => master.agents.has(h.id));

  /**
   * Templates for added agents: hostnames after the highest in use, the zone asked for (else the quietest one), a
   * rack numbered within the zone, and a block of host ports nothing listens on, as large as a first agent's.
   */
  const addedTemplates = async (request: AddAgentsRequest): Promise<AgentTemplate[]> => {
    const all = [...templates.values()];
    let number = Math.max(0, ...all.map((t) => Number(/^agent-(\d+)\./.exec(t.hostname)?.[1] ?? 0)));
    const perAgent = portCount(splitRanges(options.agentResources.ports, options.agents)[0] ?? []);
    const taken = all.flatMap((t) => t.resources.ports);
    if (request.region !== undefined && options.region === undefined)
      throw new Error(
        `agents in region ${request.region} need a master with a fault domain: start the cluster with --fault-domain`,
      );
    const region = request.region ?? options.region;
    const zonesInUse = liveHandles().map((h) => zoneOf(h) ?? "");
    const out: AgentTemplate[] = [];
    for (let k = 0; k < request.count; k++) {
      do number += 1;
      while (master.maintenance.isDown(`agent-${number}.local`));
      const zone = request.zone ?? quietestZone(options.zones, zonesInUse);
      zonesInUse.push(zone);
      const rack = `${zone}-r${zonesInUse.filter((z) => z === zone).length}`;
      const block = perAgent > 0 ? await claimedBlock(perAgent, taken) : undefined;
      if (block) taken.push(block);
      const r = request.resources;
      const resources = { ...r, disk: r.disk > 0 ? r.disk : options.agentResources.disk };
      out.push({
        hostname: `agent-${number}.local`,
        ...placedIn(zone, region, {
          rack,
          instance_type: instanceType(resources),
          ...request.attributes,
        }),
        resources: { ...resources, ports: block ? [block] : [] },
      });
    }
    return out;
  };

  /** A free block of `count` host ports, claimed first and looked at after (see `claimHostPorts`). */
  const claimedBlock = async (count: number, taken: readonly RangeJson[]): Promise<RangeJson> => {
    for (let attempt = 1; attempt <= BLOCK_CLAIM_ATTEMPTS; attempt++) {
      const block = await freePortBlock(count, taken);
      if (block === undefined) break;
      if (options.claimHostPorts?.(block, taken) ?? true) return block;
    }
    throw new Error(`no block of ${count} free host ports found`);
  };

  const admin = options.faultsEndpoint === true ? faultHandler(faults, master) : undefined;
  const instance = newInstance();
  let server: Awaited<ReturnType<typeof startMasterServer>>;
  let self: LocalCluster | undefined;
  try {
    server = await startMasterServer(master, options.port, {
      ...(admin ? { admin } : {}),
      // Bound once the cluster object exists; until then the agents are still starting.
      control: (method, body) =>
        self
          ? agentsControlHandler(self)(method, body)
          : Promise.resolve({ status: 503, body: { error: "starting" } }),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      instance,
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
  const cluster: LocalCluster = {
    url: server.url,
    port: server.port,
    instance,
    master,
    agents: liveHandles,
    faults,
    addAgents: async (request) => {
      const added: LocalAgentHandle[] = [];
      for (const template of await addedTemplates(request))
        added.push(await launchAgent(template, server.url));
      return added;
    },
    removeAgents: async (agentIds) => {
      for (const id of agentIds) {
        const agent = master.agents.get(id);
        if (!agent || agent.dead) throw new Error(`no running agent '${id}'`);
      }
      await Promise.all(agentIds.map((id) => master.unregisterAgent(id)));
    },
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
  self = cluster;
  return cluster;
}
