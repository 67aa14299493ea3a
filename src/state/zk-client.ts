import { type Socket, connect as tcpConnect } from "node:net";
import { performance } from "node:perf_hooks";
import { JuteReader, JuteWriter } from "./zk-jute.js";
import {
  type Acl,
  Code,
  type CreateModeValue,
  decodeMulti,
  encodeMulti,
  Op,
  readStat,
  type Stat,
  type TxOp,
  writeAcls,
  Xid,
  ZkError,
} from "./zk-protocol.js";

export interface ZkHost {
  host: string;
  port: number;
}

export interface ZkClientOptions {
  hosts: readonly ZkHost[];
  /** Requested session timeout; the ensemble clamps it to [2, 20] ticks. Default 10 s. */
  sessionTimeoutMs?: number;
  /** How long to try the hosts before the first session is established. Default 10 s. */
  connectTimeoutMs?: number;
  /** How often to ping the server. Default: a third of the negotiated session timeout. */
  pingIntervalMs?: number;
  /** Digest credentials sent after every (re)connection. */
  auth?: { user: string; password: string };
  signal?: AbortSignal;
}

export type ZkState = "connected" | "disconnected" | "expired" | "closed";
export type WatchType = "created" | "deleted" | "changed" | "children";
export interface WatchEvent {
  type: WatchType;
  path: string;
}

/** No server of the ensemble could be reached (or none answered the handshake) in time. */
export class ZkUnreachableError extends Error {}
/** The ensemble refused the digest credentials. */
export class ZkAuthError extends Error {}

interface Pending {
  xid: number;
  path: string;
  withCode: boolean;
  /** performance.now() when the request was written. */
  sentAt: number;
  resolve: (body: JuteReader) => void;
  reject: (error: Error) => void;
}

const WATCH_TYPES: Record<number, WatchType> = { 1: "created", 2: "deleted", 3: "changed", 4: "children" };
const frameOf = (w: JuteWriter): Buffer => w.framed();

/**
 * A small client of the ZooKeeper wire protocol (the subset titan uses). One session; the connection moves
 * to another server of the ensemble when it drops, keeping the session. Requests in flight when a connection
 * drops fail with "connection loss" (their effect is unknown); requests made while reconnecting wait for the
 * new connection. Once the session expires — the server says so, or no server was reachable for the whole
 * session timeout, after which the ensemble will have dropped it — every request fails with "session
 * expired" and the client never starts a new session by itself: whoever held ephemeral nodes must stop.
 */
export class ZkClient {
  private socket: Socket | undefined;
  private state: ZkState = "disconnected";
  private sessionId = 0n;
  private password: Buffer = Buffer.alloc(16);
  private negotiatedMs: number;
  private lastZxid = 0n;
  private nextXid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<() => void> = [];
  private readonly stateListeners = new Set<(state: ZkState) => void>();
  private readonly watchListeners = new Set<(event: WatchEvent) => void>();
  private hostIndex = 0;
  private lastHeardAt = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private connectedTo: ZkHost | undefined;
  private confirmed = Number.NEGATIVE_INFINITY;
  /** Send times of the pings not answered yet, oldest first (a server answers in order). */
  private pingsInFlight: number[] = [];

  private constructor(private readonly options: ZkClientOptions) {
    this.negotiatedMs = options.sessionTimeoutMs ?? 10_000;
    this.hostIndex = Math.floor(Math.random() * options.hosts.length);
  }

  static async connect(options: ZkClientOptions): Promise<ZkClient> {
    if (options.hosts.length === 0) throw new ZkUnreachableError("no ZooKeeper hosts given");
    const client = new ZkClient(options);
    await client.establish(Date.now() + (options.connectTimeoutMs ?? 10_000), true);
    return client;
  }

  get currentState(): ZkState {
    return this.state;
  }

  /** The negotiated session timeout. */
  get sessionTimeoutMs(): number {
    return this.negotiatedMs;
  }

  /** The session id in hex, as ZooKeeper's logs print it. */
  get session(): string {
    return this.sessionId.toString(16);
  }

