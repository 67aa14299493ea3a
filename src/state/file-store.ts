import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Clock } from "../cli/env.js";
import { TitanError } from "../cli/errors.js";
import { checkPrivate, type TrustedPath } from "../cli/private-path.js";
import { urlForMessage } from "../cli/url-text.js";
import { APP_NAME_RULE, isAppName } from "../manifest/app-name.js";
import { fileSystemError, LockHeldError, LockLostError, StateStoreError } from "./errors.js";
import { breakLock } from "./lock-break.js";
import {
  appSpecCheck,
  readFramework,
  readLock,
  readProgress,
  readRelease,
  readSupervisorReport,
  SUPERVISOR_ID,
  type Verdict,
} from "./records.js";
import type {
  AcquireOptions,
  AppRecord,
  DeployProgress,
  LockOwner,
  LockRecord,
  Release,
  ReleaseDraft,
  ReleaseOutcome,
  StateStore,
  SupervisorReport,
} from "./types.js";

/**
 * Whether a process of this host is alive (signal 0 probes without touching it). A zombie — killed, not yet reaped by
 * its parent, as a titan just killed with SIGKILL is for a moment — answers the probe, yet will never run again.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** Linux's /proc/PID/stat gives the state after the command's closing parenthesis; elsewhere nothing is known. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

export interface FileStoreOptions {
  clock: Clock;
  hostname: string;
  /** Whether a pid on this host still runs; injected for tests. */
  isAlive?: (pid: number) => boolean;
  /** The user's uid, who must own the state root; undefined where the platform has no uids. */
  uid?: number | undefined;
}

/** The state root: a directory of the user's own. */
const STATE_ROOT: TrustedPath = {
  what: "state store",
  kind: "directory",
  elsewhere: "move the file away, or point the cluster's state: (or TITAN_DATA_DIR) at a directory",
};

