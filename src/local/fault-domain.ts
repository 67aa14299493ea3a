/** An agent's (or the master's) fault domain, as `--domain` gives it to a real one (mesos.v1.DomainInfo). */
export interface FaultDomain {
  region: string;
  zone: string;
}

/** A fault domain as mesos.v1.DomainInfo in JSON: the same in offers, v1 calls and the legacy endpoints. */
export function domainJson(domain: FaultDomain): {
  fault_domain: { region: { name: string }; zone: { name: string } };
} {
  return { fault_domain: { region: { name: domain.region }, zone: { name: domain.zone } } };
}

/** The agent's zone: its fault domain's, else its `zone` attribute. */
export function zoneOf(agent: {
  readonly attributes: Readonly<Record<string, string>>;
  readonly domain?: FaultDomain;
}): string | undefined {
  return agent.domain?.zone ?? agent.attributes.zone;
}
