import type { Dispatcher } from "undici";
import type { TitanError } from "../cli/errors.js";
import { UsageError } from "../cli/errors.js";
import { urlForMessage } from "../cli/url-text.js";
import {
  BadResponseError,
  ConnectionError,
  MesosTimeoutError,
  NotLeaderError,
  TemporarilyUnavailableError,
} from "./errors.js";
import { sanitizeExcerpt } from "./excerpt.js";
import { statusLine } from "./responses.js";
import { type BasicAuth, type HttpResponseHead, HttpTransport } from "./transport.js";
import { ZkMasterDetector } from "./zk-leader.js";

/** A Mesos cluster as titan's configuration names it. */
export interface ClusterConfig {
  /** Master URLs, e.g. `http://m1:5050`; `https://` when the masters run with LIBPROCESS_SSL_ENABLED. */
  masters: readonly string[];
  auth?: BasicAuth;
  /** PEM CA bundle for https masters and agents. */
  caFile?: string;
  /** The digest password of a `zk://user:REF@…` master URL, resolved from its reference. */
  zkPassword?: string;
}

/** Where the leader is published when the masters are given as one `zk://` URL (see zk-leader.ts). */
export interface LeaderDetector {
  readonly current: URL | undefined;
  detect(): Promise<URL>;
  close(): Promise<void>;
}

/** How far a request may follow redirects. */
export interface SendOptions {
  /**
   * Follow a redirect only to a configured master or to a leader that a configured master named. For SUBSCRIBE:
   * every later scheduler call (ACCEPT with TaskInfos and their resolved secrets) goes to the master it lands on.
   */
  vouchedOnly?: boolean;
}

export interface MasterClusterOptions {
  /** Redirects followed for one request before giving up (default 5). */
  maxRedirects?: number;
  /** Deadline for a `/master/redirect` probe (default 5 s). */
  probeDeadlineMs?: number;
  trace?: (line: string) => void;
  /** An undici dispatcher to send through instead of the cluster's own pools (tests: MockAgent). */
  dispatcher?: Dispatcher;
  /** Told which master a `zk://` URL led to, and of every leader change. */
  announce?: (line: string) => void;
  /** Finds the leader in ZooKeeper; set by fromConfig for a `zk://` master URL. */
  detector?: LeaderDetector;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Parses configured master URLs: http(s) only, no credentials or paths in the URL. */
export function parseMasterUrls(masters: readonly string[]): URL[] {
  if (masters.length === 0)
    throw new UsageError("no Mesos masters configured", "list at least one master URL");
  return masters.map((text) => {
    let url: URL;
    try {
      url = new URL(text.includes("://") ? text : `http://${text}`);
    } catch {
      throw new UsageError(
        `"${urlForMessage(text)}" is not a master URL`,
        "write masters as http://host:5050 or https://host:5050",
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(`master URL ${url.origin} must use http or https`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new UsageError(
        `master URL ${url.host} contains credentials`,
        "put the principal and secret in the cluster's auth settings, not in the URL",
      );
    }
    if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
      const what =
        url.pathname !== "/" ? `a path (${url.pathname})` : url.search !== "" ? "a query" : "a fragment";
      throw new UsageError(
        `master URL ${url.origin} has ${what}`,
        "give the master's address only (http://host:5050); titan adds the API paths itself",
      );
    }
    return new URL(url.origin);
  });
}

/**
 * Resolves a redirect `Location` against the URL that was requested. Mesos writes a protocol-relative
 * `//host:port/path`, so the scheme of the request is kept. An https request is never sent on to http.
 */
export function resolveLocation(location: string, from: URL): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new BadResponseError(
      `${from.origin} redirected to an invalid location "${sanitizeExcerpt(urlForMessage(location))}"`,
    );
  }
  if (from.protocol === "https:" && next.protocol !== "https:") {
    throw new NotLeaderError(
      `${from.origin} redirected from https to ${next.origin}; refusing to downgrade`,
      "configure the masters with https URLs that the leader also serves",
    );
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new BadResponseError(`${from.origin} redirected to an unsupported location ${next.protocol}`);
  }
  return next;
}

function isNetworkFailure(error: unknown): error is TitanError {
  return error instanceof ConnectionError || error instanceof MesosTimeoutError;
}

/**
 * Finds and remembers the leading master. Every request goes to the remembered leader first; a 307 is followed
 * (bounded, with loop detection, keeping the scheme), a 503 or an unreachable master moves on to the next
 * configured master, and a failing leader is forgotten.
 */
export class MasterCluster {
  readonly transport: HttpTransport;
  readonly masters: readonly URL[];
  private leader: URL | undefined;
  private readonly maxRedirects: number;
  private readonly probeDeadlineMs: number;
  private readonly detector: LeaderDetector | undefined;
  private readonly trace: ((line: string) => void) | undefined;
  /** Leaders a configured master named (by redirect), with the master that named them. */
  private readonly vouched = new Map<string, string>();

