import type { InverseOffer } from "../mesos/types/mesos.js";
import type { SchedulerCall } from "./calls.js";
import type { EngineState } from "./engine-state.js";
import type { DeployEvent } from "./events.js";
import { holdsTasksOn } from "./tracked-view.js";
import { track } from "./tracking.js";

/**
 * The pure part of maintenance for one app's framework: the agents it must empty (drained, or asked back by the
 * master's inverse offers ahead of a maintenance window) and the inverse offers still to answer. The rollout moves
 * the app's instances off those agents with its health gates (a task there counts as one of an older release, see
 * tracked-view.ts), and each inverse offer is accepted once the app holds nothing on its agent, as the Mesos
 * maintenance guide asks ("frameworks should aim to gracefully terminate tasks prior to the arrival of the
 * interval").
 */
export interface PendingInverseOffer {
  readonly id: string;
  readonly agentId: string;
  /** The agent's hostname, from the inverse offer's url. */
  readonly host: string;
  readonly startMs: number;
}

export interface Evacuating {
  state: EngineState;
  events: DeployEvent[];
  /** Agents newly to be emptied or kept free, with why: the rest of the rollout is placed without them. */
  fresh: ReadonlyMap<string, string>;
}

/**
 * Agents to empty from the start of a deploy (`titan drain`, machines scheduled for maintenance): tracked as
 * leaving, avoided by re-planning, and said for each agent where the app runs now.
 */
export function evacuating(state: EngineState, agentIds: readonly string[], now: number): Evacuating {
  const fresh = new Map<string, string>();
  const events: DeployEvent[] = [];
  for (const agentId of new Set(agentIds)) {
    const host = [...state.tracked.tasks.values()].find((t) => t.agentId === agentId && t.host !== "")?.host;
    fresh.set(agentId, `${host ?? agentId} is being drained`);
    if (host !== undefined) events.push({ type: "evacuate", app: state.tracked.app, agent: host });
  }
  return { state: leave(state, fresh, [...fresh.keys()], now), events, fresh };
}

/**
 * Inverse offers arrived, and each waits for its answer. Nothing new is placed on their agents any more; the app's
 * instances there are moved off (`evacuate`). A master sends one to every framework with resources on the agent,
 * an offer included: an agent where the app runs nothing has nothing to move or say, and its inverse offer is
 * accepted at the next step.
 */
export function receiveInverseOffers(
  state: EngineState,
  offers: readonly InverseOffer[],
  now: number,
): Evacuating {
  const pending = new Map(state.inverseOffers);
  const fresh = new Map<string, string>();
  const emptied: string[] = [];
  const events: DeployEvent[] = [];
  for (const offer of offers) {
    const agentId = offer.agent_id?.value;
    // An inverse offer without an agent asks for every resource of the framework; maintenance never sends one.
    if (agentId === undefined) continue;
    const startMs = Number(offer.unavailability.start.nanoseconds) / 1e6;
    const host = offer.url?.address?.hostname ?? agentId;
    const inverse = { id: offer.id.value, agentId, host, startMs };
    pending.set(inverse.id, inverse);
    if (fresh.has(agentId)) continue;
    const holds = holdsTasksOn(state.tracked, agentId);
    if (holds ? state.tracked.leaving.has(agentId) : state.plan.avoid.has(agentId)) continue;
    fresh.set(agentId, `${host} is scheduled for maintenance`);
    if (!holds) continue;
    emptied.push(agentId);
    events.push(evacuateEvent(state.tracked.app, inverse));
  }
  return { state: leave({ ...state, inverseOffers: pending }, fresh, emptied, now), events, fresh };
}

function evacuateEvent(app: string, offer: PendingInverseOffer): DeployEvent {
  const until = Number.isFinite(offer.startMs) ? new Date(offer.startMs).toISOString() : undefined;
  return { type: "evacuate", app, agent: offer.host, ...(until === undefined ? {} : { until }) };
}

