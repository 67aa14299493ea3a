import type { TitanTask } from "../cluster/types.js";
import { type CallSink, type SchedulerCall, sessionCalls, untilStopped } from "../deploy/calls.js";
import { carveLaunches } from "../deploy/carve.js";
import type { PendingInverseOffer } from "../deploy/evacuation.js";
import { EventQueue } from "../deploy/event-queue.js";
import type { DeployEvent } from "../deploy/events.js";
import type { FrameworkIdentity } from "../deploy/executor.js";
import { type IncarnationFloor, raiseFloor } from "../deploy/incarnations.js";
import { decideOffers } from "../deploy/offer-plan.js";
import { openSession } from "../deploy/open-session.js";
import type { Containerizer } from "../deploy/task-spec.js";
import { holdsTasksOn, killCall, runningTasks } from "../deploy/tracked-view.js";
import {
  type AppTarget,
  incarnationFloor,
  nextIncarnation,
  startTracking,
  type Tracked,
  type TrackedInstances,
  type TrackingEvent,
  track,
} from "../deploy/tracking.js";
import type { MasterCluster } from "../mesos/leader.js";
import type { SessionEvent, SessionTimings } from "../mesos/session.js";
import { endsInstance } from "../mesos/task-status.js";
import type { InverseOffer, Offer, TaskStatus } from "../mesos/types/mesos.js";
import type { Release, StateStore } from "../state/types.js";
import type { DisasterBrake } from "./brake.js";
import { missingInstances, type SupervisedTask, superviseDecision } from "./decide.js";
import type { SupervisorLog } from "./log.js";
import { ReconcileSchedule, type ReconcileTimings } from "./reconcile-schedule.js";

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
  brake: DisasterBrake;
  settings: SessionSettings;
}

export interface SessionInput {
  target: AppTarget;
  desired: number;
  releases: readonly Release[];
  frameworkId: string;
  /** The app's tasks of its framework as the master's state listed them, ended ones included. */
  known: readonly TitanTask[];
  /** Launches written ahead (by a deploy or a supervisor) that the state may not show. */
  writtenAhead: readonly string[];
  /** The app's persisted incarnation floor (its progress record): launches take ids above it. */
  incarnations?: IncarnationFloor;
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
}

const IDLE_REFUSE_SECONDS = 120;
/** The most queued events one turn takes. */
export const MAX_BURST = 2000;
const RETRY_REFUSE_SECONDS = 2;

/**
 * One subscription of the app's framework, held by the supervisor: reconciles (explicit, then implicit, and
 * periodically), relaunches instances that ended with the app's restart backoff, replaces unreachable ones after
 * their grace and kills the surplus, under the disaster brake. It acts only on the tasks of this framework, and
 * ends (closing the subscription, never tearing the framework down) when `stop` aborts, when a deploy takes the
 * app's lock, or when another subscriber takes the framework over.
 */
export class SupervisedSession {
  private tracked: TrackedInstances;
  private readonly schedule: ReconcileSchedule;
  /** Instances held back longer than the restart backoff (launches that fail the same way every time). */
  private readonly heldUntil = new Map<number, number>();
  private readonly unreachableSince = new Map<string, number>();
  private subscribed = false;
  private suppressed = false;
  /** Offers were declined for long since the last REVIVE: a launch needs a REVIVE to see them again. */
  private refusedLong = false;
  /** Inverse offers not answered yet, by id. */
  private readonly inverseOffers = new Map<string, PendingInverseOffer>();
  private lastLockCheck = 0;
  private writtenAhead: string[];
  readonly counters: SessionCounters = {
    relaunches: 0,
    offersDeclined: 0,
    reconcileCalls: 0,
    unanswered: 0,
    tasksByState: {},
    acting: false,
  };

