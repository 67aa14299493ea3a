import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { BadResponseError, MesosTimeoutError, ResponseTooLargeError } from "./errors.js";
import { type CapturedValue, JsonCapture } from "./json-capture.js";
import { JsonStreamError, type Selection } from "./json-select.js";
import type { MasterCluster } from "./leader.js";
import { JSON_HEADERS, operatorCall } from "./operator.js";
import { errorForStatus, statusLine } from "./responses.js";
import type { HttpStream, SentCredentials } from "./transport.js";

export interface StreamedCallOptions {
  /** Which values to keep, by path (see JsonSelector). */
  select: (path: string) => Selection;
  /** Receives each captured value as the document streams by, the items of a list parsed in batches or one by one. */
  onValue: (path: string, value: CapturedValue) => void;
  signal?: AbortSignal;
  /** Deadline for the answer's headers (default 75 s). */
  deadlineMs?: number;
  /** How long the body may stall (default 30 s). */
  idleTimeoutMs?: number;
  /** How long the whole answer may take, headers to last byte (default 10 min). */
  totalMs?: number;
  /**
   * The least average rate of the body on the wire once `rateGraceMs` (default 30 s) have passed since its headers
   * (default 32 KiB/s): a master that trickles its answer fails in about the grace time, not after `totalMs`.
   */
  minBytesPerSecond?: number;
  rateGraceMs?: number;
  /** Cap on the decompressed document (default 4 GiB): it is never held whole, so this only stops a runaway. */
  maxBytes?: number;
  /**
   * For the items of a captured array (by path), bytes without which the caller drops an item, testing
   * `mayContain`: only the stretches of the answer that hold them are parsed in batches.
   */
  needle?: (path: string) => Buffer | undefined;
}

export interface StreamedCallResult {
  /** The master that answered. */
  origin: string;
  /** Bytes on the wire, and of the JSON document once decompressed. */
  wireBytes: number;
  jsonBytes: number;
}

const ERROR_EXCERPT_BYTES = 4096;

/**
 * Sends a v1 operator call to the leading master and streams its answer through a JsonSelector, asking for gzip:
 * libprocess compresses a response body of at least 1 KiB when the request accepts gzip (3rdparty/libprocess,
 * encoder.hpp, `HttpResponseEncoder::encode`), about 10x for a master state. Neither the compressed nor the
 * decompressed document is held whole: memory is a batch of items (src/mesos/json-batch.ts) plus what the caller
 * keeps of the captured values, and the items are parsed while the rest of the answer is still on its way.
 */
