import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/**
 * What libprocess itself answers for the master and the agents (3rdparty/libprocess): its Accept matching and the
 * bodies of its default responses.
 */

/** libprocess `Request::acceptsMediaType`: type/subtype, then type/*, then * /*; q=0 excludes; no header accepts all. */
export function acceptsMediaType(header: string | undefined, mediaType: string): boolean {
  if (header === undefined) return true;
  const [type] = mediaType.split("/");
  // The first range naming a candidate decides, after every space, tab and newline is removed.
  const ranges = new Map<string, number>();
  for (const part of header.replace(/[ \t\n]/g, "").split(",")) {
    const [range, ...params] = part.trim().split(";");
    if (!range) continue;
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split("=");
      if (k === "q" && v !== undefined) q = Number(v);
    }
    const key = range.toLowerCase();
    if (!ranges.has(key)) ranges.set(key, Number.isFinite(q) ? q : 0);
  }
  for (const candidate of [mediaType, `${type}/*`, "*/*"]) {
    const q = ranges.get(candidate);
    if (q !== undefined) return q > 0;
  }
  return false;
}

/** The body of libprocess' `MethodNotAllowed(allowed, method)` (include/process/http.hpp). */
export function methodNotAllowedBody(allowed: readonly string[], method: string): string {
  return `405 Method Not Allowed. Expecting one of { '${allowed.join("', '")}' }, but received '${method}'.`;
}

/** `NotFound()`: also what libprocess answers for a path no process has a route for (process.cpp). */
export const NOT_FOUND_BODY = "404 Not Found.";
/** `NotImplemented()`: the master's and the agents' answer to an `UNKNOWN` call. */
export const NOT_IMPLEMENTED_BODY = "501 Not Implemented.";

/** libprocess compresses a body of at least this many bytes (encoder.hpp `GZIP_MINIMUM_BODY_LENGTH`). */
const GZIP_MIN_BYTES = 1024;

/**
 * libprocess `Request::acceptsEncoding`: no header (or an empty one) accepts none; otherwise the encoding itself,
 * then `*`, the first range naming it deciding, a `q` of 0 (or one that is not a number) refusing it.
 */
export function acceptsEncoding(header: string | undefined, encoding: string): boolean {
  if (header === undefined || header === "") return false;
  const ranges = header
    .replace(/[ \t\n]/g, "")
    .split(",")
    .filter((range) => range !== "");
  for (const candidate of [encoding, "*"]) {
    for (const range of ranges) {
      const [name, ...params] = range.split(";").filter((token) => token !== "");
      if (name === undefined || name.toLowerCase() !== candidate.toLowerCase()) continue;
      const qs = params
        .map((param) => param.split("=").filter((token) => token !== ""))
        .filter((pair) => pair.length === 2 && pair[0] === "q")
        .map((pair) => pair[1] ?? "");
      if (qs.length !== 1) return true;
      const q = Number(qs[0]);
      return Number.isFinite(q) && q > 0;
    }
  }
  return false;
}

/**
 * Writes a whole-body response as libprocess' encoder does for every endpoint (encoder.hpp `HttpResponseEncoder`):
 * gzipped, with `Content-Encoding: gzip`, when it is at least 1 KiB and the request accepts gzip. Streams and files
 * sent by path (`/files/download`) are never compressed, so they do not come here.
 */
export function writeBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: Buffer | string,
): void {
  let bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const out: Record<string, string | number> = { ...headers };
  const accept = res.req.headers["accept-encoding"];
  if (
    bytes.length >= GZIP_MIN_BYTES &&
    acceptsEncoding(Array.isArray(accept) ? accept.join(",") : accept, "gzip")
  ) {
    bytes = gzipSync(bytes);
    out["Content-Encoding"] = "gzip";
  }
  out["Content-Length"] = bytes.length;
  res.writeHead(status, out);
  res.end(bytes);
}
