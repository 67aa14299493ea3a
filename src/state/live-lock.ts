import { hostname } from "node:os";
import { type Liveness, lockGone } from "../observe/deploy-wait.js";
import { processAlive } from "./file-store.js";
import type { LockRecord, StateStore } from "./types.js";

/** What judges a lock or a supervisor's report on this machine: gone when its process is, whatever its lease says. */
export function liveness(now: number): Liveness {
  return { now, hostname: hostname(), isAlive: processAlive };
}

/**
 * The app's deploy lock when a deploy that is still there holds it. A lock left by a deploy that is gone (its
 * lease expired, or its process dead on this machine, as after a SIGKILL) holds nothing back.
 */
export async function liveLock(store: StateStore, app: string, now: number): Promise<LockRecord | undefined> {
  const lock = await store.currentLock(app);
  if (lock === undefined) return undefined;
  return lockGone(lock, liveness(now)) === undefined ? lock : undefined;
}