  /** The server of the current connection, as host:port, or undefined while there is none. */
  get server(): string | undefined {
    return this.connectedTo && this.state === "connected"
      ? `${this.connectedTo.host}:${this.connectedTo.port}`
      : undefined;
  }

  /**
   * When (performance.now()) the ensemble last provably held the session: the send time of the newest request,
   * ping or handshake a server answered. A server renews the session when it receives a request, and expires
   * it no sooner than the session timeout after that, so the session lives at least until this moment plus
   * the timeout.
   */
  get confirmedAt(): number {
    return this.confirmed;
  }

  onState(listener: (state: ZkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** One-shot watches set by `watch: true` reads fire here (re-arm them by reading again). */
  onWatch(listener: (event: WatchEvent) => void): () => void {
    this.watchListeners.add(listener);
    return () => this.watchListeners.delete(listener);
  }

  async create(path: string, data: Buffer, acl: readonly Acl[], mode: CreateModeValue): Promise<string> {
    const w = new JuteWriter().string(path).buffer(data);
    writeAcls(w, acl);
    w.int(mode);
    return (await this.request(Op.create, path, w.toBuffer())).string();
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.request(Op.delete, path, new JuteWriter().string(path).int(version).toBuffer());
  }

  /** The node's stat, or undefined when it does not exist (a watch is then set on its creation). */
  async exists(path: string, watch = false): Promise<Stat | undefined> {
    try {
      return readStat(await this.read(Op.exists, path, readRequest(path, watch)));
    } catch (error) {
      if (error instanceof ZkError && error.code === Code.noNode) return undefined;
      throw error;
    }
  }

  /** The node's data and stat, or undefined when it does not exist. */
  async get(path: string, watch = false): Promise<{ data: Buffer; stat: Stat } | undefined> {
    try {
      const r = await this.read(Op.getData, path, readRequest(path, watch));
      const data = r.buffer() ?? Buffer.alloc(0);
      return { data, stat: readStat(r) };
    } catch (error) {
      if (error instanceof ZkError && error.code === Code.noNode) return undefined;
      throw error;
    }
  }

  async set(path: string, data: Buffer, version = -1): Promise<Stat> {
    const body = new JuteWriter().string(path).buffer(data).int(version).toBuffer();
    return readStat(await this.request(Op.setData, path, body));
  }

  async children(path: string, watch = false): Promise<string[]> {
    return (await this.read(Op.getChildren, path, readRequest(path, watch))).strings();
  }

  /** Applies every op or none; returns created paths in op order. */
  async multi(ops: readonly TxOp[]): Promise<Array<string | undefined>> {
    const r = await this.request(Op.multi, ops[0]?.path ?? "/", encodeMulti(ops), true);
    const err = r.int();
    try {
      return decodeMulti(r.rest(), ops);
    } catch (error) {
      if (error instanceof ZkError || err === Code.ok) throw error;
      throw new ZkError(err, ops[0]?.path ?? "/");
    }
  }

  /** Creates the path's missing ancestors and itself as empty persistent nodes. */
  async ensurePath(path: string, acl: readonly Acl[]): Promise<void> {
    let at = "";
    for (const part of path.split("/").filter((p) => p !== "")) {
      at += `/${part}`;
      if (await this.exists(at)) continue;
      try {
        await this.create(at, Buffer.alloc(0), acl, 0);
      } catch (error) {
        if (!(error instanceof ZkError && error.code === Code.nodeExists)) throw error;
      }
    }
  }

  /**
   * Ends the session: its ephemeral nodes go at once. With `abandon` the client only stops using it and the
   * ensemble expires it after its timeout, so whoever waits on its nodes cannot start before that.
   */
  async close(options: { abandon?: boolean } = {}): Promise<void> {
    if (this.state === "closed") return;
    if (this.state === "connected" && options.abandon !== true) {
      await Promise.race([
        this.request(Op.closeSession, "/", Buffer.alloc(0)).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    }
    this.setState("closed");
    this.teardown(new ZkError(Code.connectionLoss, "/"));
  }

  /** Ends the connection without ending the session, as a crash would (tests). */
  dropConnection(): void {
    const socket = this.socket;
    if (socket !== undefined) this.onConnectionLost(socket);
  }

  /** A read is safe to repeat: one lost with its connection is sent again on the next one. */
  private async read(type: number, path: string, body: Buffer): Promise<JuteReader> {
    for (;;) {
      try {
        return await this.request(type, path, body);
      } catch (error) {
        if (!(error instanceof ZkError && error.code === Code.connectionLoss) || this.state === "closed")
          throw error;
      }
    }
  }

  /** Sends one request. With `withCode` the reply's result code is the first int of the reader, not thrown. */
  private request(type: number, path: string, body: Buffer, withCode = false): Promise<JuteReader> {
    return new Promise<JuteReader>((resolve, reject) => {
      const send = (): void => {
        if (this.state === "expired" || this.state === "closed") {
          reject(new ZkError(this.state === "expired" ? Code.sessionExpired : Code.connectionLoss, path));
          return;
        }
        if (this.state !== "connected" || this.socket === undefined) {
          this.waiting.push(send);
          return;
        }
        const xid = this.nextXid++;
        this.pending.set(xid, { xid, path, withCode, sentAt: performance.now(), resolve, reject });
        this.socket.write(frameOf(new JuteWriter().int(xid).int(type).raw(body)));
      };
      send();
    });
  }

  private setState(state: ZkState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
    if (state !== "disconnected" && state !== "connected") {
      for (const send of this.waiting.splice(0)) send();
    }
  }

  private teardown(error: Error): void {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    this.pingsInFlight = [];
    const socket = this.socket;
    this.socket = undefined;
    this.connectedTo = undefined;
    socket?.removeAllListeners();
    socket?.on("error", () => undefined);
    socket?.destroy();
    for (const p of this.pending.values())
      p.reject(error instanceof ZkError ? new ZkError(error.code, p.path) : error);
    this.pending.clear();
  }

  /** Tries the hosts in turn until one accepts the session, the deadline passes or the session expires. */
  private async establish(deadline: number, first: boolean): Promise<void> {
    const problems: string[] = [];
    let delay = 50;
    while (this.state === "disconnected") {
      if (this.options.signal?.aborted) throw new ZkUnreachableError("interrupted");
      const host = this.options.hosts[this.hostIndex % this.options.hosts.length] as ZkHost;
      this.hostIndex++;
      try {
        await this.handshake(host, Math.max(1000, Math.min(deadline - Date.now(), this.negotiatedMs)));
        return;
      } catch (error) {
        if (error instanceof ZkAuthError) {
          this.setState("closed");
          throw error;
        }
        problems.push(`${host.host}:${host.port}: ${(error as Error).message}`);
      }
      if (this.state !== "disconnected") return;
      if (Date.now() >= deadline) {
        if (!first) this.setState("expired");
        const tried = [...new Set(problems)].slice(-this.options.hosts.length).join("; ");
        throw new ZkUnreachableError(tried);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  private handshake(host: ZkHost, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = tcpConnect({ host: host.host, port: host.port });
      socket.setNoDelay(true);
      let settled = false;
      let sentAt = performance.now();
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error("no handshake in time")), timeoutMs);
      socket.once("error", (error) => fail(error));
      socket.once("close", () => fail(new Error("connection closed during handshake")));
      socket.once("connect", () => {
        const w = new JuteWriter().int(0).long(this.lastZxid).int(this.negotiatedMs);
        w.long(this.sessionId).buffer(this.password).bool(false);
        sentAt = performance.now();
        socket.write(w.framed());
      });
      let data = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        data = Buffer.concat([data, chunk]);
        if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
        socket.off("data", onData);
        const length = data.readInt32BE(0);
        const r = new JuteReader(data.subarray(4, 4 + length));
        r.int();
        const timeout = r.int();
        const sessionId = r.long();
        const password = r.buffer() ?? Buffer.alloc(16);
        if (timeout <= 0) {
          settled = true;
          clearTimeout(timer);
          socket.destroy();
          this.setState("expired");
          this.teardown(new ZkError(Code.sessionExpired, "/"));
          reject(new ZkError(Code.sessionExpired, "/"));
          return;
        }
        this.negotiatedMs = timeout;
        this.sessionId = sessionId;
        this.password = password;
        this.buffered = data.subarray(4 + length);
        this.authenticate(socket)
          .then(() => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.confirm(sentAt);
            this.adopt(socket, host);
            resolve();
          })
          .catch(fail);
      };
      socket.on("data", onData);
    });
  }

  private authenticate(socket: Socket): Promise<void> {
    const auth = this.options.auth;
    if (auth === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const credential = Buffer.from(`${auth.user}:${auth.password}`, "utf8");
      socket.write(
        frameOf(new JuteWriter().int(Xid.auth).int(Op.auth).int(0).string("digest").buffer(credential)),
      );
      let data = this.buffered;
      const check = (): void => {
        if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
        socket.off("data", onData);
        const length = data.readInt32BE(0);
        const r = new JuteReader(data.subarray(4, 4 + length));
        r.int();
        r.long();
        const err = r.int();
        this.buffered = data.subarray(4 + length);
        if (err === Code.ok) resolve();
        else reject(new ZkAuthError(`ZooKeeper refused the digest credentials of ${auth.user}`));
      };
      const onData = (chunk: Buffer): void => {
        data = Buffer.concat([data, chunk]);
        check();
      };
      socket.on("data", onData);
      check();
    });
  }

