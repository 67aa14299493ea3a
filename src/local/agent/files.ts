import { closeSync, openSync, readdirSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
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

/** stout's `path::join` of two parts: exactly one separator between them, whatever each brought (one at most). */
function joinTwo(first: string, second: string): string {
  const head = first.endsWith("/") ? first.slice(0, -1) : first;
  return `${head}/${second.startsWith("/") ? second.slice(1) : second}`;
}

function withoutTrailingSlash(path: string): string {
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

/** What `realpath(3)` fails with, worded as strerror words it, for the 400 a real agent answers. */
const REALPATH_ERRORS: Readonly<Record<string, string>> = {
  EACCES: "Permission denied",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
};

/**
 * Resolves a requested path as src/files/files.cpp `FilesProcess::resolve` does. The request is not normalised: its
 * `/`-separated tokens are cut from the end until what is left is an attached path (stored without a trailing `/`,
 * the last attach of a path winning). Below an attached directory the rest is joined on and canonicalised, and must
 * still start with the directory (a plain string prefix, as Mesos checks it): one that leaves it (`..`, a symlink
 * out) is a 400 "'<path>' is inaccessible", one that does not exist a 404. An attached file with a rest is a 404.
 */
export function resolveAttached(requested: string, attached: readonly AttachedPath[]): string {
  const table = new Map<string, string>();
  for (const entry of attached) table.set(withoutTrailingSlash(entry.virtualPath), entry.realPath);
  const tokens = withoutTrailingSlash(requested).split("/");
  let suffix = "";
  while (tokens.length > 0) {
    const prefix = tokens.slice(1).reduce(joinTwo, tokens[0] ?? "");
    const attachedTo = table.get(prefix);
    // An attach whose path cannot be canonicalised fails in Mesos (`FilesProcess::attach`), so it is not there.
    const root = attachedTo === undefined ? undefined : realpathOrUndefined(attachedTo);
    if (root === undefined) {
      const last = tokens.pop() ?? "";
      suffix = suffix === "" ? last : joinTwo(last, suffix);
      continue;
    }
    if (!isDirectory(root)) {
      if (suffix !== "") throw new FilesError(404, "");
      return root;
    }
    const joined = joinTwo(root, suffix);
    let resolved: string;
    try {
      resolved = realpathSync(joined);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "ENOENT" || code === "ENOTDIR") throw new FilesError(404, "");
      throw new FilesError(
        400,
        `Failed to determine canonical path of '${joined}': ${REALPATH_ERRORS[code] ?? code}.\n`,
      );
    }
    if (!resolved.startsWith(root)) throw new FilesError(400, `'${joined}' is inaccessible.\n`);
    return resolved;
  }
  throw new FilesError(404, "");
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The `path` query parameter the files endpoints require: absent or empty is Mesos' 400. */
export function requiredPath(query: URLSearchParams): string {
  const path = query.get("path");
  if (path === null || path === "") throw new FilesError(400, "Expecting 'path=value' in query.\n");
  return path;
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * stout's `numify<int64>` as the files endpoints parse `offset` and `length` with it: boost's `lexical_cast` (an
 * optional sign, digits, nothing else: no spaces), else a hexadecimal `0x…`/`-0x…`; out of range is an error.
 */
function numify(raw: string): bigint | undefined {
  let value: bigint;
  const hex = /^(-?)0[xX]([0-9a-fA-F]+)$/.exec(raw);
  if (hex !== null) value = (hex[1] === "-" ? -1n : 1n) * BigInt(`0x${hex[2] ?? ""}`);
  else if (/^[+-]?\d+$/.test(raw)) value = BigInt(raw);
  else return undefined;
  return value > INT64_MAX || value < -INT64_MAX - 1n ? undefined : value;
}

function parseInteger(name: string, raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const value = numify(raw);
  if (value === undefined)
    throw new FilesError(400, `Failed to parse ${name}: Failed to convert '${raw}' to number.\n`);
  return Number(value);
}

export type ReadResult = { kind: "size"; size: number } | { kind: "data"; data: Buffer; offset: number };

/** GET /files/read semantics (src/files/files.cpp): size probe, offset echo, 64 KiB cap, 400/404 errors. */
export function readAttachedFile(query: URLSearchParams, attached: readonly AttachedPath[]): ReadResult {
  const path = requiredPath(query);
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

/**
 * GET /files/browse (src/files/files.cpp `FilesProcess::browse`): the entries of a directory, each named by the
 * requested path joined with its name and sorted by its real path's bytes; anything but a directory lists nothing
 * (`os::ls` fails on it), so a file is `[]`.
 */
export function browseAttached(query: URLSearchParams, attached: readonly AttachedPath[]): FileEntry[] {
  const requested = requiredPath(query);
  const real = resolveAttached(requested, attached);
  let names: string[];
  try {
    names = readdirSync(real);
  } catch {
    return [];
  }
  return names
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .flatMap((name): FileEntry[] => {
      try {
        return [{ path: joinTwo(requested, name), stats: statSync(join(real, name)) }];
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

/**
 * GET /files/debug (src/files/files.cpp `FilesProcess::debug`): every attached path and the real path it stands for,
 * keyed as Mesos' map keeps them (without a trailing `/`, in byte order, the last attach of a path winning).
 */
export function attachedPathsDebug(attached: readonly AttachedPath[]): Record<string, string> {
  const table = new Map<string, string>();
  for (const entry of attached) {
    const real = realpathOrUndefined(entry.realPath);
    if (real !== undefined) table.set(withoutTrailingSlash(entry.virtualPath), real);
  }
  const keys = [...table.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((key) => [key, table.get(key) ?? ""]));
}
