import { hostname } from "node:os";
import { lockGone } from "../observe/deploy-wait.js";
import { processAlive } from "./file-store.js";
import type { LockRecord, StateStore } from "./types.js";

/**
 * The app's deploy lock when a deploy that is still there holds it. A lock left by a deploy that is gone (its
 * lease expired, or its process dead on this machine, as after a SIGKILL) holds nothing back.
 */
export async function liveLock(store: StateStore, app: string, now: number): Promise<LockRecord | undefined> {
  const lock = await store.currentLock(app);
  if (lock === undefined) return undefined;
  return lockGone(lock, { now, hostname: hostname(), isAlive: processAlive }) === undefined
    ? lock
    : undefined;
}
