import { afterEach } from "vitest";
import { createLocalAgent } from "../../src/local/agent/agent.js";
import type { AgentResources } from "../../src/local/agent/api.js";
import { type AgentFactory, type LocalCluster, startLocalCluster } from "../../src/local/cluster.js";
import type { MasterOptions } from "../../src/local/master/master.js";
import { freePortRange } from "./ports.js";
import { tempDir } from "./tmp.js";

/** Test-side client of the local cluster's fault injection endpoint (POST /__titan_local/faults). */
export interface FaultClient {
  stopAgent(agentId: string): Promise<void>;
  restartAgent(agentId: string): Promise<string>;
  partitionAgent(agentId: string): Promise<void>;
  healAgent(agentId: string): Promise<void>;
  failoverMaster(): Promise<void>;
  dropUpdates(count: number): Promise<void>;
  duplicateUpdates(count: number): Promise<void>;
  delayUpdates(ms: number, count: number): Promise<void>;
  withholdOffers(withhold: boolean): Promise<void>;
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
  createAgent?: AgentFactory;
  master?: MasterOptions;
  /** Publish the master in ZooKeeper at this zk:// URL. */
  zk?: string;
}

const running: TestCluster[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function fault(url: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/__titan_local/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`fault ${String(body.type)} failed: ${String(answer.error)}`);
  return answer;
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
    port: 0,
    workDir,
    createAgent: options.createAgent ?? createLocalAgent,
    master: { heartbeatIntervalSeconds: 15, ...options.master },
    ...(options.zk === undefined ? {} : { zk: options.zk }),
  });
  const url = cluster.url;
  const faults: FaultClient = {
    stopAgent: async (agentId) => void (await fault(url, { type: "STOP_AGENT", agent_id: agentId })),
    restartAgent: async (agentId) =>
      String((await fault(url, { type: "RESTART_AGENT", agent_id: agentId })).agent_id),
    partitionAgent: async (agentId) =>
      void (await fault(url, { type: "PARTITION_AGENT", agent_id: agentId })),
    healAgent: async (agentId) => void (await fault(url, { type: "HEAL_AGENT", agent_id: agentId })),
    failoverMaster: async () => void (await fault(url, { type: "FAIL_OVER_MASTER" })),
    dropUpdates: async (count) => void (await fault(url, { type: "DROP_UPDATES", count })),
    duplicateUpdates: async (count) => void (await fault(url, { type: "DUPLICATE_UPDATES", count })),
    delayUpdates: async (ms, count) => void (await fault(url, { type: "DELAY_UPDATES", ms, count })),
    withholdOffers: async (withhold) => void (await fault(url, { type: "WITHHOLD_OFFERS", withhold })),
    state: async () => (await (await fetch(`${url}/__titan_local/faults`)).json()) as Record<string, unknown>,
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
