import type { MasterCluster } from "./leader.js";
import type { GetAgentsAgent } from "./types/operator.js";

/**
 * Where titan reaches an agent. The address in the agent's libprocess pid (`slave(1)@10.0.0.13:5051`) is the
 * one the master itself talks to, so it is preferred; `agent_info.hostname` may be a name only the cluster's
 * DNS knows (or an arbitrary `--hostname`). The scheme follows the masters' (TLS is cluster-wide in Mesos).
 */
export function agentBaseUrl(agent: GetAgentsAgent, scheme: "http:" | "https:" = "http:"): URL {
  const match = /@(.+):(\d+)$/.exec(agent.pid ?? "");
  if (match?.[1] !== undefined && match[2] !== undefined) {
    const host = match[1].includes(":") && !match[1].startsWith("[") ? `[${match[1]}]` : match[1];
    return new URL(`${scheme}//${host}:${match[2]}`);
  }
  return new URL(`${scheme}//${agent.agent_info.hostname}:${agent.agent_info.port ?? 5051}`);
}

/**
 * An agent of the cluster, reached as its masters are (the same scheme) and trusted with the same credentials: the
 * agent's API answers the operator's principal.
 */
export function clusterAgentUrl(cluster: MasterCluster, agent: GetAgentsAgent): URL {
  const url = agentBaseUrl(agent, cluster.knownLeader?.protocol === "https:" ? "https:" : "http:");
  cluster.transport.trustOrigin(url.origin);
  return url;
}