  /** The handshake succeeded: route frames, ping, and reconnect when the socket goes. */
  private adopt(socket: Socket, host: ZkHost): void {
    socket.removeAllListeners();
    if (this.state === "closed" || this.state === "expired") {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.connectedTo = host;
    this.lastHeardAt = Date.now();
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onConnectionLost(socket));
    const interval = Math.max(100, Math.floor(this.options.pingIntervalMs ?? this.negotiatedMs / 3));
    this.pingTimer = setInterval(() => {
      // No reply for two thirds of the session timeout: this server is gone; move on while the session lives.
      if (Date.now() - this.lastHeardAt > (this.negotiatedMs * 2) / 3) socket.destroy();
      else {
        this.pingsInFlight.push(performance.now());
        socket.write(frameOf(new JuteWriter().int(Xid.ping).int(Op.ping)));
      }
    }, interval);
    this.pingTimer.unref();
    this.setState("connected");
    for (const send of this.waiting.splice(0)) send();
    if (this.buffered.length > 0) this.onData(Buffer.alloc(0));
  }

  private confirm(sentAt: number): void {
    if (sentAt > this.confirmed) this.confirmed = sentAt;
  }

  private onConnectionLost(socket: Socket): void {
    if (this.socket !== socket) return;
    const lostAt = this.lastHeardAt;
    this.teardown(new ZkError(Code.connectionLoss, "/"));
    if (this.state !== "connected") return;
    this.setState("disconnected");
    // The ensemble expires the session once it heard nothing for the session timeout.
    this.establish(lostAt + this.negotiatedMs, false).catch(() => {
      if (this.state === "disconnected") this.setState("expired");
    });
  }

