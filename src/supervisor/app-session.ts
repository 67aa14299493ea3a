import type { TitanTask } from "../cluster/types.js";
import { announcing, isAnnouncement } from "../deploy/announced.js";
import type { BrakeSettings } from "../deploy/brake.js";
import { BRAKE_RELEASED, type Brake } from "../deploy/brake.js";
import { type CallSink, type SchedulerCall, sessionCalls, untilStopped } from "../deploy/calls.js";
import { DetachedAccepts } from "../deploy/detached-accepts.js";
import { type EngineEvent, react } from "../deploy/engine.js";
import {
  type EngineSettings,
  type EngineState,
  initialState,
  type Reaction,
} from "../deploy/engine-state.js";
import { queued } from "../deploy/event-queue.js";
import type { DeployEvent } from "../deploy/events.js";
import type { FrameworkIdentity } from "../deploy/executor.js";
import { type IncarnationFloor, lastLaunches, raiseFloor } from "../deploy/incarnations.js";
import { openSession } from "../deploy/open-session.js";
import { NO_ROUNDS, type ReconcileTimings } from "../deploy/reconcile-rounds.js";
import { deployPlan } from "../deploy/replan.js";
import { step } from "../deploy/step.js";
import {
  acting,
  type HeldInstance,
  instancesInBackoff,
  type SuperviseSettings,
  startSupervision,
} from "../deploy/supervision.js";
import type { Containerizer } from "../deploy/task-spec.js";
import { disruptionLedger, recordedAgents, recordedTaskIds, sameTaskIds } from "../deploy/tracked-view.js";
import { type AppTarget, incarnationFloor, startTracking } from "../deploy/tracking.js";
import { offerShortage } from "../deploy/waiting.js";
import { formatDuration } from "../manifest/units.js";
import type { MasterCluster } from "../mesos/leader.js";
import { DEFAULT_SESSION_TIMINGS, type SessionEvent, type SessionTimings } from "../mesos/session.js";
import { endsInstance } from "../mesos/task-status.js";
import { endReason } from "../observe/task-end.js";
import type { DeployProgress, InstanceBackoff, Release, StateStore } from "../state/types.js";
import { deployHoldsLock } from "./deploy-lock.js";
import type { SupervisorLog } from "./log.js";

export interface SessionSettings {
  unreachableGraceMs: number;
  reconcile: ReconcileTimings;
  /** How often the deploy lock is looked at (a deploy takes the app over). */
  lockPollMs: number;
  tickMs: number;
  seed: number;
  sessionTimings?: Partial<SessionTimings>;
}

export interface SessionDeps {
  app: string;
  store: StateStore;
  cluster: MasterCluster;
  framework: FrameworkIdentity;
  region: string | null;
  containerizer?: Containerizer;
  now: () => number;
  log: SupervisorLog;
  brakeSettings: BrakeSettings;
  settings: SessionSettings;
}

export interface SessionInput {
  target: AppTarget;
  desired: number;
  releases: readonly Release[];
  frameworkId: string;
  /** The app's tasks of its framework as the master's state listed them, ended ones included. */
  known: readonly TitanTask[];
  /** The ids of the cluster's agents that have GPUs (the master offers them only with GPU_RESOURCES). */
  gpuAgents?: ReadonlySet<string>;
  /** Launches written ahead (by a deploy or a supervisor) that the state may not show. */
  writtenAhead: readonly string[];
  /** The agent of each of them the record kept: reconciliation names it. */
  writtenAheadAgents?: Readonly<Record<string, string>>;
  /** Agents that have not re-registered since the master failed over: it lists none of their tasks. */
  recoveringAgents?: number;
  /** The app's persisted incarnation floor (its progress record): launches take ids above it. */
  incarnations?: IncarnationFloor;
  /** The disruption budget's ledger (its progress record): kept when the supervisor writes the record. */
  disrupted?: readonly number[];
  /** Which live task each charge of the ledger is for: its KILL sent again is not charged twice. */
  disruptedTasks?: Readonly<Record<string, number>>;
  /**
   * What the progress record says of the deploy that wrote it last (its release, phase and rollback): kept when the
   * supervisor writes the record, since `titan status` tells from it how a stopped deploy is to be finished.
   */
  deployRecord?: Pick<DeployProgress, "release" | "phase" | "rollback">;
  /** The disaster brake as the last session left it (it outlives a subscription). */
  brake?: Brake;
}

