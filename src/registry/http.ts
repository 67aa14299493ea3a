import { Agent, type Dispatcher, request } from "undici";

export interface RegistryRequest {
  method: "GET" | "HEAD";
  url: URL;
  headers: Readonly<Record<string, string>>;
  /** Buffered bodies larger than this fail (manifests are small; an HTML error page is not a manifest). */
  maxBytes: number;
}

export interface RegistryResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Deadline of one attempt: connect, headers and body. */
  attemptTimeoutMs: number;
  /** The longest Retry-After titan waits for; a longer one ends the retries. */
  maxRetryDelayMs: number;
  /** Delay before the second attempt when the registry names none; doubles each time. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 3,
  attemptTimeoutMs: 15_000,
  maxRetryDelayMs: 20_000,
  baseDelayMs: 250,
};

/** Why a request ended without an answer titan can use; the message names the origin only. */
export class RegistryUnavailable extends Error {}

/** An answer larger than the request allows: never retried, as the registry would send the same document again. */
export class RegistryAnswerTooLarge extends Error {
  constructor(
    readonly url: URL,
    readonly maxBytes: number,
  ) {
    super(`${url.origin} sent more than ${formatBytes(maxBytes)} for ${url.pathname}`);
  }
}

function formatBytes(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${bytes} bytes`;
}

const RETRIED_STATUS = new Set([429, 502, 503, 504]);

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from now. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

function failureText(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
    if (typeof code === "string" && /CERT|TLS|SELF_SIGNED/.test(code))
      return `TLS verification failed (${code})`;
    current = (current as { cause?: unknown }).cause;
  }
  return "request failed";
}

/** HTTP for the Registry API: one pooled agent, a deadline per attempt, bounded retries honouring Retry-After. */
export class RegistryHttp {
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    private readonly signal?: AbortSignal,
  ) {
    this.dispatcher = new Agent({ keepAliveTimeout: 5_000, connect: { rejectUnauthorized: true } });
  }

  async send(req: RegistryRequest): Promise<RegistryResponse> {
    let lastProblem = "";
    let attempts = 0;
    for (let attempt = 1; attempt <= this.policy.attempts; attempt++) {
      attempts = attempt;
      let waitMs = this.policy.baseDelayMs * 2 ** (attempt - 1);
      try {
        const response = await this.once(req);
        if (!RETRIED_STATUS.has(response.status)) return response;
        lastProblem = `HTTP ${response.status}`;
        const named = retryAfterMs(response.headers["retry-after"], Date.now());
        if (named !== undefined) {
          if (named > this.policy.maxRetryDelayMs) {
            lastProblem += ` (asked to retry after ${Math.ceil(named / 1000)}s)`;
            break;
          }
          waitMs = named;
        }
      } catch (error) {
        if (this.signal?.aborted || error instanceof RegistryAnswerTooLarge) throw error;
        lastProblem = error instanceof RegistryUnavailable ? error.message : failureText(error);
      }
      if (attempt < this.policy.attempts) await sleep(waitMs, this.signal);
    }
    throw new RegistryUnavailable(
      `${req.url.origin} did not answer after ${attempts} attempt${attempts === 1 ? "" : "s"} (${lastProblem})`,
    );
  }

  private async once(req: RegistryRequest): Promise<RegistryResponse> {
    const timeout = AbortSignal.timeout(this.policy.attemptTimeoutMs);
    const signal = this.signal === undefined ? timeout : AbortSignal.any([timeout, this.signal]);
    try {
      const raw = await request(req.url, {
        method: req.method,
        headers: { ...req.headers, "user-agent": "titan" },
        dispatcher: this.dispatcher,
        signal,
      });
      raw.body.on("error", () => {});
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of raw.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > req.maxBytes) {
          raw.body.destroy();
          throw new RegistryAnswerTooLarge(req.url, req.maxBytes);
        }
        parts.push(chunk);
      }
      return { status: raw.statusCode, headers: headerRecord(raw.headers), body: Buffer.concat(parts, size) };
    } catch (error) {
      if (timeout.aborted && !this.signal?.aborted)
        throw new RegistryUnavailable(`no answer within ${this.policy.attemptTimeoutMs / 1000}s`);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
