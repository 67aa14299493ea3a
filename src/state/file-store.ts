import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock } from "../cli/env.js";
import { APP_NAME_RULE, isAppName } from "../manifest/app-name.js";
import { LockHeldError, LockLostError, StateStoreError } from "./errors.js";
import type {
  AppRecord,
  DeployProgress,
  LockOwner,
  LockRecord,
  Release,
  ReleaseDraft,
  ReleaseOutcome,
  StateStore,
} from "./types.js";

/** Whether a process of this host is alive (signal 0 probes without touching it). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface FileStoreOptions {
  clock: Clock;
  hostname: string;
  /** Whether a pid on this host still runs; injected for tests. */
  isAlive?: (pid: number) => boolean;
}

/**
 * The `file://` state store: one directory per app holding framework.json, releases/NNNNNN.json, progress.json
 * and lock.json.
 * Every write goes to a temp file and is renamed into place, so a crash leaves the old or the new content,
 * never half of one. The lock is created with O_EXCL semantics (a hard link that fails if the name exists);
 * a stale lock (lease expired, or its holder's pid dead on this host) is broken by renaming it away, which
 * only one contender can do.
 */
export class FileStateStore implements StateStore {
  readonly root: string;
  private readonly clock: Clock;
  private readonly hostname: string;
  private readonly isAlive: (pid: number) => boolean;

  constructor(url: string, options: FileStoreOptions) {
    if (!url.startsWith("file://"))
      throw new StateStoreError(`"${url}" is not a file:// URL`, "use file:///path");
    this.root = fileURLToPath(url);
    this.clock = options.clock;
    this.hostname = options.hostname;
    this.isAlive = options.isAlive ?? processAlive;
  }

  describe(): string {
    return `file://${this.root}`;
  }

  private appDir(app: string): string {
    if (!isAppName(app))
      throw new StateStoreError(`"${app}" is not a valid app name`, `app names are ${APP_NAME_RULE}`);
    return join(this.root, "apps", app);
  }

  private async readJson<T>(file: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new StateStoreError(
        `cannot read ${file}: ${(error as Error).message}`,
        "check the state directory's permissions",
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new StateStoreError(
        `${file} is not valid JSON`,
        "the state store was edited or damaged; restore it or remove the file",
      );
    }
  }

