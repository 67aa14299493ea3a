import type { AgentRecord } from "./resources.js";

/**
 * An agent's fault domain as the attributes placement reads: `region` and `zone` (mesos.v1.DomainInfo.FaultDomain),
 * each unless the agent has an attribute of that name, which then wins. One rule for the cluster state and for
 * offers, so a plan and the deploy that carries it out see the same zones.
 */
export function withFaultDomainNames(
  attributes: Record<string, string>,
  region: string | undefined,
  zone: string | undefined,
): Record<string, string> {
  if (region !== undefined && attributes.region === undefined) attributes.region = region;
  if (zone !== undefined && attributes.zone === undefined) attributes.zone = zone;
  return attributes;
}

/**
 * Agents in another region than the master's are remote: a master offers them only to frameworks with the
 * REGION_AWARE capability (src/master/allocator/mesos/hierarchical.cpp `isRemoteSlave`), which titan's apps, one
 * cluster per region, do not have. Marked not schedulable, so a plan never puts an instance where no offer comes.
 * An unknown master region (a GET_STATE snapshot does not carry it) marks none.
 */
export function markRemoteAgents(agents: readonly AgentRecord[], masterRegion: string | undefined): void {
  if (masterRegion === undefined) return;
  for (const agent of agents) {
    if (
      !agent.schedulable ||
      agent.faultDomainRegion === undefined ||
      agent.faultDomainRegion === masterRegion
    )
      continue;
    agent.schedulable = false;
    agent.unschedulableReason = `in region ${agent.faultDomainRegion}, remote to the master's ${masterRegion} (a master offers remote agents only to REGION_AWARE frameworks)`;
  }
}
