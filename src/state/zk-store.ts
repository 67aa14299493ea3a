import { randomBytes } from "node:crypto";
import type { Clock } from "../cli/env.js";
import { APP_NAME_RULE, isAppName } from "../manifest/app-name.js";
import { IMPORT_LOCK_HINT, LockHeldError, LockLostError, StateStoreError } from "./errors.js";
import { processAlive } from "./file-store.js";
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
import { ZkClient, type ZkClientOptions, ZkUnreachableError } from "./zk-client.js";
import { ZkSessionExpiredError, zkFailure } from "./zk-errors.js";
import { createLockNode, json, lockNodes, readJson, subtreeDeletes } from "./zk-nodes.js";
import { type Acl, Code, CREATOR_ACL, CreateMode, OPEN_ACL, type TxOp, ZkError } from "./zk-protocol.js";
import { ZkSupervisorReports } from "./zk-supervisors.js";
import type { ZkUrl } from "./zk-url.js";

const RELEASE_NODE = /^\d{6,}$/;
/** Listings of the lock queue before giving up: each is one holder released or broken ahead of us. */
const LOCK_ROUNDS = 5;

export interface ZkStoreOptions {
  clock: Clock;
  hostname: string;
  /** The digest password, resolved from the URL's secret reference. */
  password?: string;
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Read by a command that changes nothing (`ps`, `status`): its errors do not tell that nothing was changed. */
  observing?: boolean;
  isAlive?: (pid: number) => boolean;
  signal?: AbortSignal;
}

/**
 * The `zk://` state store. Under its base path: apps/<app>/{framework, progress, releases/NNNNNN, locks/lock-N}.
 * Writes are single creates, versioned sets or multi-op transactions, so none can tear; while this store holds
 * an app's lock every write of that app carries a check that the lock node still exists, so a titan whose
 * session expired (and whose lock went with it) cannot write another record. The lock is an ephemeral
 * sequential node holding the owner's record: the lowest one holds, and it vanishes with a crashed titan's
 * session.
 */
export class ZkStateStore implements StateStore {
  private client: Promise<ZkClient> | undefined;
  private readonly held = new Map<string, string>();
  private readonly acl: readonly Acl[];
  private readonly isAlive: (pid: number) => boolean;
  private readonly reports: ZkSupervisorReports;

  constructor(
    readonly url: ZkUrl,
    private readonly options: ZkStoreOptions,
  ) {
    this.acl = url.auth ? CREATOR_ACL : OPEN_ACL;
    this.isAlive = options.isAlive ?? processAlive;
    this.reports = new ZkSupervisorReports(url.path, url.display, this.acl);
  }

  describe(): string {
    return this.url.display;
  }

  /** The digest password the store connects with, for another session on the same ensemble (leadership). */
  get password(): string | undefined {
    return this.options.password;
  }

