import { isOpen, nextOpening } from "../manifest/windows.js";
import { endsInstance } from "../mesos/task-status.js";
import type { TaskStatus } from "../mesos/types/mesos.js";
import { rolloutLimits } from "../plan/rollout.js";
import { type Brake, type BrakeSettings, brakeRecovered, noteLoss } from "./brake.js";
import type { SchedulerCall } from "./calls.js";
import type { EngineState } from "./engine-state.js";
import { declineInverseOffers } from "./evacuation.js";
import type { DeployEvent } from "./events.js";
import {
  beginRound,
  dueReconcileCalls,
  dueUnreachableAsk,
  periodicRoundDue,
  type ReconcileRounds,
  type ReconcileTimings,
  reconcileCallFailed,
} from "./reconcile-rounds.js";
import { explicit } from "./reconciliation.js";
import { nextActions, type RolloutDecision, type TaskPhase } from "./rollout.js";
import { disruptionAllowance, holdsTasksOn } from "./tracked-view.js";
import { type InstanceEnd, type Tracked, type TrackedInstances, track } from "./tracking.js";

/**
 * The engine as `titan supervise` runs it: the same reducer and step function as a deploy, keeping the app at its
 * count instead of carrying out a release. A supervisor never rolls (a task of any release stands for its
 * instance), never ends, reconciles periodically, treats an unreachable task as maybe running for a grace before
 * replacing it, holds back launches the master refuses for the longest restart backoff, and stops relaunching
 * when the disaster brake trips.
 */
export interface SuperviseSettings {
  /** An unreachable task may still run: its instance is replaced only after this long. */
  unreachableGraceMs: number;
  reconcile: ReconcileTimings;
  brake: BrakeSettings;
}

/** What only supervision keeps, beside the deploy engine's state. */
export interface Supervision {
  readonly rounds: ReconcileRounds;
  readonly brake: Brake;
  /** Instances held back longer than the restart backoff (launches that fail the same way every time). */
  readonly heldUntil: ReadonlyMap<number, number>;
}

export function startSupervision(rounds: ReconcileRounds, brake: Brake): Supervision {
  return { rounds, brake, heldUntil: new Map() };
}

function supervisionOf(state: EngineState): Supervision {
  if (state.supervision === undefined) throw new Error("the engine supervises without a supervision state");
  return state.supervision;
}

function withSupervision(state: EngineState, change: Partial<Supervision>): EngineState {
  return { ...state, supervision: { ...supervisionOf(state), ...change } };
}

/** The first round of reconciliation completed: until then nothing is launched, killed or answered. */
export function reconciledOnce(state: EngineState): boolean {
  return supervisionOf(state).rounds.lastCompletedAt !== undefined;
}

/** Acting: reconciled once and the brake does not hold. */
export function acting(state: EngineState): boolean {
  return reconciledOnce(state) && !supervisionOf(state).brake.tripped;
}

/** After SUBSCRIBED: every task known is asked about, explicitly first (the step sends the calls). */
export function subscribedRound(state: EngineState, now: number, settings: SuperviseSettings): EngineState {
  const tracked = track(
    state.tracked,
    { type: "asked", taskIds: [...state.tracked.tasks.keys()] },
    now,
  ).tracked;
  const rounds = beginRound(supervisionOf(state).rounds, now, settings.reconcile);
  return withSupervision({ ...state, tracked }, { rounds });
}

/** Launches whose ACCEPT may not have reached the master: asked about in a round of their own. */
export function unsureRound(
  state: EngineState,
  taskIds: readonly string[],
  now: number,
  settings: SuperviseSettings,
): EngineState {
  const tracked = track(state.tracked, { type: "unsure", taskIds }, now).tracked;
  const rounds = beginRound(supervisionOf(state).rounds, now, settings.reconcile);
  return withSupervision({ ...state, tracked }, { rounds });
}

export function reconcileFailed(state: EngineState, call: Extract<SchedulerCall, { kind: "reconcile" }>) {
  const rounds = reconcileCallFailed(
    supervisionOf(state).rounds,
    call.tasks.length === 0 ? "implicit" : "explicit",
  );
  return withSupervision(state, { rounds });
}

