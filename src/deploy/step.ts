import { formatDuration } from "../manifest/index.js";
import type { Offer } from "../mesos/types/mesos.js";
import type { Release } from "../state/types.js";
import type { SchedulerCall } from "./calls.js";
import { carveLaunches } from "./carve.js";
import type { EngineSettings, EngineState, Reaction } from "./engine-state.js";
import { answerInverseOffers } from "./evacuation.js";
import type { Failure } from "./failure.js";
import { decideOffers } from "./offer-plan.js";
import { confirmLaunches, endHold, holding, retryReconciliation } from "./reconciliation.js";
import { autoRollbackTarget, releaseBefore } from "./releases.js";
import { replanOverdue } from "./replan.js";
import type { RolloutDecision } from "./rollout.js";
import {
  acting,
  brakeCheck,
  declineUnmeetable,
  reconcileDue,
  reconciledOnce,
  type SuperviseSettings,
  superviseDecision,
} from "./supervision.js";
import { deadlineFailure, decide, killCall, stayingTasks, waitsOnlyForKills } from "./tracked-view.js";
import { nextIncarnation, type Tracked, track } from "./tracking.js";
import { unplacedByOffers } from "./waiting.js";

/** How a deploy ends, as the step sees it; a rollback is a new target the loop resolves (its env) and goes on with. */
export type Finish =
  | { kind: "done" }
  | ({ kind: "failed"; release: number } & Failure)
  | ({ kind: "rollback"; to: Release } & Failure);

export interface StepResult extends Reaction {
  finish?: Finish;
  /** Instances the step would launch now that no offer held; absent when it decided on no launch. */
  unlaunched?: readonly number[];
}

export const NOTHING_WANTED_REFUSE_SECONDS = 120;
export const RETRY_REFUSE_SECONDS = 2;
/** Offers of agents the plan does not need while it waits for its own agents. */
export const NOT_PLANNED_REFUSE_SECONDS = 30;
/**
 * How long past its grace period a KILL may go unanswered before it is sent again. Mesos does not promise to
 * deliver a KILL (an agent that is disconnected or fails over drops it); Marathon's kill_retry_timeout is 10 s too.
 */
export const KILL_RETRY_MS = 10_000;

type Out = Omit<StepResult, "state" | "finish">;

/**
 * The step function: from what the engine knows (the plan, the tracked instances, the outstanding offers) and the
 * time, the calls to send now and the next state (a changed plan when reality diverged from it). Pure: it sends
 * nothing and reads no clock; the effect loop runs it after every event while subscribed.
 *
 * In order: reconciliation (hold still for the master's answers, bounded), progress and deadlines (which end the
 * release or roll it back), then the rollout's kills and launches (launches go to the plan's agents, or are placed
 * among the offers; unused offers are declined with a filter), then SUPPRESS or REVIVE. Supervising
 * (`settings.supervise`), the first two are the supervisor's: periodic reconciliation rounds and the disaster
 * brake instead of deadlines, and its decision instead of the rollout's.
 */
export function step(state: EngineState, now: number, settings: EngineSettings): StepResult {
  const out: Out = { calls: [], events: [], warnings: [] };
  const gate =
    settings.supervise === undefined
      ? deployGate(state, now, settings, out)
      : superviseGate(state, now, settings.supervise, out);
  if (gate.kind === "result") return gate.result;
  const { decision } = gate;
  let next = gate.state;
  const launches = decision.actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : []));
  const replanned = replanOverdue(
    next.plan,
    next.tracked,
    launches,
    decision.pending,
    next.offers,
    settings.seed,
    now,
  );
  if (replanned.plan !== next.plan) next = { ...next, plan: replanned.plan };
  if (replanned.event !== undefined) {
    out.events.push(replanned.event);
    // Agents declined while the plan held must offer again.
    next = { ...next, link: { ...next.link, refusedLong: true } };
  }
  next = kill(next, decision, now, out);
  next = retryKills(next, now, out);
  const round = offerRound(next, launches, decision.pending.length === 0, now, settings, out);
  next = reviveOrSuppress(round.state, round.unlaunched, decision.pending.length === 0, now, out);
  return { state: next, ...out, unlaunched: round.unlaunched };
}