/** What a session takes from the app's progress record (written by the last deploy or supervisor). */
export function fromProgressRecord(
  progress: DeployProgress | undefined,
): Pick<
  SessionInput,
  "writtenAhead" | "writtenAheadAgents" | "incarnations" | "disrupted" | "disruptedTasks" | "deployRecord"
> {
  if (progress === undefined) return { writtenAhead: [] };
  return {
    writtenAhead: progress.launched,
    ...(progress.agents === undefined ? {} : { writtenAheadAgents: progress.agents }),
    ...(progress.incarnations === undefined ? {} : { incarnations: progress.incarnations }),
    ...(progress.disrupted === undefined ? {} : { disrupted: progress.disrupted }),
    ...(progress.disruptedTasks === undefined ? {} : { disruptedTasks: progress.disruptedTasks }),
    deployRecord: progress,
  };
}

/** Why a subscription ended without an error. */
export type SessionEnd = "stopped" | "deploy" | "taken over";

/** What the session tells its app supervisor as it goes (for /metrics and the store report). */
export interface SessionCounters {
  relaunches: number;
  offersDeclined: number;
  reconcileCalls: number;
  unanswered: number;
  lastReconciledAt?: number;
  tasksByState: Record<string, number>;
  acting: boolean;
  /** Instances the supervisor would launch now that no offer has held yet. */
  awaitingOffers: number;
  /** Instances whose task ended on its own, waiting out their restart backoff before the next launch. */
  inBackoff: number;
  /** Those instances, soonest relaunch first: the store report shows them to `ps` and `status`. */
  backoff: readonly InstanceBackoff[];
}

/** How long instances wait for an offer before the log says so, and how often it says so again. */
export const AWAITING_SAID_AFTER_MS = 5_000;
export const AWAITING_SAID_EVERY_MS = 30_000;

/** The most queued events one turn takes. */
export const MAX_BURST = 2000;

/**
 * One subscription of the app's framework, held by the supervisor: the effect loop of the deploy engine run as a
 * supervisor (`EngineSettings.supervise`). Each turn takes the events that arrived (consecutive status updates as
 * one batch) through the engine's reducer (`react`), then its step function (`step`) decides; this loop only sends
 * the calls they return, writes launches ahead to the state store and logs. It acts only on the tasks of this
 * framework, and ends (closing the subscription, never tearing the framework down) when `stop` aborts, when a
 * deploy takes the app's lock, or when another subscriber takes the framework over.
 */
export class SupervisedSession {
  private state: EngineState;
  private readonly settings: EngineSettings;
  private lastLockCheck = 0;
  private writtenAhead: string[];
  readonly counters: SessionCounters = {
    relaunches: 0,
    offersDeclined: 0,
    reconcileCalls: 0,
    unanswered: 0,
    tasksByState: {},
    acting: false,
    awaitingOffers: 0,
    inBackoff: 0,
    backoff: [],
  };
  /** Since when instances to launch have found no offer, and when the log last said so. */
  private awaiting: { since: number; saidAt?: number } | undefined;
  /** What the last step would have launched and no offer held (kept while unsubscribed: nothing is offered). */
  private unlaunched: readonly number[] = [];

  constructor(
    private readonly deps: SessionDeps,
    private readonly input: SessionInput,
  ) {
    const now = deps.now();
    const live = input.known.filter((t) => !endsInstance(t.state));
    // A master that failed over lists no task of an agent yet to re-register. The record names the app's live
    // tasks, but one written before it kept them all may not: an instance neither names is asked about by its
    // last launch rather than taken for missing and launched beside it.
    const accounted = [...live.map((t) => t.taskId), ...input.writtenAhead];
    const guessed =
      (input.recoveringAgents ?? 0) > 0
        ? lastLaunches(input.incarnations ?? {}, deps.app, input.desired, accounted)
        : [];
    const tracked = startTracking({
      app: deps.app,
      desired: input.desired,
      releases: input.releases,
      target: input.target,
      known: live,
      launchedBefore: [...input.writtenAhead, ...guessed],
      ...(input.writtenAheadAgents === undefined ? {} : { agentsBefore: input.writtenAheadAgents }),
      ...(input.disrupted === undefined ? {} : { disruptedBefore: input.disrupted }),
      ...(input.disruptedTasks === undefined ? {} : { disruptedTasksBefore: input.disruptedTasks }),
      // Ended tasks are not tracked, but their ids may not be used again.
      incarnationFloor: raiseFloor(input.incarnations, [
        ...input.known.map((t) => t.taskId),
        ...input.writtenAhead,
      ]),
      now,
    });
    const supervise: SuperviseSettings = {
      unreachableGraceMs: deps.settings.unreachableGraceMs,
      reconcile: deps.settings.reconcile,
      brake: deps.brakeSettings,
    };
    this.state = {
      ...initialState(tracked, deployPlan(new Map())),
      supervision: startSupervision(NO_ROUNDS, input.brake ?? BRAKE_RELEASED),
    };
    this.settings = {
      seed: deps.settings.seed,
      region: deps.region,
      ...(deps.containerizer === undefined ? {} : { containerizer: deps.containerizer }),
      autoRollback: false,
      reconnectDeadlineMs:
        deps.settings.sessionTimings?.reconnectDeadlineMs ?? DEFAULT_SESSION_TIMINGS.reconnectDeadlineMs,
      supervise,
    };
    this.writtenAhead = [...input.writtenAhead];
  }