/** The lock file as read, with its text: what a takeover checks it still breaks. */
type LockRead = (({ lock: LockRecord } | { damaged: string }) & { text: string }) | undefined;

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
  private readonly uid: number | undefined;
  private rootChecked: Promise<void> | undefined;

  constructor(url: string, options: FileStoreOptions) {
    if (!url.startsWith("file://"))
      throw new StateStoreError(`"${urlForMessage(url)}" is not a file:// URL`, "use file:///path");
    this.root = fileURLToPath(url);
    this.clock = options.clock;
    this.hostname = options.hostname;
    this.isAlive = options.isAlive ?? processAlive;
    this.uid = "uid" in options ? options.uid : process.getuid?.();
  }

  /**
   * Runs one store operation: after checking, once, that nobody else can write the state root (a release
   * planted there would be deployed by `titan rollback`), and with file-system errors reported as what they
   * are, naming the path.
   */
  private async guard<T>(what: string, operation: () => Promise<T>): Promise<T> {
    await this.checkRoot();
    try {
      return await operation();
    } catch (error) {
      if (error instanceof TitanError) throw error;
      throw fileSystemError(error, what);
    }
  }

  /** Once per store: the root is a directory of the user's own, or missing (a file on its path is neither). */
  private checkRoot(): Promise<void> {
    this.rootChecked ??= checkPrivate(this.root, STATE_ROOT, this.uid);
    return this.rootChecked;
  }

  describe(): string {
    return `file://${this.root}`;
  }

  private appDir(app: string): string {
    if (!isAppName(app))
      throw new StateStoreError(`"${app}" is not a valid app name`, `app names are ${APP_NAME_RULE}`);
    return join(this.root, "apps", app);
  }

  /** The parsed JSON of a record file, or undefined when there is none. */
  private async readJson(file: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw damaged(file, "it is not valid JSON");
    }
  }

  /** A record checked against its shape; a wrong one is reported with its file and what is wrong. */
  private async readRecord<T>(file: string, read: (value: unknown) => Verdict<T>): Promise<T | undefined> {
    const value = await this.readJson(file);
    if (value === undefined) return undefined;
    const verdict = read(value);
    if (!verdict.ok) throw damaged(file, verdict.problem);
    return verdict.value;
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

  async exists(): Promise<boolean> {
    return this.guard("check the state store", async () => {
      try {
        return (await stat(this.root)).isDirectory();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
    });
  }

  async apps(): Promise<string[]> {
    return this.guard("list the apps", async () => {
      try {
        const names = await readdir(join(this.root, "apps"));
        return names.filter((name) => isAppName(name)).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    });
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
    return this.guard(`read the framework id of ${app}`, async () => {
      const record = await this.readRecord(join(this.appDir(app), "framework.json"), readFramework);
      return record?.framework_id;
    });
  }

  async setFrameworkId(app: string, id: string): Promise<void> {
    await this.guard(`save the framework id of ${app}`, () =>
      this.writeJson(join(this.appDir(app), "framework.json"), {
        framework_id: id,
        updated_at: this.clock.now(),
      }),
    );
  }

  async forgetFrameworkId(app: string): Promise<void> {
    await this.guard(`forget the framework id of ${app}`, () =>
      rm(join(this.appDir(app), "framework.json"), { force: true }),
    );
  }

  async forgetApp(app: string): Promise<void> {
    await this.guard(`remove the records of ${app}`, () =>
      rm(this.appDir(app), { recursive: true, force: true }),
    );
  }

  async releases(app: string): Promise<Release[]> {
    return this.guard(`read the releases of ${app}`, () => this.readReleases(app));
  }

  private async readReleases(app: string): Promise<Release[]> {
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
      const number = Number(name.slice(0, -5));
      const release = await this.readRecord(join(dir, name), (v) => readRelease(v, app, number));
      if (release) releases.push(release);
    }
    return releases.sort((a, b) => a.number - b.number);
  }

  private releaseFile(app: string, number: number): string {
    return join(this.appDir(app), "releases", `${String(number).padStart(6, "0")}.json`);
  }

  async addRelease(draft: ReleaseDraft): Promise<Release> {
    return this.guard(`record a release of ${draft.app}`, () => this.writeRelease(draft));
  }

  private async writeRelease(draft: ReleaseDraft): Promise<Release> {
    // Checked before anything is written: a release that could not be read back must never be created.
    const problem = appSpecCheck(draft.spec, "spec");
    if (problem !== undefined || draft.spec.name !== draft.app)
      throw new StateStoreError(
        `refusing to record a release of ${draft.app}: ${problem ?? "spec.name: is not the release's app"}`,
        "this is a bug in titan; please report it",
      );
    const existing = await this.readReleases(draft.app);
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
    return this.guard(`record the outcome of release ${number} of ${app}`, () =>
      this.writeOutcome(app, number, outcome, detail),
    );
  }

  private async writeOutcome(
    app: string,
    number: number,
    outcome: ReleaseOutcome,
    detail?: string,
  ): Promise<Release> {
    const file = this.releaseFile(app, number);
    const release = await this.readRecord(file, (v) => readRelease(v, app, number));
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
    return this.guard(`read the deploy lock of ${app}`, () => this.readRecord(this.lockFile(app), readLock));
  }

  /** The lock as far as it can be read: a damaged lock file is a fact to act on here, not an error. */
  private async lockState(app: string): Promise<LockRead> {
    let text: string;
    try {
      text = await readFile(this.lockFile(app), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { damaged: "it is not valid JSON", text };
    }
    const verdict = readLock(value);
    return verdict.ok ? { lock: verdict.value, text } : { damaged: verdict.problem, text };
  }

  private staleness(lock: LockRecord): "expired" | "dead" | undefined {
    if (this.clock.now() > lock.expiresAt) return "expired";
    return lock.host === this.hostname && !this.isAlive(lock.pid) ? "dead" : undefined;
  }

  async acquireLock(
    app: string,
    owner: LockOwner,
    leaseMs: number,
    options: AcquireOptions = {},
  ): Promise<LockRecord> {
    return this.guard(`take the deploy lock of ${app}`, () => this.takeLock(app, owner, leaseMs, options));
  }

  private async takeLock(
    app: string,
    owner: LockOwner,
    leaseMs: number,
    options: AcquireOptions,
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
      const held = await this.lockState(app);
      if (held === undefined) continue;
      if ("damaged" in held) {
        if (!options.force) throw damagedLock(file, app, held.damaged);
        if (await breakLock(file, held.text)) options.onBreak?.({ reason: "damaged", detail: held.damaged });
        continue;
      }
      const stale = this.staleness(held.lock);
      if (stale === undefined && !options.force) throw new LockHeldError(app, held.lock, now);
      if (await breakLock(file, held.text))
        options.onBreak?.({ previous: held.lock, reason: stale ?? "forced" });
    }
    const held = await this.lockState(app);
    if (held !== undefined && "lock" in held) throw new LockHeldError(app, held.lock, this.clock.now());
    throw new StateStoreError(`could not take the deploy lock of ${app}`, "re-run the command");
  }

  async renewLock(app: string, lock: LockRecord, leaseMs: number): Promise<LockRecord> {
    return this.guard(`renew the deploy lock of ${app}`, async () => {
      const current = await this.lockState(app);
      if (current === undefined || !("lock" in current) || current.lock.token !== lock.token)
        throw new LockLostError(app);
      const renewed: LockRecord = { ...lock, expiresAt: this.clock.now() + leaseMs };
      await this.writeJson(this.lockFile(app), renewed);
      return renewed;
    });
  }

  async releaseLock(app: string, lock: LockRecord): Promise<void> {
    await this.guard(`release the deploy lock of ${app}`, async () => {
      const current = await this.lockState(app);
      if (current !== undefined && "lock" in current && current.lock.token === lock.token)
        await rm(this.lockFile(app), { force: true });
    });
  }

  async progress(app: string): Promise<DeployProgress | undefined> {
    return this.guard(`read the deploy progress of ${app}`, () =>
      this.readRecord(join(this.appDir(app), "progress.json"), readProgress),
    );
  }

  async saveProgress(app: string, progress: DeployProgress): Promise<void> {
    await this.guard(`save the deploy progress of ${app}`, () =>
      this.writeJson(join(this.appDir(app), "progress.json"), progress),
    );
  }

  private supervisorFile(id: string): string {
    if (!SUPERVISOR_ID.test(id))
      throw new StateStoreError(`"${id}" is not a supervisor id`, "this is a bug in titan; please report it");
    return join(this.root, "supervisors", `${id}.json`);
  }

  async supervisorReports(): Promise<SupervisorReport[]> {
    return this.guard("read the supervisor reports", async () => {
      const dir = join(this.root, "supervisors");
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const reports: SupervisorReport[] = [];
      for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
        const report = await this.readRecord(join(dir, name), readSupervisorReport);
        if (report !== undefined) reports.push(report);
      }
      return reports;
    });
  }

  async saveSupervisorReport(report: SupervisorReport): Promise<void> {
    await this.guard(`save the report of supervisor ${report.id}`, () =>
      this.writeJson(this.supervisorFile(report.id), report),
    );
  }

  async removeSupervisorReport(id: string): Promise<void> {
    await this.guard(`remove the report of supervisor ${id}`, () =>
      rm(this.supervisorFile(id), { force: true }),
    );
  }
}

function damaged(file: string, problem: string): StateStoreError {
  return new StateStoreError(
    `state record ${file} is damaged: ${problem}`,
    `the state store was edited or damaged; restore the file, or move it away (mv ${file} ${file}.bad) to drop the record`,
  );
}

function damagedLock(file: string, app: string, problem: string): StateStoreError {
  return new StateStoreError(
    `the deploy lock of ${app} (${file}) is damaged: ${problem}`,
    "if no deploy of the app is running, re-run with --force-unlock to clear it",
  );
}
