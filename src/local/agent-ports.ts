import { TitanError } from "../cli/errors.js";
import { freePortBlock, portIsFree, portsInUse } from "./host-ports.js";
import { claimedPorts, claimPortsFirst, overlaps } from "./port-claims.js";
import { formatRanges } from "./resources.js";
import type { ClusterConfig } from "./runner.js";

const DEFAULT_MASTER_PORT = 5050;
/** Claims lost to clusters starting at the same instant before giving up: each loss waits a random while. */
const CLAIM_ATTEMPTS = 10;

/**
 * The agents' host ports. A range given with --agent-resources is used as it is, or refused when something listens
 * in it or another local cluster's agents claim it. The default range moves to a free block when something listens
 * in it, another local cluster's agents claim it, or another cluster holds 5050 (one started before clusters
 * claimed their ranges hands out the same default range). The ranges are then claimed for this process, until the
 * cluster's own process claims them (`releasePorts` gives this claim up). Returns what to tell the user when the
 * range moved.
 */
export async function agentPorts(config: ClusterConfig, explicit: boolean): Promise<string | undefined> {
  const requested = config.agentResources;
  if (requested.ports.length === 0) return undefined;
  // Picked and claimed (port-claims.ts `claimPortsFirst`) until the claim holds: a cluster started at the same
  // instant that claims the same ports first leaves this one to pick again, which then sees its claim.
  for (let attempt = 1; ; attempt++) {
    config.agentResources = requested;
    const note = await pickAgentPorts(config, explicit);
    if (claimPortsFirst(config.agentResources.ports)) return note;
    if (attempt === CLAIM_ATTEMPTS)
      throw new TitanError(
        `the agents' host ports ${formatRanges(config.agentResources.ports)} are claimed by other local clusters starting at the same time`,
        { hint: "start this one again once they are up" },
      );
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 180));
  }
}

async function pickAgentPorts(config: ClusterConfig, explicit: boolean): Promise<string | undefined> {
  const ranges = config.agentResources.ports;
  const busy = await portsInUse(ranges);
  const claimed = overlaps(ranges, claimedPorts());
  if (explicit) {
    if (claimed)
      throw new TitanError(
        `the agents' range ${formatRanges(ranges)} overlaps the host ports of another local cluster's agents`,
        {
          hint: 'give the agents another range, e.g. --agent-resources "cpus:4;mem:8192;disk:20000;ports:[21000-22000]", or leave the range out to have a free one picked',
        },
      );
    if (busy.length === 0) return undefined;
    throw new TitanError(
      `host port${busy.length === 1 ? "" : "s"} ${busy.join(", ")} of the agents' range ${formatRanges(ranges)} ${busy.length === 1 ? "is" : "are"} in use on 127.0.0.1`,
      {
        hint: 'stop what listens there, or give the agents another range, e.g. --agent-resources "cpus:4;mem:8192;disk:20000;ports:[21000-22000]"',
      },
    );
  }
  const otherCluster = config.port !== DEFAULT_MASTER_PORT && !(await portIsFree(DEFAULT_MASTER_PORT));
  if (busy.length === 0 && !otherCluster && !claimed) return undefined;
  const count = ranges.reduce((n, r) => n + r.end - r.begin + 1, 0);
  const block = await freePortBlock(count, ranges);
  if (block === undefined) {
    throw new TitanError(`no block of ${count} free host ports found for the agents`, {
      hint: 'give them a smaller range, e.g. --agent-resources "cpus:4;mem:8192;disk:20000;ports:[21000-21100]"',
    });
  }
  config.agentResources = { ...config.agentResources, ports: [block] };
  const why =
    busy.length > 0
      ? `port ${busy[0]} is in use`
      : claimed
        ? "another local cluster's agents use it"
        : `another cluster holds port ${DEFAULT_MASTER_PORT}`;
  return `agents use host ports ${formatRanges([block])} (${why}, so the default range is left to it)`;
}