export async function streamOperatorCall(
  cluster: MasterCluster,
  type: string,
  options: StreamedCallOptions,
): Promise<StreamedCallResult> {
  const transport = cluster.transport;
  const started = performance.now();
  const stream = await cluster.send(
    "/api/v1",
    (url) =>
      transport.open({
        method: "POST",
        url,
        headers: { ...JSON_HEADERS, "accept-encoding": "gzip" },
        body: JSON.stringify(operatorCall(type)),
        deadlineMs: options.deadlineMs ?? 75_000,
        idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
        label: `${type} (streamed)`,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    (discarded) => discarded.close(),
  );
  try {
    return await readAnswer(stream, type, options, transport.sendsCredentialsTo(stream.url), started);
  } finally {
    stream.close();
  }
}

async function readAnswer(
  stream: HttpStream,
  type: string,
  options: StreamedCallOptions,
  credentialsSent: SentCredentials,
  started: number,
): Promise<StreamedCallResult> {
  const what = type;
  const gzip = (stream.headers["content-encoding"] ?? "").toLowerCase().includes("gzip");
  if (stream.status !== 200) {
    throw errorForStatus(stream, await excerpt(stream, gzip), { what, credentialsSent });
  }
  const mediaType = stream.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (mediaType !== "" && !mediaType.endsWith("json")) {
    throw new BadResponseError(
      `${what}: ${stream.url.origin} answered ${statusLine(200)} with ${mediaType} instead of JSON`,
      { status: 200 },
    );
  }
  const maxBytes = options.maxBytes ?? 4 * 1024 ** 3;
  const counted = { wire: 0 };
  const pace = {
    started,
    bodyStarted: performance.now(),
    totalMs: options.totalMs ?? DEFAULT_TOTAL_MS,
    minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
    graceMs: options.rateGraceMs ?? DEFAULT_RATE_GRACE_MS,
    what: `${what} from ${stream.url.origin}`,
  };
  const wire = Readable.from(countBytes(stream.chunks, counted, pace));
  let body: AsyncIterable<Buffer> = wire;
  if (gzip) {
    const gunzip = createGunzip();
    // pipe() does not pass a failure of the source on: without this a too slow answer would leave gunzip waiting.
    wire.on("error", (error) => gunzip.destroy(error));
    body = wire.pipe(gunzip);
  }
  const capture = new JsonCapture(
    options.select,
    options.onValue,
    options.needle === undefined ? {} : { needle: options.needle },
  );
  let jsonBytes = 0;
  try {
    for await (const chunk of body) {
      jsonBytes += chunk.length;
      if (jsonBytes > maxBytes)
        throw new ResponseTooLargeError(
          `${what} from ${stream.url.origin} is larger than ${Math.round(maxBytes / 1024 ** 2)} MiB; aborted`,
          maxBytes,
        );
      capture.push(chunk);
    }
    capture.end();
  } catch (error) {
    if (error instanceof JsonStreamError)
      throw new BadResponseError(`${what}: ${stream.url.origin} answered invalid JSON (${error.message})`, {
        status: 200,
      });
    if (error instanceof Error && "code" in error && String(error.code).startsWith("Z_"))
      throw new BadResponseError(`${what}: ${stream.url.origin} sent a broken gzip body (${error.message})`, {
        status: 200,
      });
    throw error;
  }
  return { origin: stream.url.origin, wireBytes: counted.wire, jsonBytes };
}

const DEFAULT_TOTAL_MS = 10 * 60_000;
const DEFAULT_MIN_BYTES_PER_SECOND = 32 * 1024;
const DEFAULT_RATE_GRACE_MS = 30_000;

interface Pace {
  started: number;
  bodyStarted: number;
  totalMs: number;
  minBytesPerSecond: number;
  graceMs: number;
  what: string;
}

const SLOW_HINT =
  "the master is overloaded or the link to it is slow; retry, or run titan closer to the master (its state must arrive within 10 minutes, at 32 KiB/s or more)";

async function* countBytes(chunks: AsyncIterable<Uint8Array>, counted: { wire: number }, pace: Pace) {
  for await (const chunk of chunks) {
    counted.wire += chunk.length;
    checkPace(counted.wire, pace);
    yield chunk;
  }
}

/** A trickling answer fails once it is clearly too slow, instead of holding the command for as long as it lasts. */
function checkPace(bytes: number, pace: Pace): void {
  const now = performance.now();
  if (now - pace.started > pace.totalMs)
    throw new MesosTimeoutError(
      `${pace.what} took longer than ${formatSeconds(pace.totalMs)} (${formatBytes(bytes)} so far); aborted`,
      SLOW_HINT,
    );
  const bodyMs = now - pace.bodyStarted;
  if (bodyMs > pace.graceMs && (bytes * 1000) / bodyMs < pace.minBytesPerSecond)
    throw new MesosTimeoutError(
      `${pace.what} arrives too slowly (${formatBytes(bytes)} in ${formatSeconds(bodyMs)}, under ${formatBytes(pace.minBytesPerSecond)}/s); aborted`,
      SLOW_HINT,
    );
}

function formatSeconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 2) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}

/** The start of an error answer, for the message. */
async function excerpt(stream: HttpStream, gzip: boolean): Promise<Buffer | undefined> {
  if (gzip) return undefined;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream.chunks) {
    parts.push(Buffer.from(chunk));
    size += chunk.length;
    if (size >= ERROR_EXCERPT_BYTES) break;
  }
  return Buffer.concat(parts);
}