/** Either the step ends here (a hold, the release's end), or the rollout's decision is carried out. */
type Gate =
  | { kind: "result"; result: StepResult }
  | { kind: "decided"; state: EngineState; decision: RolloutDecision };

/** A deploy: reconciliation holds, then progress and deadlines end the release or roll it back. */
function deployGate(state: EngineState, now: number, settings: EngineSettings, out: Out): Gate {
  let next = settle(state, now, out);
  if (holding(next.tracked, next.reconciliation, now))
    return { kind: "result", result: declineAll(next, RETRY_REFUSE_SECONDS, out) };
  next = { ...next, tracked: track(next.tracked, { type: "progress" }, now).tracked };
  next = answerMaintenance(next, now, out);
  const failure = gateFailure(next, now);
  if (failure !== undefined) {
    const tracked = track(next.tracked, { type: "failure_taken" }, now).tracked;
    const declined = declineAll({ ...next, tracked }, RETRY_REFUSE_SECONDS, out);
    return { kind: "result", result: { ...declined, finish: failed(next, failure, settings.autoRollback) } };
  }
  const decision = decide(next.tracked, now);
  // Waiting for the disruption budget is the app's policy, not the release failing to progress.
  if (decision.heldForBudget.length > 0)
    next = { ...next, tracked: track(next.tracked, { type: "budget_wait" }, now).tracked };
  else if (waitsOnlyForKills(next.tracked, decision, now))
    next = { ...next, tracked: track(next.tracked, { type: "kills_wait" }, now).tracked };
  if (decision.done) {
    const declined = declineAll(next, NOTHING_WANTED_REFUSE_SECONDS, out);
    return { kind: "result", result: { ...declined, finish: { kind: "done" } } };
  }
  return { kind: "decided", state: next, decision };
}

/**
 * Why the release failed its gates, if it did. A stop (a release of no instances) has none: it brings nothing up,
 * so it neither fails nor rolls back, starting again what it was asked to stop; it ends once its kills are
 * answered (each bounded by kill_grace, and sent again when unanswered), or at --timeout.
 */
function gateFailure(state: EngineState, now: number): Failure | undefined {
  if (state.tracked.desired === 0) return undefined;
  const fatal = state.tracked.fatal;
  // Only launches end a deploy this way: refused by the master, or failed by the agent the same way each time.
  return fatal === undefined ? outOfTime(state, now) : { reason: fatal, cause: "launch_failed" };
}

/** A deadline the release missed, with why instances still waiting for an offer found none. */
function outOfTime(state: EngineState, now: number): Failure | undefined {
  const failure = deadlineFailure(state.tracked, now);
  if (failure === undefined) return undefined;
  const unplaced = unplacedByOffers(state, now);
  return unplaced === undefined ? failure : { reason: `${failure.reason}; ${unplaced}`, cause: "no_room" };
}

/**
 * Supervision: reconciliation rounds (periodic), then, once the first round completed and while the disaster
 * brake does not hold, the supervisor's decision. It never finishes.
 */
function superviseGate(state: EngineState, now: number, settings: SuperviseSettings, out: Out): Gate {
  const due = reconcileDue(state, now, settings);
  out.calls.push(...due.calls);
  let next = due.state;
  if (!reconciledOnce(next)) return { kind: "result", result: declineIdle(next, out) };
  next = answerMaintenance(next, now, out);
  const declined = declineUnmeetable(next, now);
  out.calls.push(...declined.calls);
  out.events.push(...declined.events);
  next = brakeCheck(declined.state, now, settings);
  if (!acting(next)) return { kind: "result", result: declineIdle(next, out) };
  return { kind: "decided", state: next, decision: superviseDecision(next, now, settings) };
}