  constructor(masters: readonly URL[], transport: HttpTransport, options: MasterClusterOptions = {}) {
    this.masters = masters;
    this.transport = transport;
    this.detector = options.detector;
    this.maxRedirects = options.maxRedirects ?? 5;
    this.probeDeadlineMs = options.probeDeadlineMs ?? 5000;
    this.trace = options.trace;
  }

  /** True for a configured master, or a leader that one of them (or ZooKeeper, `by`) named. */
  isVouched(origin: string): boolean {
    return this.masters.some((m) => m.origin === origin) || this.vouched.has(origin);
  }

  /**
   * Records that `by` (a configured master, or the ZooKeeper ensemble the user configured) named `leader`: it is
   * the cluster's own leader under its advertised name, so it gets the cluster's credentials. Never for a name
   * that only an unconfigured host gave.
   */
  vouchFor(leader: URL, by: string): void {
    const origin = leader.origin;
    if (this.isVouched(origin)) return;
    this.vouched.set(origin, by);
    const principal = this.transport.principal;
    if (principal === undefined) return;
    this.transport.trustOrigin(origin);
    this.trace?.(
      `credentials: principal ${principal} (secret redacted) also goes to ${origin}, the leader ${by} named`,
    );
  }

  /** Applies the redirect rules to `from` -> `next`; throws when a vouched-only request may not go there. */
  private followRedirect(from: URL, next: URL, options: SendOptions): void {
    if (this.masters.some((m) => m.origin === from.origin)) {
      this.vouchFor(next, from.origin);
      return;
    }
    if (this.isVouched(next.origin)) return;
    if (options.vouchedOnly) {
      this.forgetLeader();
      throw new NotLeaderError(
        `${from.origin} redirected to ${next.origin}, which no configured master named; not sending the call there`,
        "list the leading master in the cluster's masters, or fix the redirecting host",
      );
    }
    if (this.transport.principal !== undefined) {
      this.trace?.(
        `credentials: not sent to ${next.origin}: only ${from.origin}, which is not a configured master, named it`,
      );
    }
  }

  static fromConfig(config: ClusterConfig, options: MasterClusterOptions = {}): MasterCluster {
    if (config.masters.some((m) => m.startsWith("zk://"))) return fromZooKeeper(config, options);
    const masters = parseMasterUrls(config.masters);
    const transport = new HttpTransport({
      auth: config.auth,
      caFile: config.caFile,
      trace: options.trace,
      dispatcher: options.dispatcher,
      credentialOrigins: masters.map((m) => m.origin),
    });
    return new MasterCluster(masters, transport, options);
  }

  /** The leader as last seen, if any. */
  get knownLeader(): URL | undefined {
    return this.leader;
  }

  forgetLeader(): void {
    this.leader = undefined;
  }

  /**
   * Asks the configured masters `GET /master/redirect` and returns the leader's origin, remembering it.
   * Throws TemporarilyUnavailableError when no master knows a leader or none answers.
   */
  async discoverLeader(signal?: AbortSignal): Promise<URL> {
    if (this.detector) {
      this.leader = await this.detector.detect();
      return this.leader;
    }
    const problems: string[] = [];
    for (const master of this.masters) {
      const url = new URL("/master/redirect", master);
      try {
        const response = await this.transport.fetch({
          method: "GET",
          url,
          deadlineMs: this.probeDeadlineMs,
          maxBytes: 64 * 1024,
          label: "leader probe",
          signal,
        });
        const location = response.headers.location;
        if (REDIRECTS.has(response.status) && location !== undefined) {
          this.leader = new URL(resolveLocation(location, url).origin);
          this.vouchFor(this.leader, master.origin);
          return this.leader;
        }
        problems.push(`${master.origin} answered ${statusLine(response.status)}${bodyHint(response.body)}`);
      } catch (error) {
        if (!isNetworkFailure(error)) throw error;
        problems.push(error.message);
      }
    }
    throw new TemporarilyUnavailableError(`no leading Mesos master found: ${problems.join("; ")}`);
  }

