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
