import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { UsageError } from "../cli/errors.js";
import {
  ConnectionError,
  MesosTimeoutError,
  ResponseTooLargeError,
  TruncatedResponseError,
} from "./errors.js";
import { loadAgent } from "./http-agent.js";

const Agent = loadAgent();

/** Whether a request carried the credentials, and whether a Mesos authenticator could accept them at all. */
export type SentCredentials = boolean | "colon";

/** HTTP basic credentials for masters and agents started with `--authenticate_http_*`. */
export interface BasicAuth {
  principal: string;
  secret: string;
}

export interface TransportOptions {
  auth?: BasicAuth;
  /** Origins (`http://host:port`) that may receive the credentials; nothing else ever does. */
  credentialOrigins?: Iterable<string>;
  /** PEM file with the CA(s) that signed the cluster's certificates. Verification is always on. */
  caFile?: string;
  /** One line per request for `--debug`; never contains credentials or headers. */
  trace?: (line: string) => void;
  /** Milliseconds a pooled keep-alive connection may stay idle. */
  keepAliveMs?: number;
  /** Use this dispatcher (e.g. undici's MockAgent in tests) instead of an own Agent; it is not closed by close(). */
  dispatcher?: Dispatcher;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: URL;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /** Overall deadline: connect, headers and (for fetch) the whole body. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** A short label for traces, e.g. the call type. */
  label?: string;
}

export interface HttpResponseHead {
  status: number;
  url: URL;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  contentType: string;
}

export interface HttpResponse extends HttpResponseHead {
  body: Buffer;
}

export interface HttpStream extends HttpResponseHead {
  /** The body; ends or fails with the watchdog's MesosTimeoutError when no byte arrives within the idle timeout. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Changes the idle watchdog, e.g. to a multiple of the heartbeat interval once it is known. */
  setIdleTimeout(ms: number): void;
  /** Aborts the stream and releases its connection. Idempotent. */
  close(): void;
}

/** Where a URL may be shown: origin and path, never userinfo. */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_CLOSED: "connection closed",
};

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns a low-level failure into a one-line typed error naming only the origin. */
export function connectionFailure(url: URL, error: unknown): ConnectionError {
  const code = errorCode(error) ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ALTNAME/.test(code)) {
    return new ConnectionError(
      `TLS verification of ${url.origin} failed (${code})`,
      "pass the CA that signed the cluster's certificates as ca_file (titan config set-cluster NAME --ca-file PATH); titan never skips verification",
      error,
    );
  }
  const what = NETWORK_CODES[code] ?? (code === "" ? "request failed" : code);
  return new ConnectionError(
    `cannot reach ${url.origin}: ${what}`,
    "check the URL and that the master or agent is running",
    error,
  );
}

/** A body that broke off after the headers arrived; `received` counts the body bytes that made it. */
export function truncatedResponse(
  url: URL,
  received: number,
  declared: number | undefined,
  error: unknown,
): TruncatedResponseError {
  const hint =
    "the master or agent (or a proxy in between) cut its answer short; retry, and check its log if it recurs";
  // Without a declared length (an event stream) there is no telling how much was missing.
  if (declared === undefined)
    return new TruncatedResponseError(
      `the connection to ${url.origin} closed mid-answer (after ${received} bytes)`,
      hint,
      error,
    );
  return new TruncatedResponseError(
    `${url.origin} answered a truncated response (the connection closed after ${received} of ${declared} bytes)`,
    hint,
    error,
  );
}

function declaredLength(headers: Readonly<Record<string, string>>): number | undefined {
  const declared = Number(headers["content-length"]);
  return headers["content-length"] !== undefined && Number.isSafeInteger(declared) ? declared : undefined;
}

/**
 * The one HTTP client of src/mesos: undici connection pools per origin with keep-alive, a deadline on every
 * request, size caps on buffered bodies, an idle watchdog on streams, TLS verified against an optional CA file,
 * and basic credentials only for configured origins. It never follows redirects: the leader finder does that
 * with its own rules.
 */
