import { TitanError } from "../cli/errors.js";
import type { BrokenLock, LockRecord } from "./types.js";

function describeHolder(lock: LockRecord, now: number): string {
  const since = Math.max(0, Math.round((now - lock.acquiredAt) / 1000));
  return `${lock.user}@${lock.host} (pid ${lock.pid}, ${lock.purpose}, for ${since}s)`;
}

/** An import takes no lock over (it has no --force-unlock): it waits, as the lock's lease says how long. */
export const IMPORT_LOCK_HINT =
  "wait for that deploy to finish, then import again (a lock whose deploy is gone holds nothing once its lease expires)";

/** Another deploy holds the app's lock. */
export class LockHeldError extends TitanError {
  readonly holder: LockRecord;
  constructor(
    app: string,
    holder: LockRecord,
    now: number,
    region?: string,
    hint = "wait for it to finish; if that deploy is gone for good, re-run with --force-unlock",
  ) {
    const where = region === undefined ? "" : ` in ${region}`;
    super(`app ${app} is locked${where} by ${describeHolder(holder, now)}`, { hint });
    this.holder = holder;
  }
}

/** The lock was taken over (it expired, or someone forced it) while this process thought it held it. */
export class LockLostError extends TitanError {
  constructor(app: string) {
    super(`lost the deploy lock of ${app}: another titan took it over`, {
      hint: "stop and check `titan ps`; the other deploy is now in charge",
    });
  }
}

/** The state store is unreadable or corrupt. */
export class StateStoreError extends TitanError {
  constructor(message: string, hint: string) {
    super(message, { hint });
  }
}

const FS_HINTS: Readonly<Record<string, string>> = {
  EACCES: "check the permissions of the state directory (ls -ld on it and its parents)",
  EPERM: "check the permissions of the state directory (ls -ld on it and its parents)",
  ENOTDIR: "a file stands where the state store expects a directory; move it away",
  EISDIR: "a directory stands where the state store expects a file; move it away",
  ENOSPC: "the disk holding the state store is full",
  EROFS: "the state store is on a read-only file system; point `state:` of the cluster elsewhere",
  EDQUOT: "the disk quota for the state store is used up",
};

/** A file-system failure of the state store, reported as what it is (EPERM, ENOTDIR, ...) with the path. */
export function fileSystemError(error: unknown, what: string): TitanError {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code !== "string")
    return new StateStoreError(`cannot ${what}: ${String(error)}`, "re-run the command");
  const where = e.path === undefined ? "" : ` at ${e.path}`;
  return new StateStoreError(
    `cannot ${what}: ${e.code}${where}`,
    FS_HINTS[e.code] ?? "check the state directory and its permissions",
  );
}

/** What to say when a lock was taken over: whose it was and why it could be taken. */
export function describeBrokenLock(app: string, broken: BrokenLock, now: number): string {
  const previous = broken.previous;
  if (previous === undefined)
    return `cleared the damaged deploy lock of ${app} (${broken.detail ?? "unreadable"})`;
  const holder = describeHolder(previous, now);
  switch (broken.reason) {
    case "expired":
      return `took over the deploy lock of ${app} from ${holder}: its lease expired ${Math.max(0, Math.round((now - previous.expiresAt) / 1000))}s ago`;
    case "dead":
      return `took over the deploy lock of ${app} from ${holder}: that process is gone`;
    default:
      return `--force-unlock: took the deploy lock of ${app} from ${holder}`;
  }
}
