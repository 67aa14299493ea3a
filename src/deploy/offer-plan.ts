import type { AppSpec } from "../manifest/types.js";
import type { Offer } from "../mesos/types/mesos.js";
import { place } from "../placement/index.js";
import type { NearMiss, Placement, RunningTask, UnplacedGroup } from "../placement/types.js";
import { requestFor } from "../plan/requests.js";
import { offerToAgent } from "./offers.js";

/** Where the plan put an instance. */
export interface PlannedAgent {
  agentId: string;
  hostname: string;
}

export interface OfferRound {
  spec: AppSpec;
  seed: number;
  offers: readonly Offer[];
  /** Instances the rollout launches now. */
  launches: readonly number[];
  /** Instances still bound to the agent the plan showed (the others are placed on whatever is offered). */
  planned: ReadonlyMap<number, PlannedAgent>;
  /** The app's tasks that hold resources somewhere, for spread and uniqueness constraints. */
  running: readonly RunningTask[];
  /** Agents being emptied (drained, or asked back by an inverse offer): nothing new is placed there. */
  draining?: ReadonlySet<string>;
}

/** Why this round's offers could not hold some of the instances placed on them, as placement explains it. */
export interface ShortOffers {
  instances: number[];
  /** e.g. { reason: "cpus exhausted", agents: 2 }: each offered agent counted under the check that rejected it. */
  reasons: Array<{ reason: string; agents: number }>;
  nearest: NearMiss[];
}

export interface OfferDecision {
  /** What to launch on which offer, in order (several placements may share an offer). */
  placements: Array<{ offer: Offer; placement: Placement }>;
  /** Planned instances whose agent did not offer (enough) this round: they wait for it. */
  waiting: number[];
  /** Offers nothing was placed on, with whether the plan still needs their agent. */
  unused: Array<{ offer: Offer; neededByPlan: boolean }>;
  /** Present when an offer was weighed for an instance and could not hold it. */
  short?: ShortOffers;
}

/**
 * Decides one round of offers, purely: planned instances go to the agent the plan showed when it offers enough
 * (the placement engine picks the ports there, under the app's constraints), and wait for it otherwise; the rest
 * are placed by the placement engine among the offered agents the planned ones did not use this round.
 */
export function decideOffers(round: OfferRound): OfferDecision {
  const toAgent = (offer: Offer) => offerToAgent(offer, round.draining?.has(offer.agent_id.value) === true);
  const byAgent = new Map<string, Offer>();
  const spare: Offer[] = [];
  for (const offer of round.offers) {
    if (byAgent.has(offer.agent_id.value)) spare.push(offer);
    else byAgent.set(offer.agent_id.value, offer);
  }
  const placements: OfferDecision["placements"] = [];
  const waiting: number[] = [];
  const running = [...round.running];
  const pinned = new Map<string, number[]>();
  // Why instances found no room: per planned agent weighed, and over the offers weighed for the rest.
  const pinnedShort: Array<{ offer: Offer; groups: UnplacedGroup[] }> = [];
  let freeShort: UnplacedGroup[] = [];
  let weighedForFree = new Set<Offer>();
  const free: number[] = [];
  for (const instance of round.launches) {
    const agent = round.planned.get(instance);
    if (agent === undefined) free.push(instance);
    else pinned.set(agent.agentId, [...(pinned.get(agent.agentId) ?? []), instance]);
  }
  for (const [agentId, instances] of pinned) {
    const offer = byAgent.get(agentId);
    if (offer === undefined) {
      waiting.push(...instances);
      continue;
    }
    const result = place({
      agents: [toAgent(offer)],
      running,
      requests: instances.map((i) => requestFor(round.spec, i)),
      seed: round.seed,
    });
    for (const placement of result.placements) {
      placements.push({ offer, placement });
      running.push(runningOf(round.spec, placement));
    }
    waiting.push(...result.unplaced.flatMap((u) => u.instances));
    if (result.unplaced.length > 0) pinnedShort.push({ offer, groups: result.unplaced });
  }
  const used = new Set(placements.map((p) => p.offer));
  if (free.length > 0) {
    const open = [...byAgent.values()].filter((o) => !used.has(o));
    const result = place({
      agents: open.map(toAgent),
      running,
      requests: free.map((i) => requestFor(round.spec, i)),
      seed: round.seed,
    });
    for (const placement of result.placements) {
      const offer = byAgent.get(placement.agentId);
      if (offer !== undefined) placements.push({ offer, placement });
    }
    if (open.length > 0) freeShort = result.unplaced;
    weighedForFree = new Set(open);
  }
  const taken = new Set(placements.map((p) => p.offer));
  const needed = new Set(
    [...round.planned.entries()].filter(([i]) => waiting.includes(i)).map(([, a]) => a.agentId),
  );
  const unused = [...byAgent.values(), ...spare]
    .filter((o) => !taken.has(o))
    .map((offer) => ({ offer, neededByPlan: needed.has(offer.agent_id.value) }));
  // A planned agent's offer nothing was placed on was weighed again for the rest: count that agent once.
  const countedOnce = pinnedShort.filter((p) => freeShort.length === 0 || !weighedForFree.has(p.offer));
  const short = shortOffers(
    [...pinnedShort.flatMap((p) => p.groups), ...freeShort],
    [...countedOnce.flatMap((p) => p.groups), ...freeShort],
  );
  return { placements, waiting: waiting.sort((a, b) => a - b), unused, ...(short ? { short } : {}) };
}

const NEAREST = 3;

/**
 * The explanations of the round's placements merged: the instances of every group, reasons summed over the groups
 * that weighed distinct agents, closest misses first (each agent once).
 */
function shortOffers(
  groups: readonly UnplacedGroup[],
  distinct: readonly UnplacedGroup[],
): ShortOffers | undefined {
  if (groups.length === 0) return undefined;
  const reasons = new Map<string, number>();
  for (const group of distinct)
    for (const { reason, agents } of group.reasons)
      if (agents > 0) reasons.set(reason, (reasons.get(reason) ?? 0) + agents);
  const nearest = new Map<string, NearMiss>();
  for (const near of groups.flatMap((g) => g.nearest))
    if (!nearest.has(near.agentId)) nearest.set(near.agentId, near);
  return {
    instances: groups.flatMap((g) => g.instances).sort((a, b) => a - b),
    reasons: [...reasons]
      .map(([reason, agents]) => ({ reason, agents }))
      .sort((a, b) => b.agents - a.agents || (a.reason < b.reason ? -1 : 1)),
    nearest: [...nearest.values()].slice(0, NEAREST),
  };
}

function runningOf(spec: AppSpec, placement: Placement): RunningTask {
  return {
    app: spec.name,
    agentId: placement.agentId,
    instance: placement.instance,
    demand: spec.resources,
    portCount: spec.ports.length,
  };
}
