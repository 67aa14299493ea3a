import { constants, open as openFd } from "node:fs";
import { open, stat } from "node:fs/promises";
import { Socket } from "node:net";
import type { Readable } from "node:stream";

/** More than the reader takes: the read stopped at `limit` bytes. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = "TooLargeError";
  }
}

/** The signal ended the read (as fs calls given a signal fail). */
function abortError(): Error {
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

/** Whether `error` is the end of a read that a signal aborted. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

const CHUNK = 1 << 20;

/**
 * The file at `path`, never more than `limit` bytes of it, whatever its size says: a character device
 * (`/dev/zero`) or a FIFO says 0 and may never end. A FIFO is read without holding one of node's threads, since
 * opening one waits for a writer, so the signal ends that wait too. Rejects with TooLargeError past the limit,
 * with the error the file gives (ENOENT, EACCES, EISDIR, ...), or with an AbortError when the signal aborts.
 */
export async function readCapped(path: string, limit: number, signal?: AbortSignal): Promise<Buffer> {
  if (signal?.aborted) throw abortError();
  const info = await stat(path);
  if (info.isFile() && info.size > limit) throw new TooLargeError(limit);
  if (info.isFIFO()) return readStreamCapped(await fifoStream(path), limit, signal);
  const file = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      if (signal?.aborted) throw abortError();
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1 - size));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) return Buffer.concat(chunks, size);
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size > limit) throw new TooLargeError(limit);
    }
  } finally {
    await file.close();
  }
}

/** Opening a FIFO without O_NONBLOCK waits for a writer; with it, a socket waits for data as node waits for any. */
function fifoStream(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    openFd(path, constants.O_RDONLY | constants.O_NONBLOCK, (error, fd) => {
      if (error) reject(error);
      else resolve(new Socket({ fd, readable: true, writable: false }));
    });
  });
}

/**
 * All of `stream`, at most `limit` bytes: past them the stream is destroyed and the read rejects with
 * TooLargeError; when the signal aborts, with an AbortError.
 */
export function readStreamCapped(
  stream: Readable | NodeJS.ReadableStream,
  limit: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: Error | undefined): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) {
        resolve(Buffer.concat(chunks, size));
        return;
      }
      if ("destroy" in stream) stream.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      size += buffer.length;
      if (size > limit) finish(new TooLargeError(limit));
      else chunks.push(buffer);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (error: Error): void => finish(error);
    const onAbort = (): void => finish(abortError());
    if (signal?.aborted) {
      onAbort();
      return;
    }
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