/** Nothing is to launch for now: offers are declined for long, and a later launch revives. */
function declineIdle(state: EngineState, out: Out): StepResult {
  if (state.offers.length === 0) return { state, ...out };
  const declined = declineAll(state, NOTHING_WANTED_REFUSE_SECONDS, out);
  return { ...declined, state: { ...declined.state, link: { ...declined.state.link, refusedLong: true } } };
}

/**
 * Reconciliation asked again when due, and about launches the master took that nothing was heard of since; when a
 * hold ends, whether every task was answered.
 */
function settle(state: EngineState, now: number, out: Out): EngineState {
  const confirm = confirmLaunches(state.tracked, state.reconciliation, now);
  const retry = retryReconciliation(confirm.tracked, confirm.reconciliation, now);
  out.calls.push(...retry.calls);
  let next: EngineState = { ...state, tracked: confirm.tracked, reconciliation: retry.reconciliation };
  if (holding(next.tracked, next.reconciliation, now)) return next;
  const hold = endHold(next.tracked, next.reconciliation);
  next = { ...next, reconciliation: hold.reconciliation };
  // Nothing could be launched while reconciling: that wait does not eat the progress deadline.
  if (hold.ended === "answered")
    next = { ...next, tracked: track(next.tracked, { type: "reconciled" }, now).tracked };
  else if (hold.ended !== undefined) out.warnings.push(hold.ended);
  return next;
}

/** Inverse offers whose agents the app has left are accepted. */
function answerMaintenance(state: EngineState, now: number, out: Out): EngineState {
  const answered = answerInverseOffers(state, now);
  out.calls.push(...answered.calls);
  out.events.push(...answered.events);
  return answered.state;
}

/** The release failed its gates: roll back to the last healthy release when allowed (`autoRollback`), else fail. */
function failed(state: EngineState, failure: Failure, autoRollback: boolean): Finish {
  const { reason, cause } = failure;
  const target = state.tracked.target.release;
  if (state.rollingBack !== undefined) {
    const why = `the rollback to release ${target.number} failed too: ${reason}`;
    return { kind: "failed", release: state.rollingBack.from.number, reason: why, cause };
  }
  const releases = state.tracked.releases;
  const previous = autoRollback ? autoRollbackTarget(releases, target) : undefined;
  if (previous !== undefined) return { kind: "rollback", to: previous, reason, cause };
  const before = releaseBefore(releases, target);
  const why = !autoRollback
    ? reason
    : before === undefined
      ? `${reason}; there is no earlier healthy release to roll back to`
      : `${reason}; release ${before.number} before it runs the same spec, so there is nothing to roll back to`;
  return { kind: "failed", release: target.number, reason: why, cause };
}

function kill(state: EngineState, decision: RolloutDecision, now: number, out: Out): EngineState {
  let tracked = state.tracked;
  for (const action of decision.actions) {
    if (action.kind !== "kill") continue;
    const task = tracked.tasks.get(action.taskId);
    if (task === undefined) continue;
    // Charged once per task: a KILL an earlier run sent (and charged) is sent again free.
    const disruption =
      action.reason === "replaced" && task.state === "TASK_RUNNING" && task.disruptedAt === undefined;
    tracked = track(tracked, { type: "kill_sent", taskId: task.taskId, disruption }, now).tracked;
    out.events.push({
      type: "killing",
      app: tracked.app,
      task: task.taskId,
      instance: task.instance,
      reason: action.reason,
    });
    out.calls.push(killCall(tracked, task));
  }
  return tracked === state.tracked ? state : { ...state, tracked };
}

