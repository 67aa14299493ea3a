import { randomBytes } from "node:crypto";
import { TitanError } from "../cli/errors.js";
import { APP_NAME_RULE, isAppName } from "../manifest/app-name.js";
import { backoffDelay, sleep } from "../mesos/backoff.js";
import { StateStoreError } from "../state/errors.js";
import { ZkAuthError, ZkClient, ZkUnreachableError } from "../state/zk-client.js";
import { zkFailure } from "../state/zk-errors.js";
import { createSequentialNode, readJson, sequentialNodes } from "../state/zk-nodes.js";
import { type Acl, Code, CREATOR_ACL, OPEN_ACL, ZkError } from "../state/zk-protocol.js";
import type { ZkUrl } from "../state/zk-url.js";
import { abortable } from "./abortable.js";
import type { Leadership, LeaderTerm, SupervisorIdentity } from "./leadership.js";
import { guardSession, SessionInDoubtError } from "./zk-session-guard.js";

const PREFIX = "contender-";

/** The lead of an app is gone (or may be): the message says why; the supervisor stops acting for it. */
export class LeadershipLostError extends TitanError {
  constructor(
    readonly app: string,
    why: string,
  ) {
    super(`lost the lead of ${app}: ${why}`, { hint: "stopped acting for it; it contends again" });
  }
}

export interface ZkLeadershipOptions {
  /** How this process names itself to the other contenders and to `titan ps`. */
  identity: SupervisorIdentity;
  /** The digest password, resolved from the URL's secret reference. */
  password?: string;
  /** The leadership session's timeout: a leader killed outright is replaced after about this long. */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Told each time contending fails for a reason that may pass (ZooKeeper unreachable, a session lost). */
  onRetry?: (error: Error) => void;
}

/** The default session timeout: short enough to hand over in seconds, within ZooKeeper's default bounds. */
export const LEADERSHIP_SESSION_TIMEOUT_MS = 6000;

interface Session {
  client: ZkClient;
  /** Aborted once the session may be gone, or this process lets it go. */
  lost: AbortSignal;
  giveUp(why: string): void;
  /** Set when `lost` aborts: ending the session (closing it when this process let it go, else abandoning it). */
  ending?: Promise<void>;
  graceful: boolean;
}

interface Contender extends SupervisorIdentity {
  token: string;
}

/**
 * Leader election per app in ZooKeeper (the recipe of the ZooKeeper documentation, as Curator's LeaderLatch
 * runs it). Each contender for an app creates an ephemeral sequential node holding its identity under
 * `<base>/leaders/<app>/contender-<sequence>`; the lowest sequence leads, and every other contender
 * watches only the node just ahead of its own, so a leader leaving wakes one waiter, not all of them.
 *
 * One session serves every app of this process, with its own timeout (not the state store's session). A term
 * is lost the moment the session may be gone (see guardSession): the node of a leader that crashed or was
 * cut off only disappears when the ensemble expires the session, by which time that leader has already
 * stopped. A session in doubt is abandoned, never reused: contending starts over in a new one.
 */
export class ZkLeadership implements Leadership {
  private live: Session | undefined;
  private opening: Promise<Session> | undefined;
  private closed = false;
  private readonly acl: readonly Acl[];

  constructor(
    private readonly url: ZkUrl,
    private readonly options: ZkLeadershipOptions,
  ) {
    this.acl = url.auth ? CREATOR_ACL : OPEN_ACL;
  }

  /** The ZooKeeper server the leadership session talks to now (host:port), for logs. */
  get server(): string | undefined {
    return this.live?.client.server;
  }

  /** Where the contenders for `app` queue. */
  contendersPath(app: string): string {
    if (!isAppName(app))
      throw new StateStoreError(`"${app}" is not a valid app name`, `app names are ${APP_NAME_RULE}`);
    return `${this.url.path}/leaders/${app}`;
  }

