import type { AppSpec } from "../manifest/types.js";
import type { Offer } from "../mesos/types/mesos.js";
import { place } from "../placement/index.js";
import type { Placement, RunningTask } from "../placement/types.js";
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

export interface OfferDecision {
  /** What to launch on which offer, in order (several placements may share an offer). */
  placements: Array<{ offer: Offer; placement: Placement }>;
  /** Planned instances whose agent did not offer (enough) this round: they wait for it. */
  waiting: number[];
  /** Offers nothing was placed on, with whether the plan still needs their agent. */
  unused: Array<{ offer: Offer; neededByPlan: boolean }>;
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
  }
  const taken = new Set(placements.map((p) => p.offer));
  const needed = new Set(
    [...round.planned.entries()].filter(([i]) => waiting.includes(i)).map(([, a]) => a.agentId),
  );
  const unused = [...byAgent.values(), ...spare]
    .filter((o) => !taken.has(o))
    .map((offer) => ({ offer, neededByPlan: needed.has(offer.agent_id.value) }));
  return { placements, waiting: waiting.sort((a, b) => a - b), unused };
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