/** The reconciliation calls due now (a periodic round begins when its interval passed). */
export function reconcileDue(
  state: EngineState,
  now: number,
  settings: SuperviseSettings,
): { state: EngineState; calls: SchedulerCall[] } {
  let { tracked } = state;
  let rounds = supervisionOf(state).rounds;
  if (periodicRoundDue(rounds, now, settings.reconcile)) {
    tracked = track(tracked, { type: "asked", taskIds: [...tracked.tasks.keys()] }, now).tracked;
    rounds = beginRound(rounds, now, settings.reconcile);
  }
  const due = dueReconcileCalls(rounds, tracked.unanswered, now, settings.reconcile);
  const unreachable = [...tracked.tasks.values()].flatMap((t) =>
    t.state === "TASK_UNREACHABLE" ? [{ taskId: t.taskId, since: t.unreachableSince ?? now }] : [],
  );
  const ask = dueUnreachableAsk(due.rounds, unreachable, now, settings.reconcile);
  if (ask.rounds === supervisionOf(state).rounds && tracked === state.tracked) return { state, calls: [] };
  const calls: SchedulerCall[] = due.calls.map((call) => ({
    kind: "reconcile",
    tasks: call.kind === "implicit" ? [] : explicit(tracked, call.taskIds),
    resendOnFailure: true,
  }));
  if (ask.taskIds.length > 0)
    calls.push({ kind: "reconcile", tasks: explicit(tracked, ask.taskIds), resendOnFailure: false });
  return { state: withSupervision({ ...state, tracked }, { rounds: ask.rounds }), calls };
}

/**
 * After a batch of status updates: instances that stopped running without titan killing them are losses for the
 * brake; a launch the master refuses every time (the tracked `fatal`, which would end a deploy) holds the
 * instances whose launches failed at the longest restart backoff, and the supervisor goes on trying.
 */
export function afterUpdates(
  state: EngineState,
  before: TrackedInstances,
  statuses: readonly TaskStatus[],
  now: number,
  settings: SuperviseSettings,
): { state: EngineState; warnings: string[] } {
  const warnings: string[] = [];
  let { brake, heldUntil } = supervisionOf(state);
  let { tracked } = state;
  const failedLaunches: number[] = [];
  for (const status of statuses) {
    const task = before.tasks.get(status.task_id.value);
    if (task === undefined) continue;
    const lost = status.state === "TASK_UNREACHABLE" || endsInstance(status.state);
    if (lost && task.state !== "TASK_RUNNING") failedLaunches.push(task.instance);
    if (!lost || task.state !== "TASK_RUNNING" || task.killSent) continue;
    const noted = noteLoss(brake, settings.brake, { instance: task.instance, now, desired: tracked.desired });
    brake = noted.brake;
  }
  if (tracked.fatal !== undefined) {
    warnings.push(`${tracked.fatal}; retrying at the longest restart backoff`);
    tracked = track(tracked, { type: "failure_taken" }, now).tracked;
    const until = now + tracked.target.spec.restart.maxDelayMs;
    heldUntil = new Map([...heldUntil, ...failedLaunches.map((i) => [i, until] as const)]);
  }
  return { state: withSupervision({ ...state, tracked }, { brake, heldUntil }), warnings };
}

/** The brake lets go once enough of the lost instances are back on their own. */
export function brakeCheck(state: EngineState, now: number, settings: SuperviseSettings): EngineState {
  const { brake } = supervisionOf(state);
  if (!brake.tripped) return state;
  const { tracked } = state;
  const missing = missingInstances(tracked);
  const recovered = brakeRecovered(brake, settings.brake, { missing, desired: tracked.desired, now });
  return recovered.released ? withSupervision(state, { brake: recovered.brake }) : state;
}

/** The longest filter a master keeps on an answer to an inverse offer: a year. */
const LONGEST_REFUSAL_SECONDS = 365 * 24 * 3600;

/**
 * Inverse offers the app cannot meet: it runs instances on their agents and its disruption windows stay closed
 * until the maintenance starts, so no move begins in time (a supervisor takes nothing down outside a window).
 * Each is declined with a filter until the next window opens, when the master asks again and the moves can begin;
 * an instance still there when its agent goes down is lost and relaunched like any other.
 */
export function declineUnmeetable(
  state: EngineState,
  now: number,
): { state: EngineState; calls: SchedulerCall[]; events: DeployEvent[] } {
  const windows = state.tracked.target.spec.disruption?.windows;
  if (windows === undefined || state.inverseOffers.size === 0 || isOpen(windows, now))
    return { state, calls: [], events: [] };
  const opens = nextOpening(windows, now);
  const unmet = [...state.inverseOffers.values()].filter(
    (o) => holdsTasksOn(state.tracked, o.agentId) && (opens === undefined || opens >= o.startMs),
  );
  const refuseSeconds =
    opens === undefined
      ? LONGEST_REFUSAL_SECONDS
      : Math.min(LONGEST_REFUSAL_SECONDS, Math.max(1, Math.ceil((opens - now) / 1000)));
  return declineInverseOffers(state, unmet, refuseSeconds);
}

