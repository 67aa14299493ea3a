import type { SessionEvent } from "../mesos/session.js";
import type { TaskStatus } from "../mesos/types/mesos.js";
import type { SchedulerCall } from "./calls.js";
import { type EngineSettings, type EngineState, type Reaction, reaction } from "./engine-state.js";
import { inverseOffersUnanswered, receiveInverseOffers, rescindInverseOffer } from "./evacuation.js";
import { agentsSeen, askReturned, holding, startReconciliation, unsure } from "./reconciliation.js";
import { replan } from "./replan.js";
import { RETRY_REFUSE_SECONDS } from "./step.js";
import {
  afterUpdates,
  reconciledOnce,
  reconcileFailed,
  subscribedRound,
  unsureRound,
} from "./supervision.js";
import { decide } from "./tracked-view.js";
import { type EndedInstance, track } from "./tracking.js";

/** What the effect loop reads: the scheduler session's events, and a tick when nothing came for a while. */
export type LoopEvent = SessionEvent | { type: "TICK" };

/** Everything the engine reacts to: the loop's events and the calls that did not go through. */
export type EngineEvent =
  | LoopEvent
  | { type: "CALL_FAILED"; call: SchedulerCall }
  /** The master answered an ACCEPT: it took the launches (it carries them out after answering). */
  | { type: "ACCEPTED"; call: Extract<SchedulerCall, { kind: "accept" }> }
  /** Consecutive status updates taken at once (a burst of reconciliation answers): one reducer call for all. */
  | { type: "UPDATES"; statuses: readonly TaskStatus[] };

export interface ReactContext {
  now: number;
  settings: EngineSettings;
  /** The deploy is being stopped: offers are declined, nothing new starts. */
  stopping: boolean;
}

type Handler<E extends EngineEvent> = (state: EngineState, event: E, ctx: ReactContext) => Reaction;

/** One handler per event type; the compiler checks that every type has one. */
const handlers: { [T in EngineEvent["type"]]: Handler<Extract<EngineEvent, { type: T }>> } = {
  SUBSCRIBED: (before, event, { now, settings }) => {
    const state = { ...before, offerRounds: { ...before.offerRounds, subscribedAt: now } };
    // An earlier run may have refused offers for long (or suppressed them): the REVIVE lifts that at once.
    const link = {
      subscribed: true,
      suppressed: false,
      refusedLong: false,
      refusedAgents: new Map(),
      reconnectingUntil: undefined,
    };
    const frameworkId = event.subscribed.framework_id.value;
    if (settings.supervise !== undefined) {
      // The supervisor's reconciliation rounds send their calls from the step.
      const asked = subscribedRound({ ...state, link }, now, settings.supervise);
      return reaction(asked, { calls: [{ kind: "revive" }], frameworkId });
    }
    const started = startReconciliation(state.tracked, now);
    const next = { ...state, tracked: started.tracked, reconciliation: started.reconciliation, link };
    return reaction(next, { calls: [...started.calls, { kind: "revive" }], frameworkId });
  },
  RECONNECTING: (state, event, { now, settings }) => {
    const bound = now + settings.reconnectDeadlineMs;
    const until =
      state.link.reconnectingUntil ??
      (settings.deadline === undefined ? bound : Math.min(bound, settings.deadline));
    const link = { ...state.link, subscribed: false, reconnectingUntil: until };
    const app = state.tracked.app;
    const notice = {
      type: "reconnecting" as const,
      app,
      reason: event.reason,
      until: new Date(until).toISOString(),
    };
    return reaction({ ...state, link }, { events: [notice] });
  },
  OFFERS: (state, event, { now, stopping, settings }) => {
    const offers = event.offers.offers ?? [];
    // An agent that offers is registered: its tasks titan holds as unreachable may be gone.
    const ask = askReturned(state.tracked, new Set(offers.map((o) => o.agent_id.value)));
    const reconciling =
      settings.supervise === undefined
        ? holding(state.tracked, state.reconciliation, now)
        : !reconciledOnce(state);
    const settled = state.link.subscribed && !reconciling;
    if (settled && !stopping)
      return reaction({ ...state, offers: [...state.offers, ...offers] }, { calls: ask });
    if (offers.length === 0) return reaction(state);
    const offerIds = offers.map((o) => o.id.value);
    const decline: SchedulerCall = { kind: "decline", offerIds, refuseSeconds: RETRY_REFUSE_SECONDS };
    return reaction(state, { calls: [...ask, decline] });
  },
  RESCIND: (state, event) => {
    const id = event.rescind.offer_id.value;
    return reaction({ ...state, offers: state.offers.filter((o) => o.id.value !== id) });
  },
  UPDATE: (state, event, ctx) => updates(state, [event.update.status], ctx),
  UPDATES: (state, event, ctx) => updates(state, event.statuses, ctx),
  FAILURE: (state, event, ctx) => {
    // An agent was removed (a failure without an executor): the rest of the rollout is placed without it.
    const agentId = event.failure.agent_id?.value;
    if (agentId === undefined || event.failure.executor_id !== undefined) return reaction(state);
    const onIt = [...state.plan.planned].filter(([, agent]) => agent.agentId === agentId);
    const host = onIt[0]?.[1].hostname ?? agentId;
    const avoid = new Map([[agentId, `${host} was lost`]]);
    if (onIt.length === 0)
      return reaction({ ...state, plan: { ...state.plan, avoid: new Map([...state.plan.avoid, ...avoid]) } });
    return replanRest(state, `${host} was lost`, avoid, ctx);
  },
  CALL_FAILED: (state, { call }, { now, settings }) => {
    switch (call.kind) {
      case "accept": {
        // It may or may not have reached the master: ask before launching those instances again.
        const taskIds = call.launches.map((l) => l.tracked.taskId);
        if (settings.supervise !== undefined)
          return reaction(unsureRound(state, taskIds, now, settings.supervise));
        const tracked = track(state.tracked, { type: "unsure", taskIds }, now).tracked;
        return reaction({ ...state, tracked, reconciliation: unsure(now) });
      }
      case "kill":
        return reaction({
          ...state,
          tracked: track(state.tracked, { type: "kill_failed", taskId: call.taskId }, now).tracked,
        });
      case "revive":
        return reaction({ ...state, link: { ...state.link, refusedLong: true } });
      case "suppress":
        return reaction({ ...state, link: { ...state.link, suppressed: false } });
      case "reconcile":
        if (settings.supervise !== undefined) return reaction(reconcileFailed(state, call));
        if (!call.resendOnFailure) return reaction(state);
        return reaction({
          ...state,
          reconciliation: { ...state.reconciliation, sentAt: Number.NEGATIVE_INFINITY },
        });
      case "accept_inverse_offers":
      case "decline_inverse_offers":
        return reaction(inverseOffersUnanswered(state, call.offers));
      case "decline":
      case "acknowledge":
        // An offer whose DECLINE failed goes back to the allocator at the offer timeout or the next election.
        return reaction(state);
    }
  },
  ACCEPTED: (state, { call }, { now }) => {
    const taskIds = call.launches.map((l) => l.tracked.taskId);
    return reaction({ ...state, tracked: track(state.tracked, { type: "taken", taskIds }, now).tracked });
  },
  TICK: (state) => reaction(state),
  HEARTBEAT: (state) => reaction(state),
  INVERSE_OFFERS: (state, event, ctx) => {
    // The agents are emptied with the rollout's gates; instances planned there are placed anew.
    const received = receiveInverseOffers(state, event.inverse_offers.inverse_offers ?? [], ctx.now);
    const onThem = [...received.state.plan.planned].some(([, agent]) => received.fresh.has(agent.agentId));
    if (!onThem) return reaction(received.state, { events: received.events });
    const reason = [...received.fresh.values()].join("; ");
    const replanned = replanRest(received.state, reason, received.fresh, ctx);
    return { ...replanned, events: [...received.events, ...replanned.events] };
  },
  RESCIND_INVERSE_OFFER: (state, event) =>
    reaction(rescindInverseOffer(state, event.rescind_inverse_offer.inverse_offer_id.value)),
  UPDATE_OPERATION_STATUS: (state) => reaction(state),
  MESSAGE: (state) => reaction(state),
  // The session ends itself with the master's message.
  ERROR: (state) => reaction(state),
};

