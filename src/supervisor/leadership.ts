/**
 * Who may act for an app: at most one supervisor at a time. Supervisors contend per app, so one that supervises
 * `--all` and another that supervises `web` never both act on `web`. A store that can tell a contender's liveness
 * (ZooKeeper's ephemeral nodes) elects; the leader learns at once when it may have lost the lead and stops acting
 * before anyone else can start.
 */
export interface Leadership {
  /** Resolves once this process leads `app`; rejects with the signal's reason when `signal` aborts first. */
  acquire(app: string, signal: AbortSignal): Promise<LeaderTerm>;
  /** Who leads `app` now, as a contender describes itself, or undefined when nobody does. */
  leader(app: string): Promise<SupervisorIdentity | undefined>;
}

export interface LeaderTerm {
  /** Aborted the moment the lead may be lost (session expired, connection lost past its timeout): stop at once. */
  readonly lost: AbortSignal;
  /** Gives the lead up (shutdown, or the app left the set); the next contender takes over. */
  resign(): Promise<void>;
}

/** How a supervisor names itself to its peers and to `titan ps`. */
export interface SupervisorIdentity {
  user: string;
  host: string;
  pid: number;
  /** When this supervisor started, epoch ms. */
  startedAt: number;
}