/** Instances with no task that runs or may run: what the brake weighs recovery by. */
function missingInstances(tracked: Pick<TrackedInstances, "desired" | "tasks" | "unanswered">): number {
  const present = new Set<number>();
  for (const t of tracked.tasks.values()) {
    if (t.killSent || t.instance >= tracked.desired) continue;
    if (t.state === "TASK_RUNNING" || tracked.unanswered.has(t.taskId)) present.add(t.instance);
  }
  return tracked.desired - present.size;
}

/**
 * What the supervisor does next, with the deploy's rollout core: kills of duplicates and surplus, launches of
 * instances without a task. Of an instance's duplicates that serve alike, the one of the supervised release's spec
 * stays. Every task counts as current (a rollout is a deploy's job) except one on an agent
 * being emptied for maintenance: it is moved as a drain moves it, within the app's update policy. An unreachable task
 * holds its instance like an unanswered one until its grace passed (never killed, never replaced); after it, its
 * instance is launched again, and when the original comes back the duplicate is killed.
 */
export function superviseDecision(
  state: EngineState,
  now: number,
  settings: SuperviseSettings,
): RolloutDecision {
  const { tracked } = state;
  const tasks = [...tracked.tasks.values()].map((t) => ({
    taskId: t.taskId,
    instance: t.instance,
    incarnation: t.incarnation,
    current: t.agentId === undefined || !tracked.leaving.has(t.agentId),
    ofTarget: t.digest === tracked.target.release.manifestDigest,
    phase: phaseOf(t, tracked.unanswered, now, settings.unreachableGraceMs),
    ...(t.healthySince === undefined ? {} : { healthySince: t.healthySince }),
  }));
  // Relaunches of lost instances are not a rollout's surge: any number may be on their way at once, and kills of
  // duplicates and surplus never wait for a replacement to count. Moving an instance off an agent scheduled for
  // maintenance is taking it down on purpose, as a drain does: within the app's update policy (max_surge,
  // max_unavailable, min_healthy_time), only while its disruption windows are open, and within its max_per_hour (a
  // lost instance's relaunch takes no share).
  const spec = tracked.target.spec;
  const windows = spec.disruption?.windows;
  const allowance = windows !== undefined && !isOpen(windows, now) ? 0 : disruptionAllowance(tracked, now);
  return nextActions({
    desired: tracked.desired,
    ...rolloutLimits(spec, tracked.desired),
    minHealthyMs: spec.update.minHealthyTimeMs,
    now,
    tasks,
    backoffUntil: backoffUntil(tracked, supervisionOf(state).heldUntil),
    limitsReplacementsOnly: true,
    ...(allowance === undefined ? {} : { disruptionAllowance: allowance }),
  });
}

function phaseOf(task: Tracked, unanswered: ReadonlySet<string>, now: number, graceMs: number): TaskPhase {
  if (unanswered.has(task.taskId)) return "unknown";
  if (task.killSent || task.state === "TASK_KILLING") return "killing";
  if (task.state === "TASK_UNREACHABLE") {
    const since = task.unreachableSince ?? now;
    return now - since < graceMs ? "unknown" : "unreachable";
  }
  if (task.state === "TASK_RUNNING") return "running";
  return "starting";
}

/** An instance the supervisor holds back before launching it again. */
export interface HeldInstance {
  instance: number;
  /** Its ends in a row (the backoff grows with them). */
  restarts: number;
  /** When it is launched again (epoch ms). */
  until: number;
  lastEnd?: InstanceEnd;
}

/**
 * The instances a relaunch is coming for, held back by their restart backoff (or the longer hold of launches the
 * master refuses), soonest first. None while the brake holds relaunches or before the first reconciliation (the
 * supervisor then launches nothing), nor a surplus instance (a scale-down's, which is not launched again).
 */
export function instancesInBackoff(state: EngineState, now: number): HeldInstance[] {
  if (!acting(state)) return [];
  const { tracked } = state;
  const held: HeldInstance[] = [];
  for (const [instance, until] of backoffUntil(tracked, supervisionOf(state).heldUntil)) {
    if (until <= now || instance >= tracked.desired) continue;
    const lastEnd = tracked.lastEnd.get(instance);
    held.push({
      instance,
      restarts: tracked.failures.get(instance) ?? 0,
      until,
      ...(lastEnd === undefined ? {} : { lastEnd }),
    });
  }
  return held.sort((a, b) => a.until - b.until || a.instance - b.instance);
}

/** The restart backoff, and the longer holds of launches that fail the same way every time. */
function backoffUntil(
  tracked: TrackedInstances,
  held: ReadonlyMap<number, number>,
): ReadonlyMap<number, number> {
  if (held.size === 0) return tracked.backoffUntil;
  const until = new Map(tracked.backoffUntil);
  for (const [instance, at] of held) until.set(instance, Math.max(at, until.get(instance) ?? 0));
  return until;
}