/** The engine's reducer over its whole state: one event in, the next state, calls and reports out. Pure. */
export function react(state: EngineState, event: EngineEvent, ctx: ReactContext): Reaction {
  const handler = handlers[event.type] as Handler<EngineEvent>;
  return handler(state, event, ctx);
}

/**
 * Status updates, in order, in one reducer call; each acknowledged once handled (a failed ACK is redelivered by
 * Mesos). Instances that ended on their own are placed anew; supervising, losses go to the disaster brake.
 */
function updates(state: EngineState, statuses: readonly TaskStatus[], ctx: ReactContext): Reaction {
  const event =
    statuses.length === 1 && statuses[0] !== undefined
      ? ({ type: "status", status: statuses[0] } as const)
      : ({ type: "statuses", statuses } as const);
  const result = track(state.tracked, event, ctx.now);
  let next: EngineState = { ...state, tracked: result.tracked };
  const warnings = [...result.warnings];
  const supervise = ctx.settings.supervise;
  if (supervise !== undefined) {
    const after = afterUpdates(next, state.tracked, statuses, ctx.now, supervise);
    next = after.state;
    warnings.push(...after.warnings);
  }
  const replanned = instancesEnded(next, result.ended, ctx);
  // Only updates with a uuid are acknowledged (reconciliation answers have none: scheduler.proto).
  const acknowledgements = statuses.flatMap((status): SchedulerCall[] =>
    status.uuid === undefined ? [] : [{ kind: "acknowledge", status }],
  );
  const ask = askReturned(next.tracked, agentsSeen(statuses));
  return {
    ...replanned,
    calls: [...acknowledgements, ...ask],
    events: [...result.events, ...replanned.events],
    warnings,
  };
}

/** A task of the target ended on its own: its replacement and the rest of the rollout are placed anew. */
function instancesEnded(state: EngineState, ended: readonly EndedInstance[], ctx: ReactContext): Reaction {
  if (ended.length === 0) return reaction(state);
  // Its replacement must not wait out the short refusals of offers declined meanwhile.
  const refused = { ...state, link: { ...state.link, refusedLong: true } };
  return replanRest(refused, ended.map((e) => e.reason).join("; "), new Map(), ctx);
}

function replanRest(
  state: EngineState,
  reason: string,
  avoid: ReadonlyMap<string, string>,
  ctx: ReactContext,
): Reaction {
  // Nothing planned and nothing to plan on (a supervisor, a deploy given no cluster state): offers decide.
  if (state.plan.planned.size === 0 && state.plan.cluster === undefined)
    return reaction({ ...state, plan: { ...state.plan, avoid: new Map([...state.plan.avoid, ...avoid]) } });
  const remaining = decide(state.tracked, ctx.now).pending;
  const replanned = replan(
    state.plan,
    state.tracked,
    { reason, remaining, avoid, offers: state.offers },
    ctx.settings.seed,
    ctx.now,
  );
  if (replanned.event === undefined) return reaction({ ...state, plan: replanned.plan });
  // Agents declined while the plan held must offer again.
  const link = { ...state.link, refusedLong: true };
  return reaction({ ...state, plan: replanned.plan, link }, { events: [replanned.event] });
}