  private onData(chunk: Buffer): void {
    this.lastHeardAt = Date.now();
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + length) return;
      const frame = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      this.onFrame(new JuteReader(frame));
    }
  }

  private onFrame(r: JuteReader): void {
    const xid = r.int();
    const zxid = r.long();
    const err = r.int();
    if (zxid > 0n) this.lastZxid = zxid;
    if (xid === Xid.ping) {
      const sentAt = this.pingsInFlight.shift();
      if (sentAt !== undefined) this.confirm(sentAt);
      return;
    }
    if (xid === Xid.auth) return;
    if (xid === Xid.notification) {
      const type = WATCH_TYPES[r.int()];
      r.int();
      const path = r.string();
      if (type !== undefined) for (const listener of this.watchListeners) listener({ type, path });
      return;
    }
    const pending = this.pending.get(xid);
    if (pending === undefined) return;
    this.pending.delete(xid);
    if (err !== Code.sessionExpired) this.confirm(pending.sentAt);
    if (pending.withCode) pending.resolve(new JuteReader(new JuteWriter().int(err).raw(r.rest()).toBuffer()));
    else if (err !== Code.ok) pending.reject(new ZkError(err, pending.path));
    else pending.resolve(r);
  }
}

function readRequest(path: string, watch: boolean): Buffer {
  return new JuteWriter().string(path).bool(watch).toBuffer();
}
