import { liveLock } from "../state/live-lock.js";
import type { StateStore } from "../state/types.js";

/**
 * Whether a deploy holds the app's lock now. A lock left by a deploy that is gone (its lease expired, or its
 * process dead on this machine, as after a SIGKILL) holds nothing back: the supervisor goes on keeping the app.
 */
export async function deployHoldsLock(store: StateStore, app: string, now: number): Promise<boolean> {
  return (await liveLock(store, app, now)) !== undefined;
}
