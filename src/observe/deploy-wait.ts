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
  | { kind: "none" };

export interface WaitRecords {
  releases: readonly Release[];
  progress: DeployProgress | undefined;
  lock: LockRecord | undefined;
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
  if (newest === undefined) return { kind: "none" };
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
