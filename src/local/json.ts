import { randomUUID } from "node:crypto";

/**
 * JSON output as Mesos writes it. int64 fields (TimeInfo.nanoseconds, ...) are held as bigint and written as exact
 * JSON numbers: a nanosecond timestamp does not fit a double, and clients reject int64s written as strings.
 */

const BIG = "\u0000int64:";
const BIG_PATTERN = /"\\u0000int64:(-?\d+)"/g;
const DOUBLE = "\u0000double:";
const DOUBLE_PATTERN = /"\\u0000double:(-?Infinity|NaN)"/g;

/**
 * Doubles that are not finite are written as bare `Infinity`, `-Infinity` and `NaN` tokens, as stout's jsonify
 * streams a double (3rdparty/stout/include/stout/jsonify.hpp): not valid JSON, but what a real master sends, e.g.
 * for a task with an unlimited `limits` entry.
 */
export function toJson(value: unknown): string {
  let special = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") {
      special = true;
      return `${BIG}${v}`;
    }
    if (typeof v === "number" && !Number.isFinite(v)) {
      special = true;
      return `${DOUBLE}${v}`;
    }
    return v;
  });
  return special ? text.replace(BIG_PATTERN, "$1").replace(DOUBLE_PATTERN, "$1") : text;
}

/** 16 digits in a row: the shortest integer literal that may not fit a double exactly (2^53 has 16). */
const LONG_DIGITS = /\d{16}/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * JSON text read as a Mesos master reads a request body: stout's parser (3rdparty/stout/include/stout/json.hpp,
 * `ParseContext::set_int64`, over picojson built with int64 support) reads an integer literal that fits an int64 into
 * an int64, exactly, and falls back to a double only past that range or for a literal with a fraction or exponent.
 * Such a literal that a double cannot hold comes back here as a bigint; everything else, and every error, as
 * `JSON.parse` gives it.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!LONG_DIGITS.test(text)) return value;
  const marker = `\u0000int64:${randomUUID()}:`;
  let marked = false;
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      // Skip the string: the text is valid JSON, so a backslash always escapes what follows it.
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c !== "-" && (c < "0" || c > "9")) continue;
    let end = i + 1;
    while (end < text.length && /[0-9.eE+-]/.test(text[end] as string)) end++;
    const literal = text.slice(i, end);
    if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
      const exact = BigInt(literal);
      if (exact >= INT64_MIN && exact <= INT64_MAX && BigInt(Number(literal)) !== exact) {
        out += `${text.slice(from, i)}${JSON.stringify(marker + literal)}`;
        from = end;
        marked = true;
      }
    }
    i = end - 1;
  }
  if (!marked) return value;
  return JSON.parse(out + text.slice(from), (_key, v: unknown) =>
    typeof v === "string" && v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v,
  );
}

/** A mesos.v1.TimeInfo / DurationInfo from milliseconds. */
export function nanos(ms: number): { nanoseconds: bigint } {
  return { nanoseconds: BigInt(Math.round(ms)) * 1_000_000n };
}

/** Seconds as the double TaskStatus.timestamp and legacy endpoints use. */
export function seconds(ms: number): number {
  return ms / 1000;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A message as stout's `json(ObjectWriter*, const Protobuf&)` writes it (3rdparty/stout/include/stout/protobuf.hpp):
 * a repeated field only when it has members, at every depth. A copy; the value given is left as it is.
 */
export function withoutEmptyRepeated<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => withoutEmptyRepeated(v)) as T;
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length === 0) continue;
    out[key] = withoutEmptyRepeated(v);
  }
  return out as T;
}
