/**
 * JSON output as Mesos writes it. int64 fields (TimeInfo.nanoseconds, ...) are held as bigint and written as exact
 * JSON numbers: a nanosecond timestamp does not fit a double, and clients reject int64s written as strings.
 */

const BIG = "\u0000int64:";
const BIG_PATTERN = /"\\u0000int64:(-?\d+)"/g;

export function toJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${BIG}${v}` : v));
  return text.replace(BIG_PATTERN, "$1");
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
