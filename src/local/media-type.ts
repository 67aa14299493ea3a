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
