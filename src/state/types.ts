import type { AppSpec } from "../manifest/types.js";

/** Who holds a deploy lock, shown to whoever is refused. */
export interface LockOwner {
  user: string;
  host: string;
  pid: number;
  /** What the holder is doing, e.g. "deploy api release 4". */
  purpose: string;
}

export interface LockRecord extends LockOwner {
  /** Random token: only the holder of this token may renew or release. */
  token: string;
  acquiredAt: number;
  /** Epoch ms after which the lock is stale unless renewed. */
  expiresAt: number;
}

export type ReleaseOutcome = "pending" | "deployed" | "failed" | "rolled_back" | "superseded";

/** A deployed manifest, numbered per app. Secrets appear only as references (they are never resolved here). */
export interface Release {
  app: string;
  number: number;
  image?: string;
  /** The image digest the release pins, once resolved. */
  imageDigest?: string;
  /** Digest of the normalised app spec; tasks carry it as a label. */
  manifestDigest: string;
  spec: AppSpec;
  createdAt: number;
  user: string;
  outcome: ReleaseOutcome;
  /** Why it failed or was rolled back. */
  detail?: string;
  finishedAt?: number;
  /** Regions a multi-region deploy left out (--skip-region) and that therefore lag this release. */
  lagging?: string[];
  /** Why it replaced instances outside the app's disruption windows (`--override-disruption`). */
  disruptionOverride?: string;
  /**
   * The titan command that made it, as its interruption's hint names it (e.g. `titan stop web`): what resumes it
   * while it is pending, said by `titan status` on any machine. Absent in records written before it was kept.
   */
  command?: string;
  /**
   * The multi-region rollout that made it: a digest of every region's spec of the rollout's apps, the same when
   * the same deploy is run again, so a resumed rollout knows the regions an earlier run of it deployed.
   */
  rollout?: string;
}

export type ReleaseDraft = Omit<Release, "number" | "outcome" | "createdAt"> & { createdAt?: number };

/**
 * The write-ahead record of a deploy in progress: every task id titan sent a LAUNCH for is written here before
 * the ACCEPT, so a later run can reconcile exactly those ids (Mesos forgets tasks it never started).
 */
export interface DeployProgress {
  release: number;
  phase: "deploying" | "rolling_back" | "interrupted" | "finished";
  /**
   * Task ids a LAUNCH was (or was about to be) sent for, and those of every other task of the app the writer knew
   * live: a master that failed over shows no task of an agent that has not re-registered yet, and the next run asks
   * about these instead of taking their instances for missing. An ended task's id leaves it.
   */
  launched: string[];
  /**
   * The agent of each id of `launched` titan knew it on, by task id: the next run names it when it asks the master,
   * which answers TASK_UNREACHABLE for a task of an agent it marked unreachable only when asked with that agent
   * (without it, the task is unknown). Absent in records written before it was kept.
   */
  agents?: Record<string, string>;
  /**
   * The highest incarnation ever launched per `release.instance`, never pruned: the next launch of an instance
   * takes a task id above it, so no id is used twice (absent in records written before it was kept).
   */
  incarnations?: Record<string, number>;
  updatedAt: number;
  /**
   * What the deploy last said it waits for (after a few quiet seconds, again while the wait lasts) and when it said
   * it: `titan status` shows it to whoever asks. The next write of progress (a launch, the end) drops it.
   */
  waiting?: { for: string; at: number };
  /**
   * Set while the deploy rolls a failed release back: that release, the one it goes back to, and the command that
   * finishes the rollback if the deploy stops (`titan status` names it; re-running the deploy would deploy the
   * failed release again).
   */
  rollback?: { from: number; to: number; finish?: string };
  /**
   * When running instances of the app were taken down on purpose within the last hour (replaced or moved), oldest
   * first: what `disruption.max_per_hour` counts, carried from one deploy to the next.
   */
  disrupted?: number[];
  /**
   * The share of `disrupted` each task still live was charged, by task id: a KILL of it sent again (a later run's,
   * when the one that charged it stopped before the task ended) takes no second share. A task's entry goes once it
   * has ended; its time stays in `disrupted` for the hour.
   */
  disruptedTasks?: Record<string, number>;
}

/**
 * Everything a store keeps about one app except its lock (a lock belongs to a running titan, never to a copy):
 * the unit `titan state export|import` moves between stores. The app's desired state is its newest deployed
 * release (its spec holds the instance count), so it needs no record of its own.
 */
export interface AppRecord {
  app: string;
  frameworkId?: string;
  releases: Release[];
  progress?: DeployProgress;
}

/** A lock taken over from its previous holder, said out loud by whoever took it. */
export interface BrokenLock {
  /** The previous holder, when its record could be read. */
  previous?: LockRecord;
  /** forced: --force-unlock from a live holder; expired: its lease ran out; dead: its pid is gone on this
   * host; damaged: the lock file was not a lock record (only with --force-unlock). */
  reason: "forced" | "expired" | "dead" | "damaged";
  /** For a damaged lock: what is wrong with it. */
  detail?: string;
}

