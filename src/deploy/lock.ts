import { lockTaken } from "../cli/stopping.js";
import type { BrokenLock, LockOwner, LockRecord, StateStore } from "../state/types.js";

/** How long a deploy lock's lease lasts; it is renewed at a third of that. */
export const LOCK_LEASE_MS = 30_000;

export interface HeldLock {
  record: LockRecord;
  /**
   * Renews the lease now, which confirms the lock is still this process's: false (and `onLost` called) when another
   * titan has taken it over since the last renewal.
   */
  confirm(): Promise<boolean>;
  /** Stops renewing and gives the lock back; never throws. */
  release(): Promise<void>;
}

export interface LockOptions {
  leaseMs: number;
  force: boolean;
  /** Called once if a renewal finds the lock taken over; the deploy must stop. */
  onLost: (error: unknown) => void;
  /** Told whose lock was taken over (expired, holder gone, or forced). */
  onBreak?: (broken: BrokenLock) => void;
}

/**
 * Takes the app's deploy lock and renews its lease at a third of its length, so a crashed titan leaves a lock
 * that expires by itself (and one whose pid is dead on this host is broken at once by the next deploy).
 */
export async function holdLock(
  store: StateStore,
  app: string,
  owner: LockOwner,
  options: LockOptions,
): Promise<HeldLock> {
  let record = await store.acquireLock(app, owner, options.leaseMs, {
    force: options.force,
    ...(options.onBreak === undefined ? {} : { onBreak: options.onBreak }),
  });
  const given = lockTaken();
  let renewing: Promise<void> = Promise.resolve();
  let lost = false;
  const onLost = (error: unknown): void => {
    if (lost) return;
    lost = true;
    clearInterval(timer);
    options.onLost(error);
  };
  const timer = setInterval(
    () => {
      renewing = store
        .renewLock(app, record, options.leaseMs)
        .then((renewed) => {
          record = renewed;
        })
        .catch(onLost);
    },
    Math.max(50, Math.floor(options.leaseMs / 3)),
  );
  timer.unref();
  // A store that learns of the loss between renewals (an expired ZooKeeper session) stops the deploy at once.
  const unwatch = store.watchLock?.(app, record, onLost) ?? (() => {});
  return {
    get record() {
      return record;
    },
    async confirm() {
      if (lost) return false;
      try {
        record = await store.renewLock(app, record, options.leaseMs);
        return true;
      } catch (error) {
        onLost(error);
        return false;
      }
    },
    async release() {
      clearInterval(timer);
      unwatch();
      await renewing;
      await store.releaseLock(app, record).catch(() => undefined);
      given();
    },
  };
}

/**
 * Locks taken before the deploys that use them, and renewed meanwhile. `titan drain` takes the lock of every app it
 * moves before their agents join the maintenance schedule: from then on a `titan supervise` of those apps steps
 * aside (as for any deploy) instead of moving the same instances when the master's inverse offers come, and the
 * drain moves each app in turn with its plan and health gates.
 */
export interface LocksAhead {
  /**
   * The app's lock, when it was taken ahead, handed to its deploy: its loss is told to `onLost` from now on (at
   * once when it was lost meanwhile). Undefined for an app whose lock was not taken ahead.
   */
  take(app: string, onLost: (error: unknown) => void): HeldLock | undefined;
  /** Gives back every lock no deploy took (the deploys stopped before those apps); never throws. */
  releaseRest(): Promise<void>;
}

/** Takes the apps' locks in order; when one is refused, gives back those already taken and throws its error. */
export async function holdLocksAhead(
  store: StateStore,
  apps: readonly string[],
  owner: (app: string) => LockOwner,
  options: Pick<LockOptions, "leaseMs" | "force"> & { onBreak?: (app: string, broken: BrokenLock) => void },
): Promise<LocksAhead> {
  type Entry = { onLost?: (error: unknown) => void; lost?: { error: unknown } };
  const held = new Map<string, Entry & { lock: HeldLock }>();
  try {
    for (const app of apps) {
      const entry: Entry = {};
      const { onBreak } = options;
      const lock = await holdLock(store, app, owner(app), {
        leaseMs: options.leaseMs,
        force: options.force,
        ...(onBreak === undefined ? {} : { onBreak: (broken: BrokenLock) => onBreak(app, broken) }),
        onLost: (error) => {
          if (entry.onLost === undefined) entry.lost = { error };
          else entry.onLost(error);
        },
      });
      held.set(app, Object.assign(entry, { lock }));
    }
  } catch (error) {
    await Promise.all([...held.values()].map((e) => e.lock.release()));
    throw error;
  }
  return {
    take(app, onLost) {
      const entry = held.get(app);
      if (entry === undefined) return undefined;
      held.delete(app);
      entry.onLost = onLost;
      if (entry.lost !== undefined) onLost(entry.lost.error);
      return entry.lock;
    },
    async releaseRest() {
      const rest = [...held.values()];
      held.clear();
      await Promise.all(rest.map((e) => e.lock.release()));
    },
  };
}