export class HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly authHeader: string | undefined;
  private readonly authPrincipal: string | undefined;
  private readonly authHasExtraColon: boolean;
  private readonly credentialOrigins: Set<string>;
  private readonly trace: ((line: string) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    this.ownsDispatcher = options.dispatcher === undefined;
    if (options.dispatcher !== undefined) {
      this.dispatcher = options.dispatcher;
    } else {
      const ca = options.caFile === undefined ? undefined : readCaFile(options.caFile);
      this.dispatcher = new Agent({
        keepAliveTimeout: options.keepAliveMs ?? 10_000,
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: ca === undefined ? { rejectUnauthorized: true } : { ca, rejectUnauthorized: true },
      });
    }
    this.authHeader =
      options.auth === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.auth.principal}:${options.auth.secret}`, "utf8").toString("base64")}`;
    this.authPrincipal = options.auth?.principal;
    this.authHasExtraColon =
      options.auth !== undefined &&
      `${options.auth.principal}:${options.auth.secret}`.split(":").length !== 2;
    this.credentialOrigins = new Set(options.credentialOrigins ?? []);
    this.trace = options.trace;
  }

  /** Allows credentials for an origin titan addresses on its own (an agent found in the master's state). */
  trustOrigin(origin: string): void {
    this.credentialOrigins.add(origin);
  }

  /** The principal of the configured credentials, for traces (the secret is never shown). */
  get principal(): string | undefined {
    return this.authHeader === undefined ? undefined : this.authPrincipal;
  }

  /**
   * Whether requests to `url` carry the credentials; `"colon"` when they do but a Mesos master or agent can never
   * accept them: libprocess' Basic authenticator splits the decoded `principal:secret` at every colon and refuses
   * anything but two parts (3rdparty/libprocess/src/authenticator.cpp).
   */
  sendsCredentialsTo(url: URL): SentCredentials {
    if (this.authHeader === undefined || !this.credentialOrigins.has(url.origin)) return false;
    return this.authHasExtraColon ? "colon" : true;
  }

  /** Sends a request and buffers the whole body, failing with ResponseTooLargeError past `maxBytes`. */
  async fetch(request: HttpRequest & { maxBytes: number }): Promise<HttpResponse> {
    const started = Date.now();
    const deadline = new Deadline(request.deadlineMs, request.signal);
    try {
      const raw = await this.dispatch(request, deadline.signal);
      const head = this.head(request.url, raw);
      const declared = declaredLength(head.headers);
      raw.body.on("error", () => {});
      if (declared !== undefined && declared > request.maxBytes) {
        raw.body.destroy();
        throw tooLarge(request.url, request.maxBytes);
      }
      const body = await this.readBody(request, deadline, raw.body, declared);
      this.log(
        request,
        `${head.status} ${head.contentType || "-"} ${body.length} bytes ${Date.now() - started} ms`,
      );
      return { ...head, body };
    } catch (error) {
      throw this.failure(request, deadline, error);
    } finally {
      deadline.dispose();
    }
  }

  private async readBody(
    request: HttpRequest & { maxBytes: number },
    deadline: Deadline,
    stream: Readable,
    declared: number | undefined,
  ): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > request.maxBytes) {
          stream.destroy();
          throw tooLarge(request.url, request.maxBytes);
        }
        parts.push(chunk);
      }
    } catch (error) {
      if (error instanceof ResponseTooLargeError || deadline.expired || request.signal?.aborted) throw error;
      throw truncatedResponse(request.url, size, declared, error);
    }
    return Buffer.concat(parts, size);
  }

  /** Sends a request and returns once the headers are in; the body is read incrementally by the caller. */
  async open(request: HttpRequest & { idleTimeoutMs: number }): Promise<HttpStream> {
    const deadline = new Deadline(request.deadlineMs, request.signal);
    let raw: Dispatcher.ResponseData;
    try {
      raw = await this.dispatch(request, deadline.signal);
    } catch (error) {
      deadline.dispose();
      throw this.failure(request, deadline, error);
    }
    deadline.clear();
    const head = this.head(request.url, raw);
    this.log(request, `${head.status} ${head.contentType || "-"} (stream)`);
    return new IdleWatchedStream(head, raw.body, request, deadline, request.idleTimeoutMs);
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private dispatch(request: HttpRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { ...request.headers };
    if (this.sendsCredentialsTo(request.url) && this.authHeader !== undefined)
      headers.authorization = this.authHeader;
    return this.dispatcher.request({
      origin: request.url.origin,
      path: `${request.url.pathname}${request.url.search}`,
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal,
    });
  }

  private head(url: URL, raw: Dispatcher.ResponseData): HttpResponseHead {
    const headers = headerRecord(raw.headers);
    return { status: raw.statusCode, url, headers, contentType: headers["content-type"] ?? "" };
  }

  private failure(request: HttpRequest, deadline: Deadline, error: unknown): unknown {
    if (error instanceof ResponseTooLargeError || error instanceof TruncatedResponseError) {
      this.log(request, `aborted: ${error.message}`);
      return error;
    }
    if (deadline.expired) {
      this.log(request, `timed out after ${request.deadlineMs} ms`);
      return new MesosTimeoutError(
        `${request.method} ${displayUrl(request.url)} got no complete answer within ${formatMs(request.deadlineMs)}`,
      );
    }
    if (request.signal?.aborted) return request.signal.reason ?? error;
    const failure = connectionFailure(request.url, error);
    this.log(request, `failed: ${failure.message}`);
    return failure;
  }

  private log(request: HttpRequest, outcome: string): void {
    if (!this.trace) return;
    const label = request.label === undefined ? "" : ` (${request.label})`;
    this.trace(`http: ${request.method} ${displayUrl(request.url)}${label} -> ${outcome}`);
  }
}