/** KILLs still unanswered past the task's grace period and KILL_RETRY_MS are sent again. */
function retryKills(state: EngineState, now: number, out: Out): EngineState {
  let tracked = state.tracked;
  for (const task of state.tracked.tasks.values()) {
    if (!task.killSent || task.state === "LAUNCHING") continue;
    const call = killCall(tracked, task);
    if (now - (task.killSentAt ?? task.since) < call.gracePeriodMs + KILL_RETRY_MS) continue;
    tracked = track(tracked, { type: "kill_sent", taskId: task.taskId }, now).tracked;
    out.calls.push(call);
    // Reported, not a failure: the rollout waits for the task's end however long its agent takes to tell it.
    out.warnings.push(
      `${tracked.app}[${task.instance}] ${task.taskId} did not end within kill_grace ${formatDuration(call.gracePeriodMs)} and ${formatDuration(KILL_RETRY_MS)} more: KILL sent again`,
    );
  }
  return tracked === state.tracked ? state : { ...state, tracked };
}

/**
 * Every outstanding offer answered: the rollout's launches placed (planned instances on their agent's offer, the
 * rest by the placement engine among the offers) and carved into one ACCEPT per offer; the rest declined, for
 * long when nothing is wanted or while the plan waits for other agents, briefly otherwise.
 */
function offerRound(
  given: EngineState,
  launches: readonly number[],
  idle: boolean,
  now: number,
  settings: EngineSettings,
  out: Out,
): { state: EngineState; unlaunched: readonly number[] } {
  if (given.offers.length === 0) return { state: given, unlaunched: launches };
  const state: EngineState = { ...given, offerRounds: { ...given.offerRounds, lastAt: now } };
  const offers = state.offers;
  if (launches.length === 0) {
    if (idle) return { state: declineIdle(state, out).state, unlaunched: [] };
    // Nothing to launch this moment (the rollout waits on kills or health): the next launch may want these.
    const declined = declineAll(state, RETRY_REFUSE_SECONDS, out).state;
    return { state: refused(declined, offers, RETRY_REFUSE_SECONDS, now), unlaunched: [] };
  }
  const { tracked } = state;
  const target = tracked.target;
  const decision = decideOffers({
    spec: target.spec,
    seed: settings.seed,
    offers,
    launches,
    planned: state.plan.planned,
    running: stayingTasks(tracked, settings.supervise !== undefined),
    draining: tracked.leaving,
  });
  const perOffer = carveLaunches(decision.placements, {
    app: tracked.app,
    target,
    region: settings.region,
    ...(settings.containerizer === undefined ? {} : { containerizer: settings.containerizer }),
    now,
    nextIncarnation: (release, instance) => nextIncarnation(tracked, release, instance),
  });
  const launched: Tracked[] = [];
  for (const [offer, batch] of perOffer) {
    for (const { tracked: task } of batch) {
      launched.push(task);
      const ports = Object.fromEntries(
        target.spec.ports.map((p, i) => [p.name, task.ports[i] ?? 0] as const),
      );
      const { taskId, instance, release, host } = task;
      out.events.push({ type: "launch", app: tracked.app, task: taskId, instance, release, host, ports });
    }
    out.calls.push({ kind: "accept", offer, launches: batch, refuseSeconds: RETRY_REFUSE_SECONDS });
  }
  let next = withLaunched(state, launched, now);
  // Offers of agents the plan waits for come back soon; the others are not needed while the plan holds.
  const waitingForPlan = decision.waiting.length > 0;
  const later = decision.unused.filter((u) => !u.neededByPlan && waitingForPlan).map((u) => u.offer);
  const soon = decision.unused.map((u) => u.offer).filter((o) => !later.includes(o));
  decline(soon, RETRY_REFUSE_SECONDS, out);
  // An agent that offered too little for its planned instances is not remembered: reviving for it would loop.
  const short = new Set(decision.waiting.map((i) => state.plan.planned.get(i)?.agentId));
  next = refused(
    next,
    soon.filter((o) => !short.has(o.agent_id.value)),
    RETRY_REFUSE_SECONDS,
    now,
  );
  if (later.length > 0) {
    decline(later, NOT_PLANNED_REFUSE_SECONDS, out);
    next = refused(next, later, NOT_PLANNED_REFUSE_SECONDS, now);
  }
  const done = new Set(launched.map((t) => t.instance));
  const unlaunched = launches.filter((i) => !done.has(i));
  const lastShort =
    decision.short !== undefined
      ? { ...decision.short, at: now }
      : unlaunched.length === 0
        ? undefined
        : state.offerRounds.short;
  return { state: { ...next, offers: [], offerRounds: { lastAt: now, short: lastShort } }, unlaunched };
}

