import { afterEach } from "vitest";
import { createLocalAgent } from "../../src/local/agent/agent.js";
import type { AgentResources } from "../../src/local/agent/api.js";
import { type AgentFactory, type LocalCluster, startLocalCluster } from "../../src/local/cluster.js";
import type { HttpCredentials } from "../../src/local/http-guard.js";
import type { MasterOptions } from "../../src/local/master/master.js";
import { freePortRange } from "./ports.js";
import { tempDir } from "./tmp.js";

/** Test-side client of the local cluster's fault injection endpoint (POST /__titan_local/faults). */
export interface FaultClient {
  stopAgent(agentId: string): Promise<void>;
  restartAgent(agentId: string): Promise<string>;
  partitionAgent(agentId: string): Promise<void>;
  healAgent(agentId: string): Promise<void>;
  /** A new master is elected; agents re-register after `reregisterDelayMs` (default 0). */
  failoverMaster(reregisterDelayMs?: number): Promise<void>;
  dropUpdates(count: number): Promise<void>;
  duplicateUpdates(count: number): Promise<void>;
  delayUpdates(ms: number, count: number): Promise<void>;
  withholdOffers(withhold: boolean): Promise<void>;
  /**
   * The next `count` ACCEPT calls are held unanswered and dropped when their caller goes away; 0 holds no more
   * and applies those still held.
   */
  holdAccepts(count: number): Promise<void>;
  /** The next `count` ACCEPT calls are answered 202 and then lost (no task, no update), their offers given back. */
  loseAccepts(count: number): Promise<void>;
  state(): Promise<Record<string, unknown>>;
}

export interface TestCluster {
  url: string;
  faults: FaultClient;
  cluster: LocalCluster;
  workDir: string;
  agentIds(): string[];
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  agents?: number;
  agentResources?: AgentResources;
  zones?: string[];
  /** Fault domains in this region (zones in the domains, not as attributes), as masters and agents with --domain. */
  region?: string;
  createAgent?: AgentFactory;
  master?: MasterOptions;
  /** Publish the master in ZooKeeper at this zk:// URL. */
  zk?: string;
  /** Run the master and agents with HTTP Basic authentication; the fault endpoint then needs it too. */
  credentials?: HttpCredentials;
}

const running: TestCluster[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function authHeaders(credentials: HttpCredentials | undefined): Record<string, string> {
  if (credentials === undefined) return {};
  const token = Buffer.from(`${credentials.principal}:${credentials.secret}`).toString("base64");
  return { Authorization: `Basic ${token}` };
}

async function fault(
  url: string,
  body: Record<string, unknown>,
  credentials?: HttpCredentials,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/__titan_local/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders(credentials) },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`fault ${String(body.type)} failed: ${String(answer.error)}`);
  return answer;
}

/** Agents that each have a GPU and room for a few small tasks: a cluster where nothing but GPU agents has room. */
export async function gpuAgentResources(): Promise<AgentResources> {
  return { cpus: 2, mem: 2048, disk: 1000, gpus: 1, ports: [await freePortRange(300)] };
}

/** Starts a local cluster on a free port in a temp dir; it is stopped after the current test, pass or fail. */

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const workDir = tempDir("titan-local-");
  const cluster = await startLocalCluster({
    agents: options.agents ?? 3,
    agentResources: options.agentResources ?? {
      cpus: 4,
      mem: 8192,
      disk: 20000,
      ports: [await freePortRange(300)],
    },
    zones: options.zones ?? ["a", "b", "c"],
    ...(options.region === undefined ? {} : { region: options.region }),
    port: 0,
    workDir,
    createAgent: options.createAgent ?? createLocalAgent,
    master: { heartbeatIntervalSeconds: 15, ...options.master },
    ...(options.zk === undefined ? {} : { zk: options.zk }),
    faultsEndpoint: true,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const url = cluster.url;
  const send = (body: Record<string, unknown>) => fault(url, body, options.credentials);
  const faults: FaultClient = {
    stopAgent: async (agentId) => void (await send({ type: "STOP_AGENT", agent_id: agentId })),
    restartAgent: async (agentId) =>
      String((await send({ type: "RESTART_AGENT", agent_id: agentId })).agent_id),
    partitionAgent: async (agentId) => void (await send({ type: "PARTITION_AGENT", agent_id: agentId })),
    healAgent: async (agentId) => void (await send({ type: "HEAL_AGENT", agent_id: agentId })),
    failoverMaster: async (reregisterDelayMs = 0) =>
      void (await send({ type: "FAIL_OVER_MASTER", reregister_delay_ms: reregisterDelayMs })),
    dropUpdates: async (count) => void (await send({ type: "DROP_UPDATES", count })),
    duplicateUpdates: async (count) => void (await send({ type: "DUPLICATE_UPDATES", count })),
    delayUpdates: async (ms, count) => void (await send({ type: "DELAY_UPDATES", ms, count })),
    withholdOffers: async (withhold) => void (await send({ type: "WITHHOLD_OFFERS", withhold })),
    holdAccepts: async (count) => void (await send({ type: "HOLD_ACCEPTS", count })),
    loseAccepts: async (count) => void (await send({ type: "LOSE_ACCEPTS", count })),
    state: async () =>
      (await (
        await fetch(`${url}/__titan_local/faults`, { headers: authHeaders(options.credentials) })
      ).json()) as Record<string, unknown>,
  };
  const test: TestCluster = {
    url,
    faults,
    cluster,
    workDir,
    agentIds: () => cluster.agents().map((a) => a.id),
    stop: () => cluster.stop(),
  };
  running.push(test);
  return test;
}

/** One agent in zone a with 2 cpus, 1 GiB, 100 MB of disk and ten free ports, and what `more` adds or replaces. */
export async function startOneAgentCluster(more: Partial<AgentResources> = {}): Promise<TestCluster> {
  return startTestCluster({
    agents: 1,
    zones: ["a"],
    agentResources: { cpus: 2, mem: 1024, disk: 100, ports: [await freePortRange(10)], ...more },
  });
}