function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(
      `cannot read the CA file ${path} (${code})`,
      "point the cluster's ca_file at a PEM bundle (titan config set-cluster NAME --ca-file PATH)",
    );
  }
}

function tooLarge(url: URL, maxBytes: number): ResponseTooLargeError {
  return new ResponseTooLargeError(
    `response from ${displayUrl(url)} is larger than ${formatBytes(maxBytes)}; aborted`,
    maxBytes,
  );
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

/** An AbortSignal that fires after `ms` or when the caller's signal fires, remembering which. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onParentAbort: () => void;
  expired = false;

  constructor(
    ms: number,
    private readonly parent: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new MesosTimeoutError(`deadline of ${formatMs(ms)} passed`));
    }, ms);
    this.onParentAbort = () => this.controller.abort(parent?.reason);
    if (parent?.aborted) this.onParentAbort();
    else parent?.addEventListener("abort", this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the deadline timer; the caller's signal still aborts. */
  clear(): void {
    clearTimeout(this.timer);
  }

  /** Stops the timer and stops listening to the caller's signal. */
  dispose(): void {
    this.clear();
    this.parent?.removeEventListener("abort", this.onParentAbort);
  }
}

class IdleWatchedStream implements HttpStream {
  readonly status: number;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** True while the consumer waits for the next chunk, i.e. while silence counts against the peer. */
  private waiting = true;

  constructor(
    head: HttpResponseHead,
    private readonly body: Readable,
    private readonly request: HttpRequest,
    private readonly deadline: Deadline,
    private idleTimeoutMs: number,
  ) {
    this.status = head.status;
    this.url = head.url;
    this.headers = head.headers;
    this.contentType = head.contentType;
    // Errors reach the consumer through `chunks`; without a listener a discarded stream's abort would be uncaught.
    this.body.on("error", () => {});
    deadline.signal.addEventListener("abort", () => this.close(), { once: true });
    this.arm();
  }

  get chunks(): AsyncIterable<Uint8Array> {
    return this.iterate();
  }

  private async *iterate(): AsyncGenerator<Uint8Array> {
    let received = 0;
    try {
      for await (const chunk of this.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        // The watchdog measures only time spent waiting for the peer, not time the consumer spends handling.
        this.waiting = false;
        clearTimeout(this.timer);
        yield chunk;
        this.waiting = true;
        this.arm();
      }
    } catch (error) {
      if (error instanceof MesosTimeoutError || this.deadline.signal.aborted) throw error;
      throw truncatedResponse(this.url, received, declaredLength(this.headers), error);
    } finally {
      this.close();
    }
  }

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
    if (this.waiting) this.arm();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.deadline.dispose();
    this.body.destroy();
  }

  private arm(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const error = new MesosTimeoutError(
        `${displayUrl(this.request.url)} sent nothing for ${formatMs(this.idleTimeoutMs)}; connection dropped`,
      );
      this.closed = true;
      this.deadline.dispose();
      this.body.destroy(error);
    }, this.idleTimeoutMs);
  }
}
