import { withFaultDomainNames } from "../cluster/fault-domain.js";
import { normaliseRanges } from "../cluster/ranges.js";
import { isPlainResource } from "../mesos/plain-resource.js";
import type { Attribute, Offer } from "../mesos/types/mesos.js";
import type { Agent, PortRange, Scalars } from "../placement/types.js";

function attributeText(attribute: Attribute): string | undefined {
  if (attribute.text !== undefined) return attribute.text.value;
  if (attribute.scalar !== undefined) return String(attribute.scalar.value);
  if (attribute.ranges !== undefined)
    return (attribute.ranges.range ?? []).map((r) => `[${r.begin}-${r.end}]`).join(",");
  if (attribute.set !== undefined) return `{${(attribute.set.item ?? []).join(",")}}`;
  return undefined;
}

/**
 * An offer as the placement engine sees an agent: what the offer lends is what is free. An agent being drained
 * (`draining`) or scheduled for maintenance (the offer carries an `unavailability`) takes no new instances.
 */
export function offerToAgent(offer: Offer, draining = false): Agent {
  const free: Scalars = { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  const ports: PortRange[] = [];
  for (const resource of offer.resources ?? []) {
    if (!isPlainResource(resource)) continue;
    if (resource.type === "SCALAR" && resource.name in free) {
      const name = resource.name as keyof Scalars;
      free[name] = Math.round((free[name] + Number(resource.scalar?.value ?? 0)) * 1000) / 1000;
    }
    if (resource.name === "ports" && resource.type === "RANGES")
      for (const r of resource.ranges?.range ?? [])
        ports.push({ begin: Number(r.begin), end: Number(r.end) });
  }
  const attributes: Record<string, string> = {};
  for (const attribute of offer.attributes ?? []) {
    const text = attributeText(attribute);
    if (text !== undefined) attributes[attribute.name] = text;
  }
  // An agent's zone may be its fault domain rather than an attribute: the plan read it from the state the same way.
  const faultDomain = offer.domain?.fault_domain;
  withFaultDomainNames(attributes, faultDomain?.region?.name, faultDomain?.zone?.name);
  return {
    id: offer.agent_id.value,
    hostname: offer.hostname,
    attributes,
    total: { ...free },
    free,
    freePorts: normaliseRanges(ports),
    ...(draining || offer.unavailability !== undefined ? { draining: true } : {}),
  };
}
