/** A value in a parsed JSON document, with the path that leads to it, for messages such as `$.slaves[3].hostname`. */
export class Node {
  /**
   * `parent` and `key` locate the value; the path text is only built for a message, since a snapshot has hundreds of
   * thousands of values and almost all of them are fine.
   */
  constructor(
    readonly value: unknown,
    private readonly parent?: Node,
    private readonly key?: string | number,
  ) {}

  get path(): string {
    if (!this.parent) return "$";
    return typeof this.key === "number"
      ? `${this.parent.path}[${this.key}]`
      : `${this.parent.path}.${this.key}`;
  }

  /** The member, present or not (an absent member reads as undefined). */
  get(key: string): Node {
    const v = isRecord(this.value) ? this.value[key] : undefined;
    return new Node(v, this, key);
  }

  has(key: string): boolean {
    return isRecord(this.value) && this.value[key] !== undefined && this.value[key] !== null;
  }

  isPresent(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  isObject(): boolean {
    return isRecord(this.value);
  }

  object(): Node {
    if (!isRecord(this.value)) throw new ShapeError(this.path, "an object", this.value);
    return this;
  }

  /** Object members as nodes; an absent object reads as empty. */
  entries(): Array<[string, Node]> {
    if (!this.isPresent()) return [];
    this.object();
    return Object.keys(this.value as Record<string, unknown>).map((k) => [k, this.get(k)]);
  }

  /** Array items as nodes; an absent (or null) array reads as empty, as Mesos omits empty repeated fields. */
  items(): Node[] {
    return this.itemValues().map((v, i) => new Node(v, this, i));
  }

  /**
   * Array items as they are in the document, without a node each (a busy cluster lists a hundred thousand tasks);
   * absent reads as empty, as with `items`.
   */
  itemValues(): readonly unknown[] {
    if (!this.isPresent()) return [];
    if (!Array.isArray(this.value)) throw new ShapeError(this.path, "an array", this.value);
    return this.value;
  }

  string(): string {
    if (typeof this.value !== "string") throw new ShapeError(this.path, "a string", this.value);
    return this.value;
  }

  optionalString(): string | undefined {
    return this.isPresent() ? this.string() : undefined;
  }

  /** A number; Mesos also writes numbers as numeric strings. */
  number(): number {
    const v = this.value;
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    throw new ShapeError(this.path, "a number", v);
  }

  optionalNumber(fallback: number): number {
    return this.isPresent() ? this.number() : fallback;
  }

  boolean(fallback: boolean): boolean {
    if (!this.isPresent()) return fallback;
    if (typeof this.value !== "boolean") throw new ShapeError(this.path, "true or false", this.value);
    return this.value;
  }
}

/**
 * The Node of a value a streamed reader found at `path` (src/mesos/json-select.ts: `get_state.get_tasks`, or item
 * `index` of `get_state.get_tasks.tasks[]`), to name where it is in a message.
 */
export function nodeAtPath(path: string, value: unknown, index?: number): Node {
  const keys = path === "" ? [] : path.replace(/\[\]$/, "").split(".");
  const root = new Node(undefined);
  if (index !== undefined)
    return new Node(
      value,
      keys.reduce((node, key) => node.get(key), root),
      index,
    );
  const last = keys.pop();
  if (last === undefined) return new Node(value);
  return new Node(
    value,
    keys.reduce((node, key) => node.get(key), root),
    last,
  );
}

export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    actual: unknown,
  ) {
    super(`${path}: expected ${expected}, found ${describeJson(actual)}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A JSON value as a sentence names it: `nothing`, `null`, `an array`, `the string "x"`, `the number 3`, `true`. */
export function describeJson(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return String(v);
}
