import { BadResponseError, SandboxGoneError } from "./errors.js";
import { isObject, parseJsonBody } from "./responses.js";
import type { HttpTransport } from "./transport.js";

/** The agent never returns more than 16 pages per read; 64 KiB chunks match that. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

export interface FileChunk {
  offset: number;
  data: Buffer;
}

export type TailEvent =
  | { kind: "data"; offset: number; data: Buffer }
  /** The file is now shorter than what was already read: truncated or rotated; reading restarts at 0. */
  | { kind: "truncated"; previousOffset: number; size: number };

export interface AgentFilesOptions {
  deadlineMs?: number;
  chunkBytes?: number;
}

/**
 * The agent's `/files/read` endpoint: size probes, ranged reads, chunked reading of large files and following a
 * growing file with truncation/rotation detection. A 404 means the sandbox is gone (SandboxGoneError).
 */
export class AgentFiles {
  readonly base: URL;
  readonly chunkBytes: number;
  private readonly deadlineMs: number;

  constructor(
    private readonly transport: HttpTransport,
    agent: URL,
    options: AgentFilesOptions = {},
  ) {
    this.base = new URL(agent.origin);
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  /** The same agent's files with another deadline per request (following polls give up sooner than a one-off read). */
  withDeadline(deadlineMs: number): AgentFiles {
    return new AgentFiles(this.transport, this.base, { deadlineMs, chunkBytes: this.chunkBytes });
  }

  /** The file's size in bytes (`offset=-1`). */
  async size(path: string, signal?: AbortSignal): Promise<number> {
    const answer = await this.request(path, -1, undefined, signal);
    return answer.offset;
  }

  /** Up to `length` bytes from `offset`; empty at or past the end of the file. */
  async read(path: string, offset: number, length: number, signal?: AbortSignal): Promise<FileChunk> {
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`invalid file offset ${offset}`);
    const answer = await this.request(path, offset, length, signal);
    // The agent writes the raw bytes into a JSON string; read as latin1 every byte is one character.
    return { offset, data: Buffer.from(answer.data, "latin1") };
  }

  /** Reads `[from, end of file)` in chunks of at most `chunkBytes`. */
  async *chunks(path: string, from = 0, signal?: AbortSignal): AsyncGenerator<FileChunk> {
    let offset = from;
    for (;;) {
      const chunk = await this.read(path, offset, this.chunkBytes, signal);
      if (chunk.data.length === 0) return;
      yield chunk;
      offset += chunk.data.length;
    }
  }

  private async request(
    path: string,
    offset: number,
    length: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ data: string; offset: number }> {
    const url = new URL("/files/read", this.base);
    url.searchParams.set("path", path);
    url.searchParams.set("offset", String(offset));
    if (length !== undefined) url.searchParams.set("length", String(length));
    const response = await this.transport.fetch({
      method: "GET",
      url,
      headers: { accept: "application/json" },
      deadlineMs: this.deadlineMs,
      // JSON escaping can at most sextuple a byte (\u00XX), plus the envelope.
      maxBytes: (length ?? this.chunkBytes) * 6 + 4096,
      label: "files/read",
      ...(signal === undefined ? {} : { signal }),
    });
    if (response.status === 404) throw new SandboxGoneError(path);
    const json = parseJsonBody(response, {
      what: `read ${path} on ${this.base.host}`,
      credentialsSent: this.transport.sendsCredentialsTo(url),
      encoding: "latin1",
    });
    if (!isObject(json) || typeof json.data !== "string" || typeof json.offset !== "number") {
      throw new BadResponseError(`read ${path} on ${this.base.host}: the answer is not a files/read result`);
    }
    return { data: json.data, offset: json.offset };
  }
}

/** How many bytes before the read position a poll that finds the file grown reads again, to see it is the same file. */
export const CHECK_BYTES = 64;

/** The last CHECK_BYTES bytes of `earlier` followed by `data`: what a FileFollower needs of what was read before it. */
export function lastBytesRead(earlier: Buffer, data: Buffer): Buffer {
  if (data.length >= CHECK_BYTES) return Buffer.from(data.subarray(-CHECK_BYTES));
  return Buffer.from(Buffer.concat([earlier, data]).subarray(-CHECK_BYTES));
}

/**
 * Follows one sandbox file (what `titan logs -f` needs): each poll returns the bytes appended since the last
 * poll, and a `truncated` event first when the file got shorter than what was already read, or when the bytes just
 * before where reading goes on are no longer the ones read there: a file truncated (or rotated) and written past its
 * old length again between two polls. (One rewritten to exactly its old length is seen at its next growth.)
 */
export class FileFollower {
  private position: number;
  /** The last bytes before `position` (up to CHECK_BYTES) as they were read; undefined until first seen. */
  private seen: Buffer | undefined;

  /** `before`: the bytes just before `startOffset` (up to CHECK_BYTES) as they were read, when they were. */
  constructor(
    private readonly files: AgentFiles,
    readonly path: string,
    startOffset = 0,
    before?: Buffer,
  ) {
    this.position = startOffset;
    this.seen =
      startOffset === 0
        ? Buffer.alloc(0)
        : before !== undefined && before.length === Math.min(CHECK_BYTES, startOffset)
          ? before
          : undefined;
  }

  /** Starts `lastBytes` before the current end of the file. */
  static async fromTail(
    files: AgentFiles,
    path: string,
    lastBytes: number,
    signal?: AbortSignal,
  ): Promise<FileFollower> {
    const size = await files.size(path, signal);
    return new FileFollower(files, path, Math.max(0, size - lastBytes));
  }

  get offset(): number {
    return this.position;
  }

  async poll(signal?: AbortSignal): Promise<TailEvent[]> {
    const events: TailEvent[] = [];
    const size = await this.files.size(this.path, signal);
    if (size < this.position) this.restart(events, size);
    else if (size > this.position && this.position > 0) {
      // The read that would come next, started a few bytes early: those bytes tell whether the file is the same.
      const back = Math.min(CHECK_BYTES, this.position);
      const length = back + this.files.chunkBytes;
      const chunk = await this.files.read(this.path, this.position - back, length, signal);
      const before = chunk.data.subarray(0, back);
      if (before.length < back || (this.seen !== undefined && !before.equals(this.seen)))
        this.restart(events, size);
      else {
        this.seen = Buffer.from(before);
        const data = chunk.data.subarray(back);
        if (data.length > 0) this.advance(events, data);
      }
    }
    while (this.position < size) {
      const chunk = await this.files.read(this.path, this.position, this.files.chunkBytes, signal);
      if (chunk.data.length === 0) break;
      this.advance(events, chunk.data);
    }
    return events;
  }

  private restart(events: TailEvent[], size: number): void {
    events.push({ kind: "truncated", previousOffset: this.position, size });
    this.position = 0;
    this.seen = Buffer.alloc(0);
  }

  private advance(events: TailEvent[], data: Buffer): void {
    events.push({ kind: "data", offset: this.position, data });
    this.position += data.length;
    if (this.seen !== undefined) this.seen = lastBytesRead(this.seen, data);
  }
}
