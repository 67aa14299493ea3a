import type { TitanTask } from "../cluster/types.js";
import { BRAKE_RELEASED, type Brake } from "../deploy/brake.js";
import { launchEnvironment } from "../deploy/environment.js";
import { FrameworkRemovedError } from "../mesos/errors.js";
import { desiredInstances } from "../plan/regions.js";
import { newestDeployed } from "../state/deployed.js";
import type { Release } from "../state/types.js";
import { abortable } from "./abortable.js";
import { fromProgressRecord, type SessionDeps, SupervisedSession } from "./app-session.js";
import { deployHoldsLock } from "./deploy-lock.js";
import type { Leadership, LeaderTerm } from "./leadership.js";
import type { AppStats, SupervisionMode } from "./metrics.js";

/** What the supervisor reads of the master's state for one app. */
export interface AppTasks {
  tasks: TitanTask[];
  /** The ids of the cluster's agents that have GPUs. */
  gpuAgents: ReadonlySet<string>;
  /** Agents that have not re-registered since the master failed over: it lists none of their tasks. */
  recoveringAgents?: number;
}

export interface AppSupervisorDeps extends Omit<SessionDeps, "app"> {
  leadership: Leadership;
  vars: Readonly<Record<string, string | undefined>>;
  /**
   * The app's tasks of the given framework in the master's state, ended ones included, and its GPU agents, from a
   * read begun at `notBefore` or later.
   */
  readTasks(app: string, frameworkId: string, signal: AbortSignal, notBefore: number): Promise<AppTasks>;
  /** Waits (a timer, cut short by the signal). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Before subscribing again after a failure: grows to this cap. */
  retryMaxMs?: number;
  /** Told when the supervisor comes to lead the app, or stops leading it (its report says so at once). */
  leadChanged?: () => void;
}

/** The release the supervisor keeps running: the newest one a deploy finished as deployed. */
export function desiredRelease(releases: readonly Release[]): Release | undefined {
  return newestDeployed(releases);
}

/**
 * The release whose instance count the supervisor keeps: the deployed one's, unless a newer release of the same
 * spec is still pending (a `titan stop` or `scale` interrupted, nothing carrying it out): the count was asked for
 * and involves no unproven spec, so the supervisor keeps it rather than undo it (relaunching what a stop killed).
 * A pending release of another spec waits for its deploy; the deployed spec is what is kept meanwhile.
 */
export function countedRelease(releases: readonly Release[], deployed: Release): Release {
  const newest = releases.at(-1);
  if (newest === undefined || newest.outcome !== "pending" || newest.number < deployed.number)
    return deployed;
  return newest.manifestDigest === deployed.manifestDigest ? newest : deployed;
}

/**
 * One app under supervision, for the life of `titan supervise`: contends for its lead; while it leads, holds the
 * app's framework (subscribed with the stored framework id) and keeps it at its newest deployed release's count;
 * steps aside while a deploy holds the app's lock and takes over again after; gives the lead up at shutdown.
 */
export class AppSupervisor {
  /** The disaster brake, kept from one subscription to the next. */
  private brake: Brake = BRAKE_RELEASED;
  private mode: SupervisionMode = "starting";
  private leading = false;
  private desired = 0;
  private session: SupervisedSession | undefined;
  private lastReconciledAt: number | undefined;
  private totals = { relaunches: 0, offersDeclined: 0, reconcileCalls: 0 };
  private noted = "";

  constructor(
    readonly app: string,
    private readonly deps: AppSupervisorDeps,
  ) {}

  stats(): AppStats {
    const counters = this.session?.counters;
    const brake = this.session?.brake ?? this.brake;
    const lastReconciledAt = counters?.lastReconciledAt ?? this.lastReconciledAt;
    return {
      app: this.app,
      mode: this.mode === "supervising" && counters?.acting === false ? "holding" : this.mode,
      leader: this.leading,
      desired: this.desired,
      tasksByState: counters?.tasksByState ?? {},
      relaunches: this.totals.relaunches + (counters?.relaunches ?? 0),
      offersDeclined: this.totals.offersDeclined + (counters?.offersDeclined ?? 0),
      reconcileCalls: this.totals.reconcileCalls + (counters?.reconcileCalls ?? 0),
      unanswered: counters?.unanswered ?? 0,
      awaitingOffers: counters?.awaitingOffers ?? 0,
      inBackoff: counters?.inBackoff ?? 0,
      backoff: counters?.backoff ?? [],
      ...(lastReconciledAt === undefined ? {} : { lastReconciledAt }),
      brake: brake.tripped,
      ...(brake.reason === undefined ? {} : { brakeReason: brake.reason }),
    };
  }

