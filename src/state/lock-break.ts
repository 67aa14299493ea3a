import { randomBytes } from "node:crypto";
import { link, readFile, rm, stat, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** A breaker holds the guard for a read and an unlink: one older than this was left by a titan that died there. */
const GUARD_STALE_MS = 5_000;
/** How long to wait for another breaker before giving up this round (the taker then reads the lock again). */
const GUARD_WAIT_MS = 1_000;
const GUARD_POLL_MS = 10;

/**
 * Breaks the lock file judged stale (or forced) from `judged`, its text when it was read. Judging and breaking
 * are two steps, and another titan may have broken that same lock and taken a fresh one in between: breaking it
 * then would leave two deploys each holding "the" lock. So breakers take turns under a guard file (created
 * exclusively, as the lock is) and break only a lock whose text is still the one judged. Takers need no guard: they
 * only ever create the lock where none exists. True when the judged lock is gone; false when the lock changed or
 * another breaker is still at work (read it again).
 */
export async function breakLock(file: string, judged: string): Promise<boolean> {
  const guard = `${file}.breaking`;
  if (!(await takeGuard(guard))) return false;
  try {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
      throw error;
    }
    if (text !== judged) return false;
    await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

async function takeGuard(guard: string): Promise<boolean> {
  const temp = `${guard}.${randomBytes(8).toString("hex")}.tmp`;
  await writeFile(temp, `${process.pid}\n`, { mode: 0o600 });
  try {
    for (let waited = 0; ; waited += GUARD_POLL_MS) {
      try {
        await link(temp, guard);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (await leftByTheDead(guard)) await rm(guard, { force: true });
      else if (waited >= GUARD_WAIT_MS) return false;
      else await sleep(GUARD_POLL_MS);
    }
  } finally {
    await rm(temp, { force: true });
  }
}

async function leftByTheDead(guard: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(guard)).mtimeMs > GUARD_STALE_MS;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
