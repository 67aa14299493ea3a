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

/**
 * Follows one sandbox file (what `titan logs -f` needs): each poll returns the bytes appended since the last
 * poll, and a `truncated` event first when the file got shorter than what was already read.
 */
export class FileFollower {
  private position: number;

  constructor(
    private readonly files: AgentFiles,
    readonly path: string,
    startOffset = 0,
  ) {
    this.position = startOffset;
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
    if (size < this.position) {
      events.push({ kind: "truncated", previousOffset: this.position, size });
      this.position = 0;
    }
    while (this.position < size) {
      const chunk = await this.files.read(this.path, this.position, this.files.chunkBytes, signal);
      if (chunk.data.length === 0) break;
      events.push({ kind: "data", offset: chunk.offset, data: chunk.data });
      this.position += chunk.data.length;
    }
    return events;
  }
}