  /** The engine's state (for a test or a benchmark that drives the loop). */
  get engineState(): EngineState {
    return this.state;
  }

  /** The disaster brake as it stands: the app supervisor keeps it from one subscription to the next. */
  get brake(): Brake {
    return this.state.supervision?.brake ?? BRAKE_RELEASED;
  }

  /**
   * GPU_RESOURCES when the app asks for GPUs or runs or ran on a GPU agent (a deploy put it there for want of other
   * room; ended tasks count, so an app that lost every instance there can come back): a relaunch may need that
   * agent's room again, and the master offers it only with the capability.
   */
  private wantsGpuAgents(): boolean {
    const { target, known, gpuAgents } = this.input;
    if (target.spec.resources.gpus > 0) return true;
    return gpuAgents !== undefined && known.some((t) => gpuAgents.has(t.agentId));
  }

  async run(stop: AbortSignal): Promise<SessionEnd> {
    const { deps, input } = this;
    const session = openSession(
      {
        cluster: deps.cluster,
        framework: deps.framework,
        signal: stop,
        log: (line) => deps.log.debug(deps.app, line),
        sessionTimings: deps.settings.sessionTimings ?? {},
      },
      deps.app,
      input.frameworkId,
      this.wantsGpuAgents(),
    );
    // Once stopped (the lead lost), nothing is sent, whatever turn was still waiting on the store.
    const calls = new DetachedAccepts(
      untilStopped(
        sessionCalls(session, (line) => deps.log.debug(deps.app, line), stop),
        stop,
      ),
      (call) => this.failed(call, stop),
      (call) => this.answered({ type: "ACCEPTED", call }, stop),
    );
    const { queue, pumped } = queued(session.events());
    try {
      for (;;) {
        if (stop.aborted) return "stopped";
        const event = await queue.next(deps.settings.tickMs, stop);
        calls.check();
        if (event === "end") return "stopped";
        if (stop.aborted) return "stopped";
        const events = event === undefined ? [] : [event, ...queue.drain(MAX_BURST)];
        // A deploy may have taken the lock (and subscribed) since the turn that decided to subscribe: this
        // subscription then failed the deploy's over, and acting now would work against it. Step aside first.
        // Likewise before moving instances an inverse offer asks back: a `titan drain` takes the locks of the apps
        // it moves before it schedules their agents, and moves them itself.
        if (events.some(looksAtLockFirst) && (await this.deployWaiting(true))) return "deploy";
        // A burst (the answers of a reconciliation) is handled at once, then decided on once.
        await this.turn(calls, events, stop);
        if (await this.deployWaiting()) return "deploy";
      }
    } catch (error) {
      if (isTakeover(error)) return "taken over";
      throw error;
    } finally {
      session.close();
      await pumped;
    }
  }

  /** One turn of the loop: the events that arrived through the reducer, then one step. */
  async turn(calls: CallSink, events: readonly SessionEvent[], stop?: AbortSignal): Promise<void> {
    for (const event of batched(events))
      await this.apply(react(this.state, event, this.context(stop)), calls);
    if (this.state.link.subscribed && stop?.aborted !== true) {
      const stepped = step(this.state, this.deps.now(), this.settings);
      this.unlaunched = stepped.unlaunched ?? [];
      await this.apply(stepped, calls, stop);
    }
    if (stop?.aborted !== true) await this.recordTrackedTasks();
    this.updateCounters();
  }