  /** Runs until `signal` aborts; never throws for the app's own troubles (they are logged and retried). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.mode = "standby";
      let term: LeaderTerm;
      try {
        term = await this.deps.leadership.acquire(this.app, signal);
      } catch (error) {
        if (signal.aborted) return;
        this.deps.log.error(this.app, `could not contend for the lead: ${message(error)}`);
        await this.deps.sleep(this.deps.retryMaxMs ?? 30_000, signal);
        continue;
      }
      this.leading = true;
      this.deps.log.info(this.app, "leading");
      this.deps.leadChanged?.();
      const stop = AbortSignal.any([signal, term.lost]);
      try {
        await this.lead(stop);
      } finally {
        this.leading = false;
        this.mode = "standby";
        // The next term says what it does again, even if it is what this one last said.
        this.noted = "";
        this.deps.leadChanged?.();
        await term.resign().catch(() => undefined);
        if (term.lost.aborted && !signal.aborted)
          this.deps.log.error(this.app, `lost the lead (${message(term.lost.reason)}); stopped acting`);
      }
    }
  }

  /** While leading: step aside for deploys, otherwise hold the framework and supervise. */
  private async lead(stop: AbortSignal): Promise<void> {
    let failures = 0;
    while (!stop.aborted) {
      try {
        // A turn waiting on the store (cut off from ZooKeeper with the lead) must not keep a lost leader in it.
        const waitMs = await abortable(this.once(stop), stop);
        failures = 0;
        if (waitMs > 0) await this.deps.sleep(waitMs, stop);
      } catch (error) {
        if (stop.aborted) return;
        failures += 1;
        const delay = Math.min(this.deps.retryMaxMs ?? 30_000, 1000 * 2 ** Math.min(failures - 1, 5));
        this.deps.log.error(this.app, `${message(error)}; trying again in ${Math.round(delay / 1000)}s`);
        await this.deps.sleep(delay, stop);
      }
    }
  }

  /** One turn: returns how long to wait before the next one. */
  private async once(stop: AbortSignal): Promise<number> {
    const { store, settings } = this.deps;
    const lockCheckedAt = this.deps.now();
    if (await deployHoldsLock(store, this.app, lockCheckedAt)) {
      this.setMode(stop, "aside", "a deploy holds the app's lock: stepping aside until it finishes");
      // An operator acted: whatever tripped the brake is theirs to have judged.
      this.brake = BRAKE_RELEASED;
      return settings.lockPollMs;
    }
    const releases = await store.releases(this.app);
    const release = desiredRelease(releases);
    const frameworkId = await store.frameworkId(this.app);
    if (release === undefined || frameworkId === undefined) {
      this.setMode(stop, "idle", "nothing to supervise: no deployed release (or no framework) recorded yet");
      return Math.max(settings.lockPollMs, 5000);
    }
    const counted = countedRelease(releases, release);
    this.desired = desiredInstances(counted.spec, this.deps.region);
    // A stopped app launches nothing, so its secrets are not read: they may be gone from this machine.
    const environment = await launchEnvironment(release.spec, this.desired, this.deps.vars);
    // The master's state as it was before the lock was found free may predate a deploy's last kills.
    const {
      tasks: known,
      gpuAgents,
      recoveringAgents,
    } = await this.deps.readTasks(this.app, frameworkId, stop, lockCheckedAt);
    const progress = await store.progress(this.app);
    // A turn the lost lead abandoned (its caller no longer waits for it) must not start a session of its own.
    stop.throwIfAborted();
    const session = new SupervisedSession(
      {
        ...this.deps,
        app: this.app,
        framework: { ...this.deps.framework, user: release.spec.user ?? this.deps.framework.user },
      },
      {
        target: { spec: release.spec, release, environment },
        desired: this.desired,
        releases,
        frameworkId,
        known,
        gpuAgents,
        ...(recoveringAgents === undefined ? {} : { recoveringAgents }),
        ...fromProgressRecord(progress),
        brake: this.brake,
      },
    );
    this.session = session;
    const count = counted === release ? "" : ` (the count of release ${counted.number}, unfinished)`;
    this.setMode(
      stop,
      "supervising",
      `supervising release ${release.number}: ${this.desired} instance(s)${count}`,
    );
    try {
      const end = await session.run(stop);
      if (end === "taken over")
        this.deps.log.info(
          this.app,
          "another subscriber took the framework over (a deploy?): stepping aside",
        );
      return end === "stopped" ? 0 : settings.lockPollMs;
    } catch (error) {
      if (error instanceof FrameworkRemovedError) {
        this.setMode(
          stop,
          "idle",
          `Mesos removed the framework of ${this.app}: only a deploy can start it again`,
        );
        return 60_000;
      }
      throw error;
    } finally {
      this.keepTotals(session);
      this.session = undefined;
    }
  }

  private keepTotals(session: SupervisedSession): void {
    this.brake = session.brake;
    const c = session.counters;
    this.totals = {
      relaunches: this.totals.relaunches + c.relaunches,
      offersDeclined: this.totals.offersDeclined + c.offersDeclined,
      reconcileCalls: this.totals.reconcileCalls + c.reconcileCalls,
    };
    if (c.lastReconciledAt !== undefined) this.lastReconciledAt = c.lastReconciledAt;
  }

  /**
   * Says what the supervisor does for the app once per change, not on every turn. A turn whose lead is gone says
   * nothing: `lead()` stops waiting for it when its signal aborts, but its store reads carry on, and what they
   * find must not overwrite the standby the lost lead left (a late `aside` would be reported for good).
   */
  private setMode(stop: AbortSignal, mode: SupervisionMode, line: string): void {
    if (stop.aborted) return;
    this.mode = mode;
    if (this.noted === line) return;
    this.noted = line;
    this.deps.log.info(this.app, line, { mode });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
