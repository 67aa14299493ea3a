import { createHash } from "node:crypto";

/**
 * JSON with object keys sorted at every level and `undefined` members left out, so that equal values always give
 * the same text (and the same hash) whatever order their keys were built in.
 */
export function canonicalJson(value: unknown): string {
  // As JSON.stringify: undefined (not a string) for a value with no JSON form.
  return canonical(value) as string;
}

/** Written directly rather than through a sorted copy: manifests and cluster states of megabytes go through here. */
function canonical(value: unknown): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return JSON.stringify(value);
    case "object":
      break;
    default:
      return undefined;
  }
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(canonical(value[i]) ?? "null");
    return `[${items.join(",")}]`;
  }
  if (value instanceof Map) return canonical(Object.fromEntries(value));
  const members: string[] = [];
  for (const key of sortedKeys(value)) {
    const member = canonical((value as Record<string, unknown>)[key]);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${members.join(",")}}`;
}

/**
 * Keys in the order a sorted copy of the object (the definition of canonical JSON here) has them: sorted, except that array-index keys ("0", "12") come
 * first in numeric order, as JavaScript orders an object's integer keys whatever order they were added in.
 */
function sortedKeys(value: object): string[] {
  // A copy made by assignment never holds an own `__proto__` (assigning it sets the prototype): it is left out.
  const keys = Object.keys(value)
    .filter((k) => k !== "__proto__")
    .sort();
  if (!keys.some(isIndex)) return keys;
  const indices = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((k) => !isIndex(k))];
}

const INDEX = /^(?:0|[1-9][0-9]*)$/;
const isIndex = (key: string): boolean => INDEX.test(key) && Number(key) < 2 ** 32 - 1;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