  /**
   * Sends one request to the leader. `send` performs the HTTP exchange for a URL; `discard` releases a response
   * that is not returned (a redirect or a 503). Returns the first response that is neither.
   */
  async send<R extends HttpResponseHead>(
    path: string,
    send: (url: URL) => Promise<R>,
    discard: (response: R) => void = () => {},
    options: SendOptions = {},
  ): Promise<R> {
    const problems: string[] = [];
    const failures: TitanError[] = [];
    let unavailable = false;
    let onlyTimeouts = true;
    // A failed leader is forgotten; ZooKeeper then names the current one (a watch keeps it up to date). The
    // ensemble is configured by the user, so the leader it names gets the cluster's credentials.
    if (this.detector && this.leader === undefined) this.leader = await this.detector.detect();
    const published = this.detector?.current;
    if (published) this.vouchFor(published, "ZooKeeper");
    for (const start of this.candidates(options)) {
      let url = new URL(path, start);
      const chain = [url.origin];
      for (;;) {
        let response: R;
        try {
          response = await send(url);
        } catch (error) {
          if (!isNetworkFailure(error)) throw error;
          if (this.leader?.origin === url.origin) this.forgetLeader();
          if (!(error instanceof MesosTimeoutError)) onlyTimeouts = false;
          failures.push(error);
          problems.push(error.message);
          break;
        }
        const location = response.headers.location;
        if (REDIRECTS.has(response.status) && location !== undefined) {
          discard(response);
          const next = resolveLocation(location, url);
          // A master redirects a call to the leader, never to itself: a Location that resolves back to the same
          // master (a relative path, or text that is no URL) is a broken answer, not a loop between masters.
          if (next.origin === url.origin) {
            this.forgetLeader();
            throw new BadResponseError(
              `${url.origin} redirected to itself (Location: "${sanitizeExcerpt(urlForMessage(location))}"), not to the leading master`,
              { hint: "a Mesos master redirects to the leader as //host:port/path; is a proxy in between?" },
            );
          }
          this.followRedirect(url, next, options);
          if (chain.includes(next.origin)) {
            this.forgetLeader();
            throw new NotLeaderError(
              `redirect loop between masters: ${[...chain, next.origin].join(" -> ")}`,
            );
          }
          if (chain.length > this.maxRedirects) {
            this.forgetLeader();
            throw new NotLeaderError(`more than ${this.maxRedirects} redirects: ${chain.join(" -> ")}`);
          }
          chain.push(next.origin);
          url = next;
          continue;
        }
        if (response.status === 503) {
          unavailable = true;
          problems.push(`${url.origin} answered ${statusLine(503)}${bodyHint(bodyOf(response))}`);
          if (this.leader?.origin === url.origin) this.forgetLeader();
          discard(response);
          break;
        }
        this.leader = new URL(url.origin);
        return response;
      }
    }
    const [only] = failures;
    if (!unavailable && failures.length === 1 && only !== undefined) throw only;
    const summary = problems.join("; ");
    if (!unavailable && onlyTimeouts)
      throw new MesosTimeoutError(`no Mesos master answered in time: ${summary}`);
    throw new TemporarilyUnavailableError(
      unavailable ? `no leading Mesos master: ${summary}` : `no Mesos master reachable: ${summary}`,
      unavailable
        ? "the cluster may be electing a leader; retry in a few seconds"
        : "check the master URLs and that the masters are running",
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.transport.close(), this.detector?.close()]);
  }

  private candidates(options: SendOptions = {}): URL[] {
    const leader = this.detector?.current ?? this.leader;
    if (leader === undefined || (options.vouchedOnly && !this.isVouched(leader.origin)))
      return [...this.masters];
    return [leader, ...this.masters.filter((m) => m.origin !== leader.origin)];
  }
}

/**
 * A cluster whose masters publish their leader in ZooKeeper (`--master zk://host:2181/mesos`). Credentials go
 * to whichever master ZooKeeper names as leader: the ensemble is the authority on who leads.
 */
function fromZooKeeper(config: ClusterConfig, options: MasterClusterOptions): MasterCluster {
  const [only, ...others] = config.masters;
  if (only === undefined || others.length > 0)
    throw new UsageError(
      "a zk:// master URL must be the only master",
      "give either zk://host:2181,host2:2181/mesos or a list of http(s) master URLs",
    );
  let transport: HttpTransport | undefined;
  const detector = ZkMasterDetector.fromUrl(only, {
    scheme: config.caFile === undefined ? "http" : "https",
    password: config.zkPassword,
    announce: (line) => {
      const origin = detector.current?.origin;
      if (origin !== undefined) transport?.trustOrigin(origin);
      (options.announce ?? options.trace)?.(line);
    },
  });
  transport = new HttpTransport({
    auth: config.auth,
    caFile: config.caFile,
    trace: options.trace,
    dispatcher: options.dispatcher,
  });
  return new MasterCluster([], transport, { ...options, detector });
}

function bodyOf(response: HttpResponseHead): Buffer | undefined {
  const body = (response as { body?: unknown }).body;
  return Buffer.isBuffer(body) ? body : undefined;
}

function bodyHint(body: Buffer | undefined): string {
  if (body === undefined || body.length === 0) return "";
  const text = sanitizeExcerpt(body.subarray(0, 1024).toString("utf8"));
  return text === "" ? "" : ` (${text})`;
}