  private context(stop?: AbortSignal) {
    return { now: this.deps.now(), settings: this.settings, stopping: stop?.aborted === true };
  }

  private async deployWaiting(atOnce = false): Promise<boolean> {
    const now = this.deps.now();
    if (!atOnce && now - this.lastLockCheck < this.deps.settings.lockPollMs) return false;
    this.lastLockCheck = now;
    return deployHoldsLock(this.deps.store, this.deps.app, now);
  }

  /**
   * Takes the next state, logs, writes launches ahead, then sends each call; a failed one goes back as an event.
   * A launch is logged as its ACCEPT leaves and a kill once its KILL went out, as a deploy reports them.
   */
  private async apply(reaction: Reaction, calls: CallSink, stop?: AbortSignal): Promise<void> {
    const before = this.state;
    this.state = reaction.state;
    this.report({ ...reaction, events: reaction.events.filter((e) => !isAnnouncement(e)) }, before);
    const launched = reaction.calls.flatMap((c) =>
      c.kind === "accept" ? c.launches.map((l) => l.tracked.taskId) : [],
    );
    if (launched.length > 0) await this.writeAhead(launched);
    for (const call of reaction.calls) {
      if (call.kind === "decline") this.counters.offersDeclined += call.offerIds.length;
      const said = announcing(call, reaction.events);
      if (call.kind === "accept") for (const event of said) this.onEvent(event);
      if (!(await calls.send(call))) this.failed(call, stop);
      else if (call.kind === "kill") for (const event of said) this.onEvent(event);
    }
  }

  private failed(call: SchedulerCall, stop?: AbortSignal): void {
    this.answered({ type: "CALL_FAILED", call }, stop);
  }

  /** What became of a call, as the master answered it (or did not), taken in between the loop's turns. */
  private answered(event: EngineEvent, stop?: AbortSignal): void {
    const before = this.state;
    const reaction = react(this.state, event, this.context(stop));
    this.state = reaction.state;
    this.report(reaction, before);
  }

  private report(reaction: Reaction, before: EngineState): void {
    const { app, log } = this.deps;
    if (reaction.frameworkId !== undefined) log.info(app, "subscribed", { framework: reaction.frameworkId });
    for (const event of reaction.events) this.onEvent(event);
    for (const line of reaction.warnings) log.warn(app, line);
    const was = before.supervision?.brake;
    const brake = this.brake;
    if (brake.tripped && was?.tripped !== true)
      log.error(
        app,
        `DISASTER BRAKE: ${brake.reason ?? ""}; relaunches stop until the instances come back or an operator acts (titan deploy/scale/restart of the app, or a restart of titan supervise)`,
      );
    else if (!brake.tripped && was?.tripped === true)
      log.info(app, "disaster brake released: the lost instances are back");
  }

  private onEvent(event: DeployEvent): void {
    const { app, log } = this.deps;
    switch (event.type) {
      case "reconnecting":
        log.warn(app, `subscription lost (${event.reason}); re-subscribing`);
        return;
      case "launch":
        this.counters.relaunches += 1;
        log.info(app, "launch", { task: event.task, instance: event.instance, host: event.host });
        return;
      case "failed":
      case "lost":
      case "unreachable":
        log.warn(app, event.type, { ...eventFields(event), ...this.relaunchIn(event.instance) });
        return;
      default:
        log.info(app, event.type, eventFields(event));
    }
  }

  /** Written ahead like a deploy's launches: a supervisor that dies after the ACCEPT leaves ids the next one asks about. */
  private async writeAhead(ids: readonly string[]): Promise<void> {
    this.writtenAhead = [...new Set([...recordedTaskIds(this.state.tracked), ...ids])];
    await this.saveRecord();
  }

  /** The record follows the app's tracked tasks (recordedTaskIds): ended ones leave it, found ones join it. */
  private async recordTrackedTasks(): Promise<void> {
    const recorded = recordedTaskIds(this.state.tracked);
    if (sameTaskIds(recorded, this.writtenAhead)) return;
    this.writtenAhead = recorded;
    await this.saveRecord();
  }

