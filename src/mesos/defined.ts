/**
 * The message without its unset fields: a protobuf JSON object lists only the fields that are set, so optional
 * fields are written plainly (`{ value: x, cache: f.cache }`) and dropped here when undefined.
 */
export function defined<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as T;
}

/** `make(value)` when the value is set. */
export function ifSet<T, R>(value: T | undefined, make: (value: T) => R): R | undefined {
  return value === undefined ? undefined : make(value);
}
