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
