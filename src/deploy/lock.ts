import { lockTaken } from "../cli/stopping.js";
import type { BrokenLock, LockOwner, LockRecord, StateStore } from "../state/types.js";

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
