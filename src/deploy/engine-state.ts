import type { Offer } from "../mesos/types/mesos.js";
import type { Release } from "../state/types.js";
import type { SchedulerCall } from "./calls.js";
import type { PendingInverseOffer } from "./evacuation.js";
import type { DeployEvent } from "./events.js";
import type { FailureCause } from "./failure.js";
import type { ShortOffers } from "./offer-plan.js";
import { NO_RECONCILIATION, type Reconciliation } from "./reconciliation.js";
import type { DeployPlan } from "./replan.js";
import type { SuperviseSettings, Supervision } from "./supervision.js";
import type { Containerizer } from "./task-spec.js";
import type { TrackedInstances } from "./tracking.js";

/** The scheduler session as the engine sees it. */
export interface Link {
  readonly subscribed: boolean;
  readonly suppressed: boolean;
  /**
   * Offers of any agent may have been refused for long since the last REVIVE: a launch needs a REVIVE to see
   * them again.
   */
  readonly refusedLong: boolean;
  /**
   * Agents whose offers were declined because the plan did not need them or nothing was to launch at the time,
   * with when each filter ends: a REVIVE is sent only when a launch may go to one of them while its filter holds
   * (planned there, or placed on whatever is offered), never just because launches wait for other agents. A
   * REVIVE makes every agent offer again, so reviving for nothing would decline and revive in a loop.
   */
  readonly refusedAgents: ReadonlyMap<string, number>;
  /** While re-subscribing after the connection to the master was lost: when the deploy gives up. */
  readonly reconnectingUntil: number | undefined;
}

/** Everything the engine knows of one app, as one immutable value. */
export interface EngineState {
  readonly tracked: TrackedInstances;
  readonly plan: DeployPlan;
  readonly link: Link;
  readonly reconciliation: Reconciliation;
  /** Offers received and not answered yet: the next step accepts or declines every one of them. */
  readonly offers: readonly Offer[];
  /** When offers last came while launches were wanted, and why the last ones weighed could not hold them all. */
  readonly offerRounds: OfferRounds;
  /** Set once the target failed its gates and the deploy rolls back to an earlier release. */
  readonly rollingBack:
    | { readonly from: Release; readonly reason: string; readonly cause: FailureCause }
    | undefined;
  /** The master's inverse offers not answered yet, by id: each is accepted once the app left its agent. */
  readonly inverseOffers: ReadonlyMap<string, PendingInverseOffer>;
  /** Present when the engine supervises the app (`titan supervise`) instead of deploying a release. */
  readonly supervision: Supervision | undefined;
}

/** What the deploy learnt of offers while it had instances to launch, for saying why they wait. */
export interface OfferRounds {
  readonly lastAt: number | undefined;
  /** When the session last subscribed (and revived): offers are due from then on. */
  readonly subscribedAt?: number;
  /** The last offers that could not hold some instance; cleared once an offer round launches everything asked. */
  readonly short: (ShortOffers & { readonly at: number }) | undefined;
}

/** What stays the same for a whole deploy (or supervision) of one app. */
export interface EngineSettings {
  seed: number;
  region: string | null;
  /** How the cluster's agents run images; `mesos` when absent. */
  containerizer?: Containerizer;
  autoRollback: boolean;
  /** How long the session tries to re-subscribe before it gives up. */
  reconnectDeadlineMs: number;
  /** Absolute time (ms) after which the deploy gives up (`--timeout`). */
  deadline?: number;
  /** Present when the engine supervises the app: it keeps its count and never finishes. */
  supervise?: SuperviseSettings;
}

/** What an event or a step leads to: the next state, the calls to send and what to report. */
export interface Reaction {
  state: EngineState;
  calls: SchedulerCall[];
  events: DeployEvent[];
  warnings: string[];
  /** A framework id to keep in the state store (after SUBSCRIBED). */
  frameworkId?: string;
}

export function initialState(tracked: TrackedInstances, plan: DeployPlan): EngineState {
  return {
    tracked,
    plan,
    link: {
      subscribed: false,
      suppressed: false,
      refusedLong: false,
      refusedAgents: new Map(),
      reconnectingUntil: undefined,
    },
    reconciliation: NO_RECONCILIATION,
    offers: [],
    offerRounds: { lastAt: undefined, short: undefined },
    rollingBack: undefined,
    inverseOffers: new Map(),
    supervision: undefined,
  };
}

export function reaction(state: EngineState, partial: Partial<Omit<Reaction, "state">> = {}): Reaction {
  return { state, calls: [], events: [], warnings: [], ...partial };
}
