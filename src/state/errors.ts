import { TitanError } from "../cli/errors.js";
import type { LockRecord } from "./types.js";

function describeHolder(lock: LockRecord, now: number): string {
  const since = Math.max(0, Math.round((now - lock.acquiredAt) / 1000));
  return `${lock.user}@${lock.host} (pid ${lock.pid}, ${lock.purpose}, for ${since}s)`;
}

/** Another deploy holds the app's lock. */
export class LockHeldError extends TitanError {
  readonly holder: LockRecord;
  constructor(app: string, holder: LockRecord, now: number) {
    super(`app ${app} is locked by ${describeHolder(holder, now)}`, {
      hint: `wait for it to finish; if that deploy is gone for good, re-run with --force-unlock`,
    });
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
