import { createHash, hash } from "node:crypto";

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
    case "number":
      return numberJson(value);
    case "boolean":
      return value ? "true" : "false";
    case "string":
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
  if (value instanceof CanonicalText) return value.json;
  const { sorted, quoted } = keyOrder(value);
  const members: string[] = [];
  for (let k = 0; k < sorted.length; k++) {
    const member = canonical((value as Record<string, unknown>)[sorted[k] as string]);
    if (member !== undefined) members.push((quoted[k] as string) + member);
  }
  return `{${members.join(",")}}`;
}

/** What JSON.stringify writes for a number, without the call. */
export function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : "null";
}

/** Canonical JSON already written, taken as it is where it stands in a bigger value. */
export class CanonicalText {
  constructor(readonly json: string) {}
}

/**
 * An object's members as canonical text (`"key":value`), in canonical order: several subsets of one object can then
 * be written (`canonicalObject`) without walking it again.
 */
export function canonicalMembers(value: object): ReadonlyArray<readonly [string, string]> {
  const { sorted, quoted } = keyOrder(value);
  const members: Array<readonly [string, string]> = [];
  for (let k = 0; k < sorted.length; k++) {
    const key = sorted[k] as string;
    const member = canonical((value as Record<string, unknown>)[key]);
    if (member !== undefined) members.push([key, (quoted[k] as string) + member]);
  }
  return members;
}

/** The canonical JSON of the object whose members these are, without the members named in `leaveOut`. */
export function canonicalObject(
  members: ReadonlyArray<readonly [string, string]>,
  leaveOut: ReadonlySet<string>,
): string {
  const kept: string[] = [];
  for (const [key, text] of members) if (!leaveOut.has(key)) kept.push(text);
  return `{${kept.join(",")}}`;
}

/** An object's keys in canonical order, each with its quoted form (`"key":`). */
interface KeyOrder {
  sorted: readonly string[];
  quoted: readonly string[];
}

/**
 * Keys in the order a sorted copy of the object (the definition of canonical JSON here) has them: sorted, except that
 * array-index keys ("0", "12") come first in numeric order, as JavaScript orders an object's integer keys whatever
 * order they were added in. Objects of one kind list the same keys in the same order: their order is found once.
 */
function keyOrder(value: object): KeyOrder {
  const keys = Object.keys(value);
  const known = keyOrders.get(keys[0] as string);
  if (known !== undefined) for (const entry of known) if (sameKeys(entry.keys, keys)) return entry.order;
  const sorted = sortKeys([...keys]);
  const order = { sorted, quoted: sorted.map(quotedKey) };
  if (keyOrdersKept < 10_000) {
    keyOrdersKept++;
    if (known === undefined) keyOrders.set(keys[0] as string, [{ keys, order }]);
    else if (known.length < 8) known.push({ keys, order });
  }
  return order;
}

/** Key orders already found, by the object's first key: a few kinds of object make up most of what is hashed. */
const keyOrders = new Map<string | undefined, Array<{ keys: readonly string[]; order: KeyOrder }>>();
let keyOrdersKept = 0;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

function sortKeys(keys: string[]): string[] {
  // A copy made by assignment never holds an own `__proto__` (assigning it sets the prototype): it is left out.
  let indexKeys = false;
  let protoKey = false;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string;
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57) indexKeys ||= isIndex(key);
    else if (key === "__proto__") protoKey = true;
  }
  if (protoKey) keys.splice(keys.indexOf("__proto__"), 1);
  keys.sort();
  if (!indexKeys) return keys;
  const indices = keys.filter(isIndex).sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((k) => !isIndex(k))];
}

/**
 * Each key name quoted once. Key orders are kept per kind of object, but dictionaries (an app's env, its labels)
 * list different keys from app to app and miss that cache; their key names still repeat.
 */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

const INDEX = /^(?:0|[1-9][0-9]*)$/;
const isIndex = (key: string): boolean => INDEX.test(key) && Number(key) < 2 ** 32 - 1;

/**
 * The sha-256 (hex) of `canonicalJson(value)`, without making that text: the value's first `depth` levels are
 * written into the hash piece by piece, and only what lies below them is made as text, one piece at a time. A
 * plan's inputs come to 24 MB of canonical text on a cluster of 50,000 titan tasks.
 */
export function canonicalSha256Hex(value: object, depth: number): string {
  const sink = new HashSink();
  writeCanonical(value, depth, sink);
  return sink.digest();
}

function writeCanonical(value: unknown, depth: number, sink: HashSink): void {
  if (depth === 0 || value === null || typeof value !== "object" || value instanceof CanonicalText) {
    // What canonical JSON writes for a value with no JSON form inside an array; members are left out before this.
    sink.add(canonical(value) ?? "null");
    return;
  }
  if (Array.isArray(value)) {
    sink.add("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) sink.add(",");
      writeCanonical(value[i], depth - 1, sink);
    }
    sink.add("]");
    return;
  }
  if (value instanceof Map) {
    writeCanonical(Object.fromEntries(value), depth, sink);
    return;
  }
  const { sorted, quoted } = keyOrder(value);
  sink.add("{");
  let first = true;
  for (let k = 0; k < sorted.length; k++) {
    const member = (value as Record<string, unknown>)[sorted[k] as string];
    if (hasNoJsonForm(member)) continue;
    sink.add(first ? (quoted[k] as string) : `,${quoted[k]}`);
    first = false;
    writeCanonical(member, depth - 1, sink);
  }
  sink.add("}");
}

/** Undefined, functions and symbols: left out of an object, as `canonical` leaves them out. */
function hasNoJsonForm(value: unknown): boolean {
  const type = typeof value;
  return type === "undefined" || type === "function" || type === "symbol";
}

/**
 * Text hashed in chunks of about 64 KiB joined from many pieces: one call into the hash per chunk rather than per
 * piece. A piece is always whole JSON text or punctuation, so a chunk never splits a surrogate pair.
 */
class HashSink {
  private readonly hash = createHash("sha256");
  private readonly pieces: string[] = [];
  private length = 0;

  add(piece: string): void {
    this.pieces.push(piece);
    this.length += piece.length;
    if (this.length >= 65_536) this.flush();
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }

  private flush(): void {
    if (this.pieces.length > 0) this.hash.update(this.pieces.join(""));
    this.pieces.length = 0;
    this.length = 0;
  }
}

/** One call, no Hash object: a plan hashes every app on its own (10,000 at a time on a large one). */
export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