/** The master took an inverse offer back (timeout, the window changed): nothing to answer. */
export function rescindInverseOffer(state: EngineState, inverseOfferId: string): EngineState {
  if (!state.inverseOffers.has(inverseOfferId)) return state;
  return {
    ...state,
    inverseOffers: new Map([...state.inverseOffers].filter(([id]) => id !== inverseOfferId)),
  };
}

/**
 * The inverse offers whose agents the app has left (or never ran on) are accepted: one call, and an event for each
 * agent it left. An agent the app turned out to run on after all (a task reconciliation found there since) is
 * emptied from now on.
 */
export function answerInverseOffers(
  given: EngineState,
  now: number,
): {
  state: EngineState;
  calls: SchedulerCall[];
  events: DeployEvent[];
} {
  if (given.inverseOffers.size === 0) return { state: given, calls: [], events: [] };
  const pending = [...given.inverseOffers.values()];
  const found = pending.filter(
    (o, i) =>
      holdsTasksOn(given.tracked, o.agentId) &&
      !given.tracked.leaving.has(o.agentId) &&
      pending.findIndex((p) => p.agentId === o.agentId) === i,
  );
  const app = given.tracked.app;
  const events = found.map((o) => evacuateEvent(app, o));
  const state = leave(
    given,
    new Map(found.map((o) => [o.agentId, `${o.host} is scheduled for maintenance`])),
    found.map((o) => o.agentId),
    now,
  );
  const ready = pending.filter((o) => !holdsTasksOn(state.tracked, o.agentId));
  if (ready.length === 0) return { state, calls: [], events };
  const answered = new Set(ready.map((o) => o.id));
  const inverseOffers = new Map([...state.inverseOffers].filter(([id]) => !answered.has(id)));
  const left = ready.filter((o) => state.tracked.leaving.has(o.agentId));
  return {
    state: { ...state, inverseOffers },
    calls: [{ kind: "accept_inverse_offers", offers: ready }],
    events: [
      ...events,
      ...left.map((o) => ({ type: "inverse_offer", app, agent: o.host, answer: "ACCEPT" }) as const),
    ],
  };
}

/**
 * Inverse offers the app cannot meet, declined: an advisory notice to the operator, as the Mesos maintenance guide
 * has it, that the app is unlikely to leave their agents before the window. The master asks again once
 * `refuseSeconds` have passed (or at the framework's next REVIVE), and they are answered anew then.
 */
export function declineInverseOffers(
  state: EngineState,
  offers: readonly PendingInverseOffer[],
  refuseSeconds: number,
): { state: EngineState; calls: SchedulerCall[]; events: DeployEvent[] } {
  if (offers.length === 0) return { state, calls: [], events: [] };
  const declined = new Set(offers.map((o) => o.id));
  const inverseOffers = new Map([...state.inverseOffers].filter(([id]) => !declined.has(id)));
  const app = state.tracked.app;
  return {
    state: { ...state, inverseOffers },
    calls: [{ kind: "decline_inverse_offers", offers, refuseSeconds }],
    events: offers.map((o) => ({ type: "inverse_offer", app, agent: o.host, answer: "DECLINE" }) as const),
  };
}

/** An answer that did not go out: its inverse offers are answered again on a later step. */
export function inverseOffersUnanswered(
  state: EngineState,
  offers: readonly PendingInverseOffer[],
): EngineState {
  const inverseOffers = new Map(state.inverseOffers);
  for (const offer of offers) inverseOffers.set(offer.id, offer);
  return { ...state, inverseOffers };
}

/** Agents nothing new is placed on (`avoid`, with why), and of them those the app's instances leave. */
function leave(
  state: EngineState,
  avoid: ReadonlyMap<string, string>,
  leaving: readonly string[],
  now: number,
): EngineState {
  if (avoid.size === 0) return state;
  const tracked =
    leaving.length === 0
      ? state.tracked
      : track(state.tracked, { type: "leave", agentIds: leaving }, now).tracked;
  return { ...state, tracked, plan: { ...state.plan, avoid: new Map([...state.plan.avoid, ...avoid]) } };
}
