import { closeSync, openSync, readdirSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { join, posix, sep } from "node:path";
import type { AccountNames } from "./accounts.js";
import { formatFileMode } from "./file-mode.js";

/** Mesos caps one /files/read at 16 pages. */
export const READ_CAP_BYTES = 16 * 4096;

/** A path the files endpoints serve: requests under `virtualPath` map onto `realPath`. */
export interface AttachedPath {
  virtualPath: string;
  realPath: string;
}

export class FilesError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

function normalizeRequestPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/**
 * Resolves a requested path against the attached paths (longest attached prefix wins) to a real path that exists and
 * stays inside the attached directory after symlinks are followed.
 */
export function resolveAttached(requested: string, attached: readonly AttachedPath[]): string {
  const path = normalizeRequestPath(requested);
  let best: AttachedPath | undefined;
  for (const candidate of attached) {
    const root = normalizeRequestPath(candidate.virtualPath);
    if (
      (path === root || path.startsWith(`${root}/`)) &&
      (best === undefined || root.length > best.virtualPath.length)
    ) {
      best = { virtualPath: root, realPath: candidate.realPath };
    }
  }
  if (best === undefined) throw new FilesError(404, `Path '${requested}' not found`);
  const rest = path.slice(best.virtualPath.length).replace(/^\//, "");
  let root: string;
  let resolved: string;
  try {
    root = realpathSync(best.realPath);
    resolved = realpathSync(rest === "" ? root : join(root, ...rest.split("/")));
  } catch {
    throw new FilesError(404, `Path '${requested}' not found`);
  }
  if (resolved !== root && !resolved.startsWith(root + sep)) {
    throw new FilesError(404, `Path '${requested}' not found`);
  }
  return resolved;
}

function parseInteger(name: string, raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw.trim()))
    throw new FilesError(400, `Failed to parse ${name}: Failed to convert '${raw}' to number.\n`);
  return Number(raw.trim());
}

export type ReadResult = { kind: "size"; size: number } | { kind: "data"; data: Buffer; offset: number };

/** GET /files/read semantics (src/files/files.cpp): size probe, offset echo, 64 KiB cap, 400/404 errors. */
export function readAttachedFile(query: URLSearchParams, attached: readonly AttachedPath[]): ReadResult {
  const path = query.get("path");
  if (path === null) throw new FilesError(400, "Expecting 'path=value' in query.\n");
  const offset = parseInteger("offset", query.get("offset")) ?? -1;
  if (offset < -1) throw new FilesError(400, `Negative offset provided: ${offset}.\n`);
  const lengthArg = parseInteger("length", query.get("length"));
  if (lengthArg !== undefined && lengthArg < -1)
    throw new FilesError(400, `Negative length provided: ${lengthArg}.\n`);
  const real = resolveAttached(path, attached);
  const stats = statSync(real);
  if (stats.isDirectory()) throw new FilesError(400, "Cannot read a directory.\n");
  if (offset === -1) return { kind: "size", size: stats.size };
  const length =
    lengthArg === undefined || lengthArg === -1 ? READ_CAP_BYTES : Math.min(lengthArg, READ_CAP_BYTES);
  return { kind: "data", data: readRange(real, offset, length), offset };
}

/** Reads up to `length` bytes at `offset`; empty at or past the end. */
export function readRange(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, buffer, filled, length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

export interface FileEntry {
  path: string;
  stats: Stats;
}

/** GET /files/browse: the entries of a directory (or the file itself), each under the requested path. */
export function browseAttached(query: URLSearchParams, attached: readonly AttachedPath[]): FileEntry[] {
  const path = query.get("path");
  if (path === null) throw new FilesError(400, "Expecting 'path=value' in query.\n");
  const real = resolveAttached(path, attached);
  const requested = normalizeRequestPath(path);
  const stats = statSync(real);
  if (!stats.isDirectory()) return [{ path: requested, stats }];
  return readdirSync(real)
    .sort()
    .flatMap((name): FileEntry[] => {
      try {
        return [{ path: posix.join(requested, name), stats: statSync(join(real, name)) }];
      } catch {
        return []; // removed while listing, or a dangling link
      }
    });
}

/** The legacy JSON of one entry (src/common/http.cpp `model(const FileInfo&)`). */
export function legacyFileInfo(entry: FileEntry, accounts: AccountNames): Record<string, unknown> {
  return {
    gid: accounts.group(entry.stats.gid),
    mode: formatFileMode(entry.stats.mode),
    mtime: Math.floor(entry.stats.mtimeMs / 1000),
    nlink: entry.stats.nlink,
    path: entry.path,
    size: entry.stats.size,
    uid: accounts.user(entry.stats.uid),
  };
}

/** mesos.v1.FileInfo for LIST_FILES. */
export function v1FileInfo(entry: FileEntry, accounts: AccountNames): Record<string, unknown> {
  return {
    path: entry.path,
    nlink: entry.stats.nlink,
    size: entry.stats.size,
    mtime: { nanoseconds: Math.floor(entry.stats.mtimeMs / 1000) * 1e9 },
    mode: entry.stats.mode,
    uid: accounts.user(entry.stats.uid),
    gid: accounts.group(entry.stats.gid),
  };
}

const HEX = "0123456789abcdef";

/**
 * A JSON string literal holding `bytes` verbatim, as Mesos writes /files/read data: quotes, backslashes and control
 * characters are escaped, every other byte (including parts of multi-byte characters) is copied unchanged.
 */
export function jsonStringOfBytes(bytes: Buffer): Buffer {
  const out: number[] = [0x22];
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) out.push(0x5c, byte);
    else if (byte === 0x0a) out.push(0x5c, 0x6e);
    else if (byte === 0x0d) out.push(0x5c, 0x72);
    else if (byte === 0x09) out.push(0x5c, 0x74);
    else if (byte === 0x08) out.push(0x5c, 0x62);
    else if (byte === 0x0c) out.push(0x5c, 0x66);
    else if (byte < 0x20) {
      for (const ch of `\\u00${HEX[byte >> 4]}${HEX[byte & 15]}`) out.push(ch.charCodeAt(0));
    } else out.push(byte);
  }
  out.push(0x22);
  return Buffer.from(out);
}