  async acquire(app: string, signal: AbortSignal): Promise<LeaderTerm> {
    const dir = this.contendersPath(app);
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        const term = await this.contend(await abortable(this.session(), signal), app, dir, signal);
        if (signal.aborted) await term.resign();
        else return term;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (!mayPass(error)) throw zkFailure(error, this.url);
        this.options.onRetry?.(error instanceof SessionInDoubtError ? error : zkFailure(error, this.url));
        await sleep(backoffDelay(attempt, { initialMs: 250, maxMs: 5000 }), signal);
      }
    }
  }

  async leader(app: string): Promise<SupervisorIdentity | undefined> {
    const dir = this.contendersPath(app);
    try {
      const { client } = await this.session();
      for (const name of await sequentialNodes(client, dir, PREFIX)) {
        const found = await readJson<Contender>(client, this.url.display, `${dir}/${name}`);
        if (found !== undefined) return identityOf(found.value);
      }
      return undefined;
    } catch (error) {
      throw zkFailure(error, this.url);
    }
  }

  /** Ends the session: every term is lost first, then every node of this process goes at once. */
  async close(): Promise<void> {
    this.closed = true;
    const live = this.live ?? (await this.opening?.catch(() => undefined));
    this.live = undefined;
    if (live === undefined) return;
    live.graceful = true;
    live.giveUp("this supervisor is stopping");
    await live.ending;
  }

  /** The live session, or a new one when there is none or the last one is in doubt. */
  private session(): Promise<Session> {
    if (this.closed) return Promise.reject(new Error("the leadership was closed"));
    if (this.live !== undefined && !this.live.lost.aborted) return Promise.resolve(this.live);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<Session> {
    const { auth } = this.url;
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? LEADERSHIP_SESSION_TIMEOUT_MS;
    const client = await ZkClient.connect({
      hosts: this.url.hosts,
      sessionTimeoutMs,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
      // Pings at a quarter of the timeout keep a healthy session confirmed well within the guard's half.
      pingIntervalMs: sessionTimeoutMs / 4,
      ...(auth && this.options.password !== undefined
        ? { auth: { user: auth.user, password: this.options.password } }
        : {}),
    });
    const guard = guardSession(client, this.url.display);
    const session: Session = { client, lost: guard.lost, giveUp: guard.giveUp, graceful: false };
    // In doubt is as good as gone: stop using the session and let the ensemble expire it in its own time.
    // Only a session this process lets go on purpose is closed, which removes its nodes at once.
    const end = (): void => {
      session.ending = client.close({ abandon: !session.graceful });
    };
    guard.lost.addEventListener("abort", end, { once: true });
    if (this.closed) {
      session.graceful = true;
      guard.giveUp("the leadership was closed");
      await session.ending;
    } else this.live = session;
    return session;
  }

  /** Queues for the lead of `app` in `session`; resolves once this contender is the lowest. */
  private async contend(
    session: Session,
    app: string,
    dir: string,
    signal: AbortSignal,
  ): Promise<LeaderTerm> {
    const { client } = session;
    const record: Contender = {
      ...this.options.identity,
      token: `${client.session}-${randomBytes(8).toString("hex")}`,
    };
    const join = (): Promise<string> =>
      createSequentialNode(client, dir, PREFIX, record, this.acl, this.url.display);
    let name = await join();
    try {
      for (;;) {
        session.lost.throwIfAborted();
        const names = await sequentialNodes(client, dir, PREFIX);
        const position = names.indexOf(name);
        if (position < 0)
          name = await join(); // someone removed our node: queue again
        else if (position === 0) return await this.lead(session, app, `${dir}/${name}`);
        else await predecessorGone(session, `${dir}/${names[position - 1]}`, signal);
      }
    } catch (error) {
      if (!session.lost.aborted) await client.delete(`${dir}/${name}`).catch(() => undefined);
      throw error;
    }
  }

  /** The term of the contender whose node is `path`: lost with the session or when the node goes. */
  private async lead(session: Session, app: string, path: string): Promise<LeaderTerm> {
    const { client } = session;
    const controller = new AbortController();
    const stops: Array<() => void> = [];
    const lose = (why: string): void => {
      for (const stop of stops.splice(0)) stop();
      if (!controller.signal.aborted) controller.abort(new LeadershipLostError(app, why));
    };
    const watchNode = async (): Promise<void> => {
      const stat = await client.exists(path, true).catch(() => null);
      if (stat === undefined) lose(`its node ${path} was deleted`);
    };
    stops.push(
      onAbort(session.lost, () => lose((session.lost.reason as Error).message)),
      client.onWatch((event) => {
        if (event.path !== path) return;
        if (event.type === "deleted") lose(`its node ${path} was deleted`);
        else void watchNode();
      }),
      // Watches live on the server they were set on: set it again on every new connection.
      client.onState((state) => {
        if (state === "connected") void watchNode();
      }),
    );
    await watchNode();
    controller.signal.throwIfAborted();
    return {
      lost: controller.signal,
      resign: async () => {
        lose("resigned");
        await removeNode(session, path);
      },
    };
  }
}

/** Resolves when the node ahead of ours is gone or may be (a new connection lost the watch), to look again. */
function predecessorGone(session: Session, path: string, signal: AbortSignal): Promise<void> {
  const { client } = session;
  return new Promise<void>((resolve, reject) => {
    const stops: Array<() => void> = [];
    const done = (error?: unknown): void => {
      for (const stop of stops.splice(0)) stop();
      if (error === undefined) resolve();
      else reject(error);
    };
    // Listen before asking: a deletion may arrive in the same read as the answer.
    stops.push(
      client.onWatch((event) => {
        if (event.path === path) done();
      }),
      client.onState((state) => {
        if (state === "connected") done();
      }),
      onAbort(signal, () => done(signal.reason)),
      onAbort(session.lost, () => done(session.lost.reason)),
    );
    client.exists(path, true).then(
      (stat) => {
        if (stat === undefined) done();
      },
      (error: unknown) => done(error),
    );
  });
}

/** Deletes a leader's node; nothing to do once the session is in doubt (the node goes with it). */
async function removeNode(session: Session, path: string): Promise<void> {
  while (!session.lost.aborted) {
    try {
      await session.client.delete(path);
      return;
    } catch (error) {
      if (!(error instanceof ZkError && error.code === Code.connectionLoss)) return;
    }
  }
}

/** Failures that pass by themselves: contending goes on after a pause. Bad credentials or ACLs do not. */
function mayPass(error: unknown): boolean {
  if (error instanceof SessionInDoubtError || error instanceof ZkUnreachableError) return true;
  if (error instanceof LeadershipLostError) return true;
  if (error instanceof ZkAuthError) return false;
  return (
    error instanceof ZkError && (error.code === Code.connectionLoss || error.code === Code.sessionExpired)
  );
}

function identityOf(contender: Contender): SupervisorIdentity {
  const { user, host, pid, startedAt } = contender;
  return { user, host, pid, startedAt };
}

function onAbort(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    queueMicrotask(listener);
    return () => undefined;
  }
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}