/** The agents of declined offers, with when the decline's filter ends. */
function refused(state: EngineState, offers: readonly Offer[], seconds: number, now: number): EngineState {
  const refusedAgents = new Map(state.link.refusedAgents);
  for (const offer of offers) {
    const id = offer.agent_id.value;
    refusedAgents.set(id, Math.max(refusedAgents.get(id) ?? 0, now + seconds * 1000));
  }
  return { ...state, link: { ...state.link, refusedAgents } };
}

/**
 * Whether an instance still to launch may go to an agent whose offers are filtered: one planned there while its
 * filter holds, or one placed on whatever is offered while any agent is refused for long. A brief refusal for lack
 * of room is not counted (reviving for it would loop until the room comes): only agents declined while nothing
 * was to launch, or not needed by the plan, are remembered.
 */
function mayLaunchOnRefused(state: EngineState, unlaunched: readonly number[], now: number): boolean {
  const { refusedAgents } = state.link;
  if (refusedAgents.size === 0) return false;
  const longRefusal = [...refusedAgents.values()].some((until) => until - now > RETRY_REFUSE_SECONDS * 1000);
  return unlaunched.some((instance) => {
    const agent = state.plan.planned.get(instance);
    if (agent === undefined) return longRefusal;
    return (refusedAgents.get(agent.agentId) ?? 0) > now;
  });
}

/** Launched instances are tracked, and leave the plan: its placement for them is carried out. */
function withLaunched(state: EngineState, launched: readonly Tracked[], now: number): EngineState {
  if (launched.length === 0) return state;
  const tracked = track(state.tracked, { type: "launched", tasks: launched }, now).tracked;
  const done = new Set(launched.map((t) => t.instance));
  const planned = new Map([...state.plan.planned].filter(([i]) => !done.has(i)));
  const waitingSince = new Map([...state.plan.waitingSince].filter(([i]) => !done.has(i)));
  return { ...state, tracked, plan: { ...state.plan, planned, waitingSince } };
}

function reviveOrSuppress(
  state: EngineState,
  launches: readonly number[],
  nothingPending: boolean,
  now: number,
  out: Out,
): EngineState {
  const { link } = state;
  const wanted = link.suppressed || link.refusedLong || mayLaunchOnRefused(state, launches, now);
  if (launches.length > 0 && wanted) {
    out.calls.push({ kind: "revive" });
    return { ...state, link: { ...link, suppressed: false, refusedLong: false, refusedAgents: new Map() } };
  }
  if (nothingPending && !link.suppressed) {
    out.calls.push({ kind: "suppress" });
    return { ...state, link: { ...link, suppressed: true } };
  }
  return state;
}

/** Every outstanding offer declined with one filter. */
export function declineAll(state: EngineState, refuseSeconds: number, out: Out): StepResult {
  decline(state.offers, refuseSeconds, out);
  return { state: { ...state, offers: [] }, ...out };
}

function decline(offers: readonly Offer[], refuseSeconds: number, out: Out): void {
  if (offers.length === 0) return;
  const call: SchedulerCall = { kind: "decline", offerIds: offers.map((o) => o.id.value), refuseSeconds };
  out.calls.push(call);
}
