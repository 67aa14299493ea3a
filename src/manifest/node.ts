/**
 * The manifest as a small positioned tree: what the YAML parser produced, reduced to maps, lists and scalars,
 * each carrying the 1-based line and column it started at. Validation works on this tree only.
 */

export interface Pos {
  line: number;
  col: number;
}

export type ScalarValue = string | number | boolean | null;

export interface ScalarNode {
  kind: "scalar";
  value: ScalarValue;
  /** The scalar as written (so `1.10` stays `1.10` when a text is expected). */
  text: string;
  pos: Pos;
}

export interface MapEntry {
  key: string;
  keyPos: Pos;
  value: PNode;
  /** Path reported for this entry instead of the one it is read under (entries merged in from `defaults:`). */
  origin?: string;
}

export interface MapNode {
  kind: "map";
  entries: readonly MapEntry[];
  pos: Pos;
}

export interface SeqNode {
  kind: "seq";
  items: readonly PNode[];
  pos: Pos;
}

export type PNode = ScalarNode | MapNode | SeqNode;

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };

/** Builds a node from a plain value (used for documented defaults), placed at `pos`. */
export function fromJson(value: JsonValue, pos: Pos): PNode {
  if (Array.isArray(value)) return { kind: "seq", items: value.map((v: JsonValue) => fromJson(v, pos)), pos };
  if (value !== null && typeof value === "object") {
    return {
      kind: "map",
      entries: Object.entries(value).map(([key, v]) => ({ key, keyPos: pos, value: fromJson(v, pos) })),
      pos,
    };
  }
  const scalar = value as ScalarValue;
  return { kind: "scalar", value: scalar, text: scalar === null ? "" : String(scalar), pos };
}

export function entryOf(map: MapNode, key: string): MapEntry | undefined {
  return map.entries.find((e) => e.key === key);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `apps[2].resources.mem`; keys that are not identifiers are quoted: `labels["team.io/owner"]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === "" ? key : `${base}.${key}`;
}

/** The path an entry is reported under. */
export function entryPath(base: string, entry: MapEntry): string {
  return entry.origin ?? joinPath(base, entry.key);
}

/** Describes a node's kind for messages, never its content. */
export function describeKind(node: PNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  if (node.value === null) return "nothing";
  if (typeof node.value === "number") return "a number";
  if (typeof node.value === "boolean") return node.value ? "true" : "false";
  return "a string";
}

/**
 * Finds where a relative path points, for cross-field messages: the deepest node that exists along `rel`, with
 * the path it is reported under.
 */
export function locate(
  node: PNode,
  base: string,
  rel: ReadonlyArray<string | number>,
): { pos: Pos; path: string } {
  let current = node;
  let path = base;
  for (const step of rel) {
    if (typeof step === "number" && current.kind === "seq") {
      const item = current.items[step];
      if (!item) break;
      current = item;
      path = joinPath(path, step);
    } else if (typeof step === "string" && current.kind === "map") {
      const entry = entryOf(current, step);
      if (!entry) break;
      current = entry.value;
      path = entryPath(path, entry);
    } else {
      break;
    }
  }
  return { pos: current.pos, path };
}