  private async writeJson(file: string, value: unknown): Promise<void> {
    const dir = join(file, "..");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const handle = await open(temp, "w", 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
        // Written through to disk before the rename, so a crash right after never loses an intent.
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async apps(): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, "apps"));
      return names.filter((name) => isAppName(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async importApp(record: AppRecord): Promise<void> {
    const dir = this.appDir(record.app);
    await rm(join(dir, "releases"), { recursive: true, force: true });
    for (const release of record.releases)
      await this.writeJson(this.releaseFile(record.app, release.number), release);
    if (record.frameworkId === undefined) await this.forgetFrameworkId(record.app);
    else await this.setFrameworkId(record.app, record.frameworkId);
    if (record.progress === undefined) await rm(join(dir, "progress.json"), { force: true });
    else await this.saveProgress(record.app, record.progress);
  }

  async close(): Promise<void> {}

  async frameworkId(app: string): Promise<string | undefined> {
    const record = await this.readJson<{ framework_id: string }>(join(this.appDir(app), "framework.json"));
    return record?.framework_id;
  }

  async setFrameworkId(app: string, id: string): Promise<void> {
    await this.writeJson(join(this.appDir(app), "framework.json"), {
      framework_id: id,
      updated_at: this.clock.now(),
    });
  }

  async forgetFrameworkId(app: string): Promise<void> {
    await rm(join(this.appDir(app), "framework.json"), { force: true });
  }

  async forgetApp(app: string): Promise<void> {
    await rm(this.appDir(app), { recursive: true, force: true });
  }

  async releases(app: string): Promise<Release[]> {
    const dir = join(this.appDir(app), "releases");
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const releases: Release[] = [];
    for (const name of names.filter((n) => /^\d+\.json$/.test(n)).sort()) {
      const release = await this.readJson<Release>(join(dir, name));
      if (release) releases.push(release);
    }
    return releases.sort((a, b) => a.number - b.number);
  }

  private releaseFile(app: string, number: number): string {
    return join(this.appDir(app), "releases", `${String(number).padStart(6, "0")}.json`);
  }

  async addRelease(draft: ReleaseDraft): Promise<Release> {
    const existing = await this.releases(draft.app);
    const number = (existing.at(-1)?.number ?? 0) + 1;
    const release: Release = {
      ...draft,
      number,
      outcome: "pending",
      createdAt: draft.createdAt ?? this.clock.now(),
    };
    await mkdir(join(this.appDir(draft.app), "releases"), { recursive: true, mode: 0o700 });
    // Claim the number exclusively so two writers cannot both create release N.
    const file = this.releaseFile(draft.app, number);
    const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(release, null, 2)}\n`, { mode: 0o600 });
      await link(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        throw new StateStoreError(
          `release ${number} of ${draft.app} was created concurrently`,
          "re-run the command",
        );
      }
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
    return release;
  }

  async finishRelease(
    app: string,
    number: number,
    outcome: ReleaseOutcome,
    detail?: string,
  ): Promise<Release> {
    const file = this.releaseFile(app, number);
    const release = await this.readJson<Release>(file);
    if (!release)
      throw new StateStoreError(`release ${number} of ${app} does not exist`, "see `titan releases APP`");
    const updated: Release = {
      ...release,
      outcome,
      finishedAt: this.clock.now(),
      ...(detail === undefined ? {} : { detail }),
    };
    await this.writeJson(file, updated);
    return updated;
  }

  private lockFile(app: string): string {
    return join(this.appDir(app), "lock.json");
  }

  async currentLock(app: string): Promise<LockRecord | undefined> {
    return this.readJson<LockRecord>(this.lockFile(app));
  }

  private isStale(lock: LockRecord): boolean {
    if (this.clock.now() > lock.expiresAt) return true;
    return lock.host === this.hostname && !this.isAlive(lock.pid);
  }

  async acquireLock(
    app: string,
    owner: LockOwner,
    leaseMs: number,
    options: { force?: boolean } = {},
  ): Promise<LockRecord> {
    const file = this.lockFile(app);
    await mkdir(this.appDir(app), { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      const record: LockRecord = {
        ...owner,
        token: randomBytes(12).toString("hex"),
        acquiredAt: now,
        expiresAt: now + leaseMs,
      };
      const temp = `${file}.${record.token}.tmp`;
      await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      try {
        await link(temp, file);
        return record;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        await rm(temp, { force: true });
      }
      const holder = await this.currentLock(app);
      if (holder && !options.force && !this.isStale(holder)) throw new LockHeldError(app, holder, now);
      await this.breakLock(file);
    }
    const holder = await this.currentLock(app);
    if (holder) throw new LockHeldError(app, holder, this.clock.now());
    throw new StateStoreError(`could not take the deploy lock of ${app}`, "re-run the command");
  }

  private async breakLock(file: string): Promise<void> {
    const broken = `${file}.broken-${randomBytes(6).toString("hex")}`;
    try {
      await rename(file, broken);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    await rm(broken, { force: true });
  }

  async renewLock(app: string, lock: LockRecord, leaseMs: number): Promise<LockRecord> {
    const current = await this.currentLock(app);
    if (!current || current.token !== lock.token) throw new LockLostError(app);
    const renewed: LockRecord = { ...lock, expiresAt: this.clock.now() + leaseMs };
    await this.writeJson(this.lockFile(app), renewed);
    return renewed;
  }

  async releaseLock(app: string, lock: LockRecord): Promise<void> {
    const current = await this.currentLock(app);
    if (current?.token === lock.token) await rm(this.lockFile(app), { force: true });
  }

  async progress(app: string): Promise<DeployProgress | undefined> {
    return this.readJson<DeployProgress>(join(this.appDir(app), "progress.json"));
  }

  async saveProgress(app: string, progress: DeployProgress): Promise<void> {
    await this.writeJson(join(this.appDir(app), "progress.json"), progress);
  }
}
