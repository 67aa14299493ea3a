import type { DeployProgress, LockRecord, Release } from "../state/types.js";

/** Where an app's newest release stands for `titan status --wait`, from its records in the state store. */
export type DeployWait =
  | { kind: "running"; release: number; by: string; waiting?: DeployProgress["waiting"] }
  | { kind: "ended"; release: Release }
  | {
      kind: "abandoned";
      release: number;
      why: string;
      /** The command that carries the release out: re-runs its deploy, or finishes its rollback. */
      resume: string;
      /** The deploy stopped while it rolled the failed release back: `resume` finishes that rollback. */
      rollingBack?: true;
    }
  /**
   * A deploy of the app is on its way and has not recorded its release yet: it holds the lock of an app with no
   * release, or it was started detached on this machine and may still be waiting (for a failed-over master's agents,
   * say) before it plans.
   */
  | { kind: "starting"; by: string; said?: string }
  /** The detached deploy ended before it recorded a release, with its exit code when it could say. */
  | { kind: "unstarted"; pid: number; log: string; exitCode?: number }
  | { kind: "none" };

/** A deploy started with `--detach` on this machine, as its record (kept beside its log) says. */
export interface DetachedRun {
  pid: number;
  startedAt: number;
  log: string;
  /** The last line it wrote to its log. */
  said?: string;
  /** Its exit code, once it ended and said so. */
  exitCode?: number;
}

export interface WaitRecords {
  releases: readonly Release[];
  progress: DeployProgress | undefined;
  lock: LockRecord | undefined;
  /** The newest detached deploy of the app started on this machine against this store, if any. */
  detached?: DetachedRun;
}

export interface Liveness {
  now: number;
  /** This machine's host name: a lock held here by a process that is gone is not held. */
  hostname: string;
  isAlive(pid: number): boolean;
}

/**
 * A pending release is running while a deploy holds the app's lock (unexpired, and not held by a dead process of
 * this machine), whatever an earlier run's progress record says (a re-run resumes the release); otherwise nothing
 * carries it out until `titan deploy` is run again. A release of any other outcome has ended.
 */
export function deployWait(records: WaitRecords, live: Liveness): DeployWait {
  const newest = records.releases.at(-1);
  const run = records.detached;
  // A detached deploy started after the newest release was recorded has not recorded its own.
  if (run !== undefined && (newest === undefined || newest.createdAt < run.startedAt)) {
    if (run.exitCode === undefined && live.isAlive(run.pid))
      return {
        kind: "starting",
        by: `detached, pid ${run.pid}`,
        ...(run.said === undefined ? {} : { said: run.said }),
      };
    return {
      kind: "unstarted",
      pid: run.pid,
      log: run.log,
      ...(run.exitCode === undefined ? {} : { exitCode: run.exitCode }),
    };
  }
  if (newest === undefined) {
    // A first deploy holds the lock a moment before it records its release.
    if (records.lock !== undefined && lockGone(records.lock, live) === undefined)
      return { kind: "starting", by: `${records.lock.user}@${records.lock.host}, pid ${records.lock.pid}` };
    return { kind: "none" };
  }
  if (newest.outcome !== "pending") return { kind: "ended", release: newest };
  // While a deploy rolls the release back, its progress names the release it goes back to, and where it comes from.
  const rollback = records.progress?.rollback?.from === newest.number ? records.progress.rollback : undefined;
  const progress =
    records.progress?.release === newest.number || rollback !== undefined ? records.progress : undefined;
  const stopped = lockGone(records.lock, live);
  if (stopped === undefined && records.lock !== undefined)
    return {
      kind: "running",
      release: newest.number,
      by: `${records.lock.user}@${records.lock.host}, pid ${records.lock.pid}`,
      ...(progress?.waiting === undefined ? {} : { waiting: progress.waiting }),
    };
  if (rollback !== undefined)
    return {
      kind: "abandoned",
      release: newest.number,
      why: `it failed, and its deploy stopped while rolling it back to release ${rollback.to}`,
      resume: rollback.finish ?? "titan rollback",
      rollingBack: true,
    };
  const why =
    progress?.phase === "interrupted"
      ? "its deploy was interrupted"
      : (stopped ?? "no deploy holds the app's lock");
  return { kind: "abandoned", release: newest.number, why, resume: resumeCommand(newest) };
}

/**
 * What resumes a pending release: the command that made it, as it recorded it; for a release recorded without it,
 * the deploy of the manifest (which resumes a release of the same spec).
 */
export function resumeCommand(release: Release): string {
  return release.command ?? "titan deploy";
}

/** Why no deploy holds the lock, or undefined while one does. */
export function lockGone(lock: LockRecord | undefined, live: Liveness): string | undefined {
  if (lock === undefined) return "no deploy holds the app's lock";
  if (lock.expiresAt < live.now)
    return `the lock of ${lock.user}@${lock.host} (pid ${lock.pid}) expired: that deploy stopped`;
  if (lock.host === live.hostname && !live.isAlive(lock.pid))
    return `the deploy that held the lock (pid ${lock.pid} on this machine) is gone`;
  return undefined;
}