  constructor(
    private readonly deps: SessionDeps,
    private readonly input: SessionInput,
  ) {
    const { app, now } = deps;
    this.schedule = new ReconcileSchedule(deps.settings.reconcile);
    const live = input.known.filter((t) => !endsInstance(t.state));
    this.tracked = startTracking({
      app,
      desired: input.desired,
      releases: input.releases,
      target: input.target,
      known: live,
      launchedBefore: input.writtenAhead,
      // Ended tasks are not tracked, but their ids may not be used again.
      incarnationFloor: raiseFloor(input.incarnations, [
        ...input.known.map((t) => t.taskId),
        ...input.writtenAhead,
      ]),
      now: now(),
    });
    this.writtenAhead = [...input.writtenAhead];
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
      input.target.spec.resources.gpus > 0,
    );
    // Once stopped (the lead lost), nothing is sent, whatever turn was still waiting on the store.
    const calls = untilStopped(
      sessionCalls(session, (line) => deps.log.debug(deps.app, line), stop),
      stop,
    );
    const queue = new EventQueue<SessionEvent>();
    const pump = (async () => {
      try {
        for await (const event of session.events()) queue.push(event);
        queue.end();
      } catch (error) {
        queue.end(error);
      }
    })();
    try {
      for (;;) {
        if (stop.aborted) return "stopped";
        const event = await queue.next(deps.settings.tickMs, stop);
        if (event === "end") return "stopped";
        if (stop.aborted) return "stopped";
        // A burst (the answers of a reconciliation) is handled at once, then decided on once.
        await this.step(calls, event === undefined ? [] : [event, ...queue.drain(MAX_BURST)]);
        if (await this.deployWaiting()) return "deploy";
      }
    } catch (error) {
      if (isTakeover(error)) return "taken over";
      throw error;
    } finally {
      session.close();
      await pump;
    }
  }

  /**
   * One turn of the loop: the events that arrived (in order; consecutive status updates as one batch), then
   * reconciliation and the supervision decisions, once.
   */
  async step(calls: CallSink, events: readonly SessionEvent[]): Promise<void> {
    let updates: TaskStatus[] = [];
    for (const event of events) {
      if (event.type === "UPDATE") {
        updates.push(event.update.status);
        continue;
      }
      if (updates.length > 0) await this.onUpdates(calls, updates);
      updates = [];
      await this.handle(calls, event);
    }
    if (updates.length > 0) await this.onUpdates(calls, updates);
    if (this.subscribed) await this.tick(calls);
  }

  private async deployWaiting(): Promise<boolean> {
    const now = this.deps.now();
    if (now - this.lastLockCheck < this.deps.settings.lockPollMs) return false;
    this.lastLockCheck = now;
    return (await this.deps.store.currentLock(this.deps.app)) !== undefined;
  }

  private apply(event: TrackingEvent): void {
    const result = track(this.tracked, event, this.deps.now());
    this.tracked = result.tracked;
    for (const e of result.events) this.onEvent(e);
    for (const line of result.warnings) this.deps.log.warn(this.deps.app, line);
  }

  private async handle(calls: CallSink, event: SessionEvent): Promise<void> {
    switch (event.type) {
      case "SUBSCRIBED":
        this.subscribed = true;
        this.suppressed = false;
        this.schedule.begin(this.deps.now(), this.tracked.tasks.keys());
        this.deps.log.info(this.deps.app, "subscribed", { framework: event.subscribed.framework_id.value });
        return;
      case "RECONNECTING":
        this.subscribed = false;
        this.deps.log.warn(this.deps.app, `subscription lost (${event.reason}); re-subscribing`);
        return;
      case "OFFERS":
        return this.onOffers(calls, event.offers.offers ?? []);
      case "INVERSE_OFFERS":
        this.onInverseOffers(event.inverse_offers.inverse_offers ?? []);
        return;
      case "RESCIND_INVERSE_OFFER":
        this.inverseOffers.delete(event.rescind_inverse_offer.inverse_offer_id.value);
        return;
      default:
        return;
    }
  }

  /**
   * Maintenance scheduled on agents: nothing new is placed there, and each inverse offer is accepted once the app
   * holds nothing on its agent. Moving running instances off with the health gates is a deploy's (or `titan
   * drain`'s) work: the supervisor says so and leaves them running.
   */
  private onInverseOffers(offers: readonly InverseOffer[]): void {
    const agents: string[] = [];
    for (const offer of offers) {
      const agentId = offer.agent_id?.value;
      if (agentId === undefined) continue;
      const host = offer.url?.address?.hostname ?? agentId;
      const startMs = Number(offer.unavailability.start.nanoseconds) / 1e6;
      this.inverseOffers.set(offer.id.value, { id: offer.id.value, agentId, host, startMs });
      agents.push(agentId);
      if (holdsTasksOn(this.tracked, agentId))
        this.deps.log.warn(this.deps.app, "maintenance scheduled on an agent it runs on", {
          agent: host,
          hint: "titan deploy (or titan drain) moves the instances off with the health gates",
        });
    }
    if (agents.length > 0) this.apply({ type: "leave", agentIds: agents });
  }

  /** The inverse offers of agents the app no longer holds anything on, accepted. */
  private async answerInverseOffers(calls: CallSink): Promise<void> {
    const free = [...this.inverseOffers.values()].filter((o) => !holdsTasksOn(this.tracked, o.agentId));
    if (free.length === 0) return;
    if (!(await calls.send({ kind: "accept_inverse_offers", offers: free }))) return;
    for (const offer of free) {
      this.inverseOffers.delete(offer.id);
      this.deps.log.info(this.deps.app, "inverse_offer", { agent: offer.host, answer: "ACCEPT" });
    }
  }

  /** Status updates, in order, taken in one reducer call; each acknowledged once handled. */
  private async onUpdates(calls: CallSink, statuses: readonly TaskStatus[]): Promise<void> {
    const befores = statuses.map((s) => this.tracked.tasks.get(s.task_id.value));
    this.apply({ type: "statuses", statuses });
    for (const [i, status] of statuses.entries()) this.afterStatus(status, befores[i]);
    // A failed ACK is redelivered by Mesos.
    for (const status of statuses)
      if (status.uuid !== undefined) await calls.send({ kind: "acknowledge", status });
  }

  private afterStatus(status: TaskStatus, before: Tracked | undefined): void {
    const id = status.task_id.value;
    const wasRunning = before?.state === "TASK_RUNNING";
    const killed = before?.killSent === true;
    this.schedule.answered(id);
    const now = this.deps.now();
    if (status.state === "TASK_UNREACHABLE") {
      if (!this.unreachableSince.has(id)) this.unreachableSince.set(id, now);
    } else this.unreachableSince.delete(id);
    if (endsInstance(status.state)) this.writtenAhead = this.writtenAhead.filter((t) => t !== id);
    const fatal = this.tracked.fatal;
    if (fatal !== undefined) {
      // A deploy stops on this; the supervisor keeps trying, as slowly as the app's restart policy allows.
      this.apply({ type: "failure_taken" });
      this.deps.log.error(this.deps.app, `${fatal}; retrying at the longest restart backoff`);
      if (before !== undefined)
        this.heldUntil.set(before.instance, now + this.input.target.spec.restart.maxDelayMs);
    }
    const lostNow = status.state === "TASK_UNREACHABLE" || endsInstance(status.state);
    if (before !== undefined && wasRunning && !killed && lostNow) {
      if (this.deps.brake.lost(before.instance, now, this.input.desired)) {
        const reason = this.deps.brake.current.reason ?? "";
        this.deps.log.error(
          this.deps.app,
          `DISASTER BRAKE: ${reason}; relaunches stop until the instances come back or an operator acts (titan deploy/scale/restart of the app, or a restart of titan supervise)`,
        );
      }
    }
  }

  private onEvent(event: DeployEvent): void {
    const { app, log } = this.deps;
    if (event.type === "failed" || event.type === "lost" || event.type === "unreachable")
      log.warn(app, event.type, eventFields(event));
    else log.info(app, event.type, eventFields(event));
  }

  private supervisedTasks(): SupervisedTask[] {
    const unanswered = this.schedule.unanswered();
    return [...this.tracked.tasks.values()].map((t) => ({
      taskId: t.taskId,
      instance: t.instance,
      incarnation: t.incarnation,
      state: t.state,
      killSent: t.killSent,
      unanswered: unanswered.has(t.taskId),
      ...(t.healthySince === undefined ? {} : { healthySince: t.healthySince }),
      ...(this.unreachableSince.has(t.taskId)
        ? { unreachableSince: this.unreachableSince.get(t.taskId) }
        : {}),
    }));
  }

  /** The restart backoff, and the longer holds of launches that fail the same way every time. */
  private backoffUntil(): Map<number, number> {
    const until = new Map(this.tracked.backoffUntil);
    for (const [instance, at] of this.heldUntil) until.set(instance, Math.max(at, until.get(instance) ?? 0));
    return until;
  }

  private decision(now: number, tasks = this.supervisedTasks()) {
    return superviseDecision({
      desired: this.input.desired,
      now,
      tasks,
      backoffUntil: this.backoffUntil(),
      unreachableGraceMs: this.deps.settings.unreachableGraceMs,
    });
  }

  /** Reconciliation calls, then (once the first round is done and the brake allows) kills and launches. */
  private async tick(calls: CallSink): Promise<void> {
    const now = this.deps.now();
    for (const call of this.schedule.due(now, () => this.tracked.tasks.keys())) {
      const tasks =
        call.kind === "implicit"
          ? []
          : call.taskIds.map((id) => {
              const agentId = this.tracked.tasks.get(id)?.agentId;
              return agentId === undefined ? { taskId: id } : { taskId: id, agentId };
            });
      const sent = await calls.send({ kind: "reconcile", tasks, resendOnFailure: true });
      if (!sent) this.schedule.failed(call);
    }
    this.updateCounters();
    if (this.schedule.lastReconciledAt !== undefined) await this.answerInverseOffers(calls);
    const tasks = this.supervisedTasks();
    const { brake } = this.deps;
    const missing = missingInstances(this.input.desired, tasks);
    if (brake.current.tripped && brake.recovered(missing, this.input.desired, now))
      this.deps.log.info(this.deps.app, "disaster brake released: the lost instances are back");
    this.counters.acting = this.schedule.lastReconciledAt !== undefined && !brake.current.tripped;
    if (!this.counters.acting) return;
    const decision = this.decision(now, tasks);
    for (const action of decision.actions)
      if (action.kind === "kill") await this.kill(calls, action.taskId, action.reason);
    const launching = decision.actions.some((a) => a.kind === "launch");
    if (launching && (this.suppressed || this.refusedLong)) {
      if (await calls.send({ kind: "revive" })) {
        this.suppressed = false;
        this.refusedLong = false;
      }
    } else if (decision.pending.length === 0 && !this.suppressed) {
      if (await calls.send({ kind: "suppress" })) this.suppressed = true;
    }
  }

  private updateCounters(): void {
    const byState: Record<string, number> = {};
    for (const t of this.tracked.tasks.values()) byState[t.state] = (byState[t.state] ?? 0) + 1;
    this.counters.tasksByState = byState;
    this.counters.reconcileCalls = this.schedule.calls;
    this.counters.unanswered = this.schedule.unanswered().size;
    const at = this.schedule.lastReconciledAt;
    if (at !== undefined) this.counters.lastReconciledAt = at;
  }

  private async kill(calls: CallSink, taskId: string, reason: string): Promise<void> {
    const task = this.tracked.tasks.get(taskId);
    if (!task) return;
    this.apply({ type: "kill_sent", taskId });
    this.deps.log.info(this.deps.app, "killing", { task: taskId, instance: task.instance, reason });
    const sent = await calls.send(killCall(this.tracked, task));
    // The next turn decides the kill again.
    if (!sent) this.apply({ type: "kill_failed", taskId });
  }

  private async onOffers(calls: CallSink, offers: readonly Offer[]): Promise<void> {
    if (offers.length === 0) return;
    const launches = this.counters.acting
      ? this.decision(this.deps.now()).actions.flatMap((a) => (a.kind === "launch" ? [a.instance] : []))
      : [];
    if (launches.length === 0) {
      this.refusedLong = true;
      await this.decline(calls, offers, IDLE_REFUSE_SECONDS);
      return;
    }
    const { target } = this.input;
    const decision = decideOffers({
      spec: target.spec,
      seed: this.deps.settings.seed,
      offers,
      launches,
      planned: new Map(),
      running: runningTasks(this.tracked),
      draining: this.tracked.leaving,
    });
    const perOffer = carveLaunches(decision.placements, {
      app: this.deps.app,
      target,
      region: this.deps.region,
      ...(this.deps.containerizer === undefined ? {} : { containerizer: this.deps.containerizer }),
      now: this.deps.now(),
      nextIncarnation: (release, instance) => nextIncarnation(this.tracked, release, instance),
    });
    if (perOffer.size > 0) await this.writeAhead(perOffer);
    for (const [offer, batch] of perOffer) {
      this.apply({ type: "launched", tasks: batch.map((b) => b.tracked) });
      for (const { tracked } of batch) {
        this.counters.relaunches += 1;
        this.deps.log.info(this.deps.app, "launch", {
          task: tracked.taskId,
          instance: tracked.instance,
          host: tracked.host,
        });
      }
      const accept: SchedulerCall = {
        kind: "accept",
        offer,
        launches: batch,
        refuseSeconds: RETRY_REFUSE_SECONDS,
      };
      // The master may have received it: ask before launching those instances again.
      if (!(await calls.send(accept)))
        this.schedule.begin(
          this.deps.now(),
          batch.map((b) => b.tracked.taskId),
        );
    }
    await this.decline(
      calls,
      decision.unused.map((u) => u.offer),
      RETRY_REFUSE_SECONDS,
    );
  }

  /** Written ahead like a deploy's launches: a supervisor that dies after the ACCEPT leaves ids the next one asks about. */
  private async writeAhead(perOffer: ReadonlyMap<Offer, ReadonlyArray<{ tracked: { taskId: string } }>>) {
    const ids = [...perOffer.values()].flatMap((batch) => batch.map((b) => b.tracked.taskId));
    this.writtenAhead = [...new Set([...this.writtenAhead, ...ids])];
    await this.deps.store.saveProgress(this.deps.app, {
      release: this.input.target.release.number,
      phase: "finished",
      launched: this.writtenAhead,
      incarnations: raiseFloor(incarnationFloor(this.tracked), ids),
      updatedAt: this.deps.now(),
    });
  }

  private async decline(calls: CallSink, offers: readonly Offer[], seconds: number): Promise<void> {
    if (offers.length === 0) return;
    this.counters.offersDeclined += offers.length;
    await calls.send({ kind: "decline", offerIds: offers.map((o) => o.id.value), refuseSeconds: seconds });
  }
}

/** Another subscriber (a deploy) failed the framework over to itself: the supervisor steps aside. */
function isTakeover(error: unknown): boolean {
  return error instanceof Error && /failed over/i.test(error.message);
}

function eventFields(event: DeployEvent): Record<string, unknown> {
  const { type: _type, app: _app, ...rest } = event;
  return rest;
}
