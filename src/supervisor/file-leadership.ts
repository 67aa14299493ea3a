import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../cli/env.js";
import { breakLock } from "../state/lock-break.js";
import { isObject } from "../state/shape.js";
import type { Leadership, LeaderTerm, SupervisorIdentity } from "./leadership.js";

export interface FileLeadershipOptions {
  /** The file store's root; leases live in `<root>/leases/<app>.json`. */
  root: string;
  identity: SupervisorIdentity;
  clock: Clock;
  /** This machine's name: a lease of a dead pid on it is broken at once. */
  hostname: string;
  isAlive: (pid: number) => boolean;
  /** Lease length (default 15 s); renewed every third of it. */
  leaseMs?: number;
  /** How often a contender looks whether the lease became free (default a third of the lease). */
  pollMs?: number;
}

interface LeaseRecord extends SupervisorIdentity {
  token: string;
  expiresAt: number;
}

function readLease(value: unknown): LeaseRecord | undefined {
  if (!isObject(value)) return undefined;
  const { token, expiresAt, user, host, pid, startedAt } = value;
  if (typeof token !== "string" || typeof expiresAt !== "number") return undefined;
  if (typeof user !== "string" || typeof host !== "string") return undefined;
  if (typeof pid !== "number" || typeof startedAt !== "number") return undefined;
  return { token, expiresAt, user, host, pid, startedAt };
}

/**
 * Leadership for the file store: a lease file per app, taken like the deploy lock (created with a hard link, which
 * fails when the name exists; a stale one broken under a guard, only while it is still the one judged stale) and
 * renewed every third of its length. A leader whose renewal has not succeeded by two thirds of its lease gives the
 * lead up at once, so it has stopped acting well before anyone may break the lease. Contenders on one machine (or
 * sharing the directory) take turns; a lease whose pid is dead on this host is taken over at once.
 */
export class FileLeadership implements Leadership {
  private readonly leaseMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: FileLeadershipOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? Math.max(50, Math.floor(this.leaseMs / 3));
  }

  private file(app: string): string {
    return join(this.options.root, "leases", `${app}.json`);
  }

  async leader(app: string): Promise<SupervisorIdentity | undefined> {
    const lease = await this.read(app);
    if (lease === undefined || this.stale(lease)) return undefined;
    const { user, host, pid, startedAt } = lease;
    return { user, host, pid, startedAt };
  }

  async acquire(app: string, signal: AbortSignal): Promise<LeaderTerm> {
    for (;;) {
      signal.throwIfAborted();
      const lease = await this.tryTake(app);
      if (lease !== undefined) return this.term(app, lease);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.pollMs);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  private async read(app: string): Promise<LeaseRecord | undefined> {
    return (await this.readHeld(app))?.lease;
  }

  /** The lease with its text: what breaking a stale one checks it still breaks. */
  private async readHeld(app: string): Promise<{ lease: LeaseRecord; text: string } | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(app), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    // A lease that is not a lease record (a torn write cannot happen; an edit can) counts as expired.
    const expired = { ...this.options.identity, token: "", expiresAt: 0 };
    try {
      return { lease: readLease(JSON.parse(text)) ?? expired, text };
    } catch {
      return { lease: expired, text };
    }
  }

  private stale(lease: LeaseRecord): boolean {
    if (this.options.clock.now() > lease.expiresAt) return true;
    return lease.host === this.options.hostname && !this.options.isAlive(lease.pid);
  }

  private record(token: string): LeaseRecord {
    return { ...this.options.identity, token, expiresAt: this.options.clock.now() + this.leaseMs };
  }

  private async write(path: string, lease: LeaseRecord): Promise<void> {
    const handle = await open(path, "w", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(lease, null, 2)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** One attempt: the lease when this process took it, undefined when a live contender holds it. */
  private async tryTake(app: string): Promise<LeaseRecord | undefined> {
    const file = this.file(app);
    await mkdir(join(this.options.root, "leases"), { recursive: true, mode: 0o700 });
    const held = await this.readHeld(app);
    if (held !== undefined) {
      if (!this.stale(held.lease)) return undefined;
      // Broken only while it is still the stale lease judged: a contender may have replaced it meanwhile.
      if (!(await breakLock(file, held.text))) return undefined;
    }
    const lease = this.record(randomBytes(16).toString("hex"));
    const temp = `${file}.${lease.token.slice(0, 12)}.tmp`;
    try {
      await this.write(temp, lease);
      await link(temp, file);
      return lease;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  private async renew(app: string, lease: LeaseRecord): Promise<LeaseRecord> {
    const current = await this.read(app);
    if (current?.token !== lease.token) throw new Error(`another supervisor took the lead of ${app}`);
    const renewed = this.record(lease.token);
    const file = this.file(app);
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await this.write(temp, renewed);
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
    return renewed;
  }

  private term(app: string, first: LeaseRecord): LeaderTerm {
    const lost = new AbortController();
    let lease = first;
    let renewing: Promise<void> = Promise.resolve();
    let over = false;
    const stop = (reason: string): void => {
      if (over) return;
      over = true;
      clearInterval(renewTimer);
      clearInterval(watchTimer);
      lost.abort(new Error(reason));
    };
    const renewTimer = setInterval(
      () => {
        renewing = this.renew(app, lease).then(
          (renewed) => {
            if (!over) lease = renewed;
          },
          (error: unknown) => stop(error instanceof Error ? error.message : String(error)),
        );
      },
      Math.max(20, Math.floor(this.leaseMs / 3)),
    );
    // Renewals that stall (a hung disk, a paused process) must not let two supervisors act at once.
    const watchTimer = setInterval(
      () => {
        const left = lease.expiresAt - this.options.clock.now();
        if (left < this.leaseMs / 3) stop(`could not renew the lead of ${app} in time`);
      },
      Math.max(10, Math.floor(this.leaseMs / 10)),
    );
    return {
      lost: lost.signal,
      resign: async () => {
        const wasOver = over;
        over = true;
        clearInterval(renewTimer);
        clearInterval(watchTimer);
        await renewing;
        if (wasOver) return;
        const current = await this.read(app).catch(() => undefined);
        if (current?.token === lease.token) await rm(this.file(app), { force: true });
      },
    };
  }
}