export interface AcquireOptions {
  /** Take the lock even from a live holder, or when its file is damaged. */
  force?: boolean;
  /** Told about a lock that was broken to take this one, with its previous owner. */
  onBreak?: (broken: BrokenLock) => void;
}

/** One app as a running `titan supervise` reports it. */
export interface SupervisedApp {
  app: string;
  /** starting, standby (another supervisor leads), aside (a deploy holds the lock), holding, supervising, idle. */
  mode: string;
  leader: boolean;
  /** When the supervisor last completed a reconciliation of the app, epoch ms. */
  lastReconciledAt?: number;
  /** Why the disaster brake holds the app's relaunches, while it does. */
  brake?: string;
  /** The instances it holds in restart backoff: each will be launched again, and when. */
  backoff?: InstanceBackoff[];
}

/**
 * An instance whose task ended on its own and that the supervisor launches again once its restart backoff has
 * passed (a crash loop's instance between two of its runs).
 */
export interface InstanceBackoff {
  instance: number;
  /** Its ends in a row so far (what its backoff grows with). */
  restarts: number;
  /** When the supervisor launches it again, epoch ms. */
  nextLaunchAt: number;
  /** The Mesos state its last task ended in, e.g. TASK_FAILED. */
  lastState?: string;
  /** Why it ended, in a few words: `exit 1`, `failed its health check`, the agent's message. */
  reason?: string;
}

/**
 * What a running `titan supervise` says about itself in the state store, refreshed while it runs: `titan ps` and
 * `titan status` show from it which supervisor covers an app. A report past `expiresAt` is a supervisor gone.
 */
export interface SupervisorReport {
  /** Unique per supervisor process, usable as a file or node name. */
  id: string;
  user: string;
  host: string;
  pid: number;
  startedAt: number;
  /** The apps it was started for, or "all" (`--all`: every app in the store, also ones added later). */
  scope: string[] | "all";
  apps: SupervisedApp[];
  /** Where its /healthz and /metrics answer. */
  listen?: string;
  updatedAt: number;
  expiresAt: number;
}

/** What titan keeps that Mesos does not: framework ids, releases, deploy locks. */
export interface StateStore {
  /** e.g. file:///home/me/.local/share/titan/state/local; never shows credentials. */
  describe(): string;
  /** Every app the store holds records of, sorted. */
  apps(): Promise<string[]>;
  /** Whether the store was ever written to: its directory, or its ZooKeeper node, exists. */
  exists(): Promise<boolean>;
  /** Writes an app's records exactly as given (numbers, times, outcomes), replacing what the store had. */
  importApp(record: AppRecord): Promise<void>;
  /** Gives back what the store holds open (a ZooKeeper session and with it every lock it holds). */
  close(): Promise<void>;
  /**
   * Calls `listener` at once if the store learns that `lock` is gone (a ZooKeeper session that expired), so the
   * holder stops before its next renewal. Returns a function that stops listening. Optional: stores whose locks
   * are leases have nothing to report between renewals.
   */
  watchLock?(app: string, lock: LockRecord, listener: (error: Error) => void): () => void;
  frameworkId(app: string): Promise<string | undefined>;
  setFrameworkId(app: string, id: string): Promise<void>;
  /** Drops the saved framework id (Mesos removed the framework); the next subscription registers a new one. */
  forgetFrameworkId(app: string): Promise<void>;
  forgetApp(app: string): Promise<void>;
  releases(app: string): Promise<Release[]>;
  addRelease(draft: ReleaseDraft): Promise<Release>;
  finishRelease(app: string, number: number, outcome: ReleaseOutcome, detail?: string): Promise<Release>;
  /**
   * Takes the app's deploy lock or throws LockHeldError naming the holder. A stale lock (expired, or its pid
   * gone on this host) is broken and `onBreak` told whose it was; `force` also takes it from a live holder.
   */
  acquireLock(app: string, owner: LockOwner, leaseMs: number, options?: AcquireOptions): Promise<LockRecord>;
  /** Extends the lease; throws LockLostError if another holder took it. */
  renewLock(app: string, lock: LockRecord, leaseMs: number): Promise<LockRecord>;
  /** Releases the lock if this holder still has it; never throws for a lock already gone. */
  releaseLock(app: string, lock: LockRecord): Promise<void>;
  /** The lock's holder; throws StateStoreError naming the file when the lock file is damaged. */
  currentLock(app: string): Promise<LockRecord | undefined>;
  progress(app: string): Promise<DeployProgress | undefined>;
  /** Durable before it returns: callers launch only after this. */
  saveProgress(app: string, progress: DeployProgress): Promise<void>;
  /** Every supervisor report the store holds (expired ones included: the reader judges them). */
  supervisorReports(): Promise<SupervisorReport[]>;
  /** Writes (or replaces) a supervisor's report. */
  saveSupervisorReport(report: SupervisorReport): Promise<void>;
  /** Removes a supervisor's report (it stopped); never throws for one already gone. */
  removeSupervisorReport(id: string): Promise<void>;
}