  /**
   * The session, opened on first use. Reading never creates a node: the base path is created by the first write
   * (a deploy, an import), so a store nothing was written to stays absent and `exists()` says so. A store that holds no lock opens a
   * new session once its session expired (a supervisor's store outlives a partition); one that holds a lock
   * does not, since the lock went with the session and its holder must stop (watchLock tells it).
   */
  private async zk(): Promise<ZkClient> {
    const current = this.client;
    if (current !== undefined && this.held.size === 0) {
      const zk = await current.catch(() => undefined);
      if (zk?.currentState === "expired" && this.client === current) {
        this.client = undefined;
        await zk.close().catch(() => undefined);
      }
    }
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<ZkClient> {
    const { auth } = this.url;
    const options: ZkClientOptions = {
      hosts: this.url.hosts,
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      ...(auth && this.options.password !== undefined
        ? { auth: { user: auth.user, password: this.options.password } }
        : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
    try {
      return await ZkClient.connect(options);
    } catch (error) {
      this.client = undefined;
      if (error instanceof ZkUnreachableError)
        throw new StateStoreError(
          `cannot reach the ZooKeeper state store ${this.url.display}: ${error.message}`,
          `check that the ensemble runs and that this machine can reach it${this.options.observing === true ? "" : "; nothing was changed"}`,
        );
      throw zkFailure(error, this.url);
    }
  }

  /** Runs one step against ZooKeeper and turns its failures into titan's errors. */
  private async run<T>(step: (zk: ZkClient) => Promise<T>): Promise<T> {
    const zk = await this.zk();
    try {
      return await step(zk);
    } catch (error) {
      throw zkFailure(error, this.url);
    }
  }

  private appPath(app: string): string {
    if (!isAppName(app))
      throw new StateStoreError(`"${app}" is not a valid app name`, `app names are ${APP_NAME_RULE}`);
    return `${this.url.path}/apps/${app}`;
  }

  private releasePath(app: string, number: number): string {
    return `${this.appPath(app)}/releases/${String(number).padStart(6, "0")}`;
  }

  /**
   * Commits `ops` as one transaction, guarded by this store's lock of the app when it holds one. A commit whose
   * connection dropped has an unknown outcome: `applied` reads back whether it took effect, and if not the
   * commit is tried again on the next connection (the session, and with it the lock, lives on).
   */
  private async commit(
    zk: ZkClient,
    app: string,
    ops: readonly TxOp[],
    applied: () => Promise<boolean>,
  ): Promise<void> {
    const lock = this.held.get(app);
    // Any version: each renewal rewrites the lock node's lease; its existence is what the lock is.
    const guarded: TxOp[] = lock ? [{ type: "check", path: lock, version: -1 }, ...ops] : [...ops];
    for (let attempt = 0; ; attempt++) {
      try {
        await zk.multi(guarded);
        return;
      } catch (error) {
        if (error instanceof ZkError && error.code === Code.noNode && error.path === lock)
          throw new LockLostError(app);
        const lost = error instanceof ZkError && error.code === Code.connectionLoss;
        if (!lost || attempt >= 5) throw error;
        if (await applied()) return;
      }
    }
  }

  /** Creates the base path and its apps/ node if missing: done by writes only, never by reads. */
  private async ensureBase(zk: ZkClient): Promise<void> {
    await zk.ensurePath(`${this.url.path}/apps`, this.acl);
  }

  /** The ops that create each missing ancestor of the app's nodes (parents first); the base path is made first. */
  private async parents(zk: ZkClient, app: string, subdir?: string): Promise<TxOp[]> {
    if ((await zk.exists(this.appPath(app))) === undefined) await this.ensureBase(zk);
    const paths = [this.appPath(app), ...(subdir ? [`${this.appPath(app)}/${subdir}`] : [])];
    const ops: TxOp[] = [];
    for (const path of paths)
      if ((await zk.exists(path)) === undefined)
        ops.push({ type: "create", path, data: Buffer.alloc(0), acl: this.acl, mode: CreateMode.persistent });
    return ops;
  }

  /** Creates or replaces one JSON node with a versioned write, retrying if a concurrent writer won a race. */
  private async putJson(app: string, path: string, value: unknown, subdir?: string): Promise<void> {
    const data = json(value);
    await this.run(async (zk) => {
      for (let attempt = 0; ; attempt++) {
        const current = await zk.get(path);
        const op: TxOp = current
          ? { type: "set", path, data, version: current.stat.version }
          : { type: "create", path, data, acl: this.acl, mode: CreateMode.persistent };
        const ops = current ? [op] : [...(await this.parents(zk, app, subdir)), op];
        try {
          await this.commit(zk, app, ops, async () => (await zk.get(path))?.data.equals(data) === true);
          return;
        } catch (error) {
          const raced =
            error instanceof ZkError && (error.code === Code.badVersion || error.code === Code.nodeExists);
          if (!raced || attempt >= 5) throw error;
        }
      }
    });
  }

  async exists(): Promise<boolean> {
    return this.run(async (zk) => (await zk.exists(this.url.path)) !== undefined);
  }

  async apps(): Promise<string[]> {
    return this.run(async (zk) => {
      const names = await zk.children(`${this.url.path}/apps`).catch((error: unknown) => {
        if (error instanceof ZkError && error.code === Code.noNode) return [];
        throw error;
      });
      return names.filter((name) => isAppName(name)).sort();
    });
  }

  async frameworkId(app: string): Promise<string | undefined> {
    const path = `${this.appPath(app)}/framework`;
    return this.run(
      async (zk) =>
        (await readJson<{ framework_id: string }>(zk, this.url.display, path))?.value.framework_id,
    );
  }

  async setFrameworkId(app: string, id: string): Promise<void> {
    const record = { framework_id: id, updated_at: this.options.clock.now() };
    await this.putJson(app, `${this.appPath(app)}/framework`, record);
  }

  async forgetFrameworkId(app: string): Promise<void> {
    await this.removeNode(app, `${this.appPath(app)}/framework`);
  }

  private async removeNode(app: string, path: string): Promise<void> {
    await this.run(async (zk) => {
      if ((await zk.exists(path)) === undefined) return;
      await this.commit(
        zk,
        app,
        [{ type: "delete", path, version: -1 }],
        async () => !(await zk.exists(path)),
      );
    });
  }

  async forgetApp(app: string): Promise<void> {
    const root = this.appPath(app);
    await this.run(async (zk) => {
      const ops = await subtreeDeletes(zk, this.appPath(app));
      if (ops.length > 0) await this.commit(zk, app, ops, async () => !(await zk.exists(root)));
      this.held.delete(app);
    });
  }

  async releases(app: string): Promise<Release[]> {
    const dir = `${this.appPath(app)}/releases`;
    return this.run(async (zk) => {
      const names = await zk.children(dir).catch((error: unknown) => {
        if (error instanceof ZkError && error.code === Code.noNode) return [];
        throw error;
      });
      const found = await Promise.all(
        names
          .filter((n) => RELEASE_NODE.test(n))
          .map((n) => readJson<Release>(zk, this.url.display, `${dir}/${n}`)),
      );
      return found.flatMap((r) => (r ? [r.value] : [])).sort((a, b) => a.number - b.number);
    });
  }

  async addRelease(draft: ReleaseDraft): Promise<Release> {
    // The next number comes from the node names alone: no need to read every release.
    const names = await this.run((zk) =>
      zk.children(`${this.appPath(draft.app)}/releases`).catch((error: unknown) => {
        if (error instanceof ZkError && error.code === Code.noNode) return [];
        throw error;
      }),
    );
    const number = Math.max(0, ...names.filter((n) => RELEASE_NODE.test(n)).map(Number)) + 1;
    const release: Release = {
      ...draft,
      number,
      outcome: "pending",
      createdAt: draft.createdAt ?? this.options.clock.now(),
    };
    const path = this.releasePath(draft.app, number);
    const data = json(release);
    await this.run(async (zk) => {
      const ops: TxOp[] = [
        ...(await this.parents(zk, draft.app, "releases")),
        { type: "create", path, data, acl: this.acl, mode: CreateMode.persistent },
      ];
      try {
        await this.commit(zk, draft.app, ops, async () => (await zk.get(path))?.data.equals(data) === true);
      } catch (error) {
        if (error instanceof ZkError && error.code === Code.nodeExists)
          throw new StateStoreError(
            `release ${number} of ${draft.app} was created concurrently`,
            "re-run the command",
          );
        throw error;
      }
    });
    return release;
  }

  async finishRelease(
    app: string,
    number: number,
    outcome: ReleaseOutcome,
    detail?: string,
  ): Promise<Release> {
    const path = this.releasePath(app, number);
    const current = await this.run((zk) => readJson<Release>(zk, this.url.display, path));
    if (!current)
      throw new StateStoreError(`release ${number} of ${app} does not exist`, "see `titan releases APP`");
    const updated: Release = {
      ...current.value,
      outcome,
      finishedAt: this.options.clock.now(),
      ...(detail === undefined ? {} : { detail }),
    };
    await this.putJson(app, path, updated, "releases");
    return updated;
  }

  async progress(app: string): Promise<DeployProgress | undefined> {
    const path = `${this.appPath(app)}/progress`;
    return this.run(async (zk) => (await readJson<DeployProgress>(zk, this.url.display, path))?.value);
  }

  async saveProgress(app: string, progress: DeployProgress): Promise<void> {
    await this.putJson(app, `${this.appPath(app)}/progress`, progress);
  }

  /** One transaction: the app's old subtree goes and the imported records take its place. */
  async importApp(record: AppRecord): Promise<void> {
    const root = this.appPath(record.app);
    const node = (path: string, value?: unknown): TxOp => ({
      type: "create",
      path,
      data: value === undefined ? Buffer.alloc(0) : json(value),
      acl: this.acl,
      mode: CreateMode.persistent,
    });
    const holder = await this.currentLock(record.app);
    if (holder)
      throw new LockHeldError(record.app, holder, this.options.clock.now(), undefined, IMPORT_LOCK_HINT);
    await this.run(async (zk) => {
      await this.ensureBase(zk);
      const ops: TxOp[] = [...(await subtreeDeletes(zk, root)), node(root), node(`${root}/releases`)];
      for (const release of record.releases)
        ops.push(node(this.releasePath(record.app, release.number), release));
      if (record.frameworkId !== undefined)
        ops.push(
          node(`${root}/framework`, {
            framework_id: record.frameworkId,
            updated_at: this.options.clock.now(),
          }),
        );
      if (record.progress !== undefined) ops.push(node(`${root}/progress`, record.progress));
      const marker = ops.at(-1) as TxOp;
      await this.commit(zk, record.app, ops, async () => (await zk.exists(marker.path)) !== undefined);
    });
  }

  supervisorReports(): Promise<SupervisorReport[]> {
    return this.run((zk) => this.reports.list(zk));
  }

  async saveSupervisorReport(report: SupervisorReport): Promise<void> {
    await this.run((zk) => this.reports.save(zk, report));
  }

  async removeSupervisorReport(id: string): Promise<void> {
    await this.run((zk) => this.reports.remove(zk, id));
  }

  // --- the deploy lock -------------------------------------------------------------------------------

  async currentLock(app: string): Promise<LockRecord | undefined> {
    return this.run((zk) => this.currentLockIn(zk, app));
  }

  private async currentLockIn(zk: ZkClient, app: string): Promise<LockRecord | undefined> {
    for (const name of await lockNodes(zk, `${this.appPath(app)}/locks`)) {
      const record = await readJson<LockRecord>(zk, this.url.display, `${this.appPath(app)}/locks/${name}`);
      if (record) return record.value;
    }
    return undefined;
  }

  async acquireLock(
    app: string,
    owner: LockOwner,
    leaseMs: number,
    options: AcquireOptions = {},
  ): Promise<LockRecord> {
    const dir = `${this.appPath(app)}/locks`;
    return this.run(async (zk) => {
      const now = this.options.clock.now();
      const record: LockRecord = {
        ...owner,
        token: `${zk.session}-${randomBytes(8).toString("hex")}`,
        acquiredAt: now,
        expiresAt: now + leaseMs,
      };
      const mine = await createLockNode(zk, dir, record, this.acl, this.url.display);
      for (let round = 0; round < LOCK_ROUNDS; round++) {
        const names = await lockNodes(zk, dir);
        const position = names.indexOf(mine);
        if (position < 0) break; // another titan forced the lock while we queued for it
        if (position === 0) {
          this.held.set(app, `${dir}/${mine}`);
          return record;
        }
        // Only the lowest node holds; the others ahead are titans queued as we are, each about to hold or give up.
        const judged = `${dir}/${names[0]}`;
        const holder = await readJson<LockRecord>(zk, this.url.display, judged);
        // Released since the listing: list again. Breaking here would remove whoever took the lock next.
        if (holder === undefined) continue;
        const deadHere = holder.value.host === this.options.hostname && !this.isAlive(holder.value.pid);
        if (!options.force && !deadHere) {
          await zk.delete(`${dir}/${mine}`).catch(() => undefined);
          throw new LockHeldError(app, holder.value, now);
        }
        // Taking over: remove the node judged and no other (an ephemeral node may be deleted by any session; a
        // sequential name is never reused, so that name is that holder). Whoever is next is judged in turn.
        options.onBreak?.({ previous: holder.value, reason: deadHere ? "dead" : "forced" });
        await zk.delete(judged).catch((error: unknown) => {
          if (!(error instanceof ZkError && error.code === Code.noNode)) throw error;
        });
      }
      await zk.delete(`${dir}/${mine}`).catch(() => undefined);
      const holder = await this.currentLockIn(zk, app);
      if (holder) throw new LockHeldError(app, holder, now);
      throw new StateStoreError(`could not take the deploy lock of ${app}`, "re-run the command");
    });
  }

  private async lockPath(zk: ZkClient, app: string, lock: LockRecord): Promise<string | undefined> {
    const held = this.held.get(app);
    if (held === undefined) return undefined;
    const found = await readJson<LockRecord>(zk, this.url.display, held);
    return found?.value.token === lock.token ? held : undefined;
  }

  /**
   * The node is ephemeral, so the lock lives as long as this session; the lease is written too, because everyone
   * else (a supervisor, `titan status`, a teammate's deploy) judges a lock by its `expiresAt`, as with a file store.
   */
  async renewLock(app: string, lock: LockRecord, leaseMs: number): Promise<LockRecord> {
    return this.run(async (zk) => {
      const path = await this.lockPath(zk, app, lock);
      if (path === undefined) throw new LockLostError(app);
      const renewed = { ...lock, expiresAt: this.options.clock.now() + leaseMs };
      await zk.set(path, Buffer.from(JSON.stringify(renewed))).catch((error: unknown) => {
        // Forced away between the read and the write.
        throw error instanceof ZkError && error.code === Code.noNode ? new LockLostError(app) : error;
      });
      return renewed;
    });
  }

  async releaseLock(app: string, lock: LockRecord): Promise<void> {
    const zk = await this.zk().catch(() => undefined);
    if (zk === undefined || zk.currentState === "expired") return;
    const path = await this.lockPath(zk, app, lock).catch(() => undefined);
    this.held.delete(app);
    if (path !== undefined) await zk.delete(path).catch(() => undefined);
  }

  watchLock(app: string, lock: LockRecord, listener: (error: Error) => void): () => void {
    let stopped = false;
    const fire = (error: Error): void => {
      if (stopped) return;
      stopped = true;
      listener(error);
    };
    const offs: Array<() => void> = [];
    void this.zk().then(async (zk) => {
      if (stopped) return;
      offs.push(
        zk.onState((state) => {
          if (state === "expired") fire(new ZkSessionExpiredError(this.url.display, app));
        }),
      );
      const path = await this.lockPath(zk, app, lock).catch(() => undefined);
      if (path === undefined) return;
      const arm = async (): Promise<void> => {
        if (!stopped && (await zk.exists(path, true).catch(() => true)) === undefined)
          fire(new LockLostError(app));
      };
      offs.push(
        zk.onWatch((event) => {
          if (event.path === path && event.type === "deleted") fire(new LockLostError(app));
        }),
        // A watch lives on the server it was set on: set it again on every new connection.
        zk.onState((state) => {
          if (state === "connected") void arm();
        }),
      );
      await arm();
    });
    return () => {
      stopped = true;
      for (const off of offs) off();
    };
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held.clear();
    if (client) await (await client.catch(() => undefined))?.close();
  }
}