  private async saveRecord(): Promise<void> {
    const { release, phase, rollback } = this.input.deployRecord ?? {
      release: this.input.target.release.number,
      phase: "finished",
    };
    await this.deps.store.saveProgress(this.deps.app, {
      release,
      phase,
      ...(rollback === undefined ? {} : { rollback }),
      launched: this.writtenAhead,
      agents: recordedAgents(this.state.tracked, this.writtenAhead, this.input.writtenAheadAgents),
      incarnations: incarnationFloor(this.state.tracked),
      ...disruptionLedger(this.state.tracked),
      updatedAt: this.deps.now(),
    });
  }

  /**
   * How long the instance's restart backoff holds its next launch, when it does: a crash loop shows in the log. A
   * surplus instance (a scale-down's) is not launched again, nor any while the disaster brake holds relaunches.
   */
  private relaunchIn(instance: number): { relaunch_in?: string } {
    if (instance >= this.state.tracked.desired || this.brake.tripped) return {};
    const wait = (this.state.tracked.backoffUntil.get(instance) ?? 0) - this.deps.now();
    return wait > 0 ? { relaunch_in: formatDuration(Math.ceil(wait / 1000) * 1000) } : {};
  }

  private updateCounters(): void {
    const { tracked, supervision } = this.state;
    const byState: Record<string, number> = {};
    for (const t of tracked.tasks.values()) byState[t.state] = (byState[t.state] ?? 0) + 1;
    this.counters.tasksByState = byState;
    this.counters.unanswered = tracked.unanswered.size;
    const rounds = supervision?.rounds;
    this.counters.reconcileCalls = rounds?.calls ?? 0;
    if (rounds?.lastCompletedAt !== undefined) this.counters.lastReconciledAt = rounds.lastCompletedAt;
    this.counters.acting = acting(this.state);
    this.counters.backoff = instancesInBackoff(this.state, this.deps.now()).map(backoffRecord);
    this.counters.inBackoff = this.counters.backoff.length;
    this.sayWhatWaits();
  }

  /**
   * Instances to launch that no offer has held for a few seconds are logged (again every half minute while it
   * lasts) with why, as a deploy's waiting line says it: a cluster with no room for a relaunch is not silent.
   */
  private sayWhatWaits(): void {
    const now = this.deps.now();
    const waiting = this.unlaunched;
    this.counters.awaitingOffers = waiting.length;
    if (waiting.length === 0) {
      this.awaiting = undefined;
      return;
    }
    const awaiting = this.awaiting ?? { since: now };
    this.awaiting = awaiting;
    if (now - awaiting.since < AWAITING_SAID_AFTER_MS) return;
    if (awaiting.saidAt !== undefined && now - awaiting.saidAt < AWAITING_SAID_EVERY_MS) return;
    awaiting.saidAt = now;
    const why = offerShortage(this.state.offerRounds, waiting, () => false, now);
    this.deps.log.warn(this.deps.app, "waiting for offers", {
      instances: waiting,
      ...(why === undefined ? {} : { why }),
    });
  }
}

function backoffRecord(held: HeldInstance): InstanceBackoff {
  const { lastEnd } = held;
  return {
    instance: held.instance,
    restarts: held.restarts,
    nextLaunchAt: held.until,
    ...(lastEnd === undefined ? {} : { lastState: lastEnd.state, reason: endReason(lastEnd) }),
  };
}

/** The session's events as the reducer takes them: consecutive status updates as one batch. */
function batched(events: readonly SessionEvent[]): EngineEvent[] {
  const out: EngineEvent[] = [];
  let statuses: SessionEvent[] = [];
  const flush = () => {
    if (statuses.length === 1 && statuses[0] !== undefined) out.push(statuses[0]);
    else if (statuses.length > 1)
      out.push({
        type: "UPDATES",
        statuses: statuses.flatMap((e) => (e.type === "UPDATE" ? [e.update.status] : [])),
      });
    statuses = [];
  };
  for (const event of events) {
    if (event.type === "UPDATE") {
      statuses.push(event);
      continue;
    }
    flush();
    out.push(event);
  }
  flush();
  return out;
}

/** Events after which the lock is looked at before anything is decided. */
function looksAtLockFirst(event: SessionEvent): boolean {
  return event.type === "SUBSCRIBED" || event.type === "INVERSE_OFFERS";
}

/** Another subscriber (a deploy) failed the framework over to itself: the supervisor steps aside. */
function isTakeover(error: unknown): boolean {
  return error instanceof Error && /failed over/i.test(error.message);
}

function eventFields(event: DeployEvent): Record<string, unknown> {
  const { type: _type, app: _app, ...rest } = event;
  return rest;
}
