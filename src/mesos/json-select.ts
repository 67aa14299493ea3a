import { ItemBatcher, signatureOf } from "./json-batch.js";

/**
 * Reads a JSON document as a stream of bytes and hands over only the parts a caller selects, so a master state
 * of hundreds of megabytes never exists in memory as one string or one object tree. The caller decides per value,
 * by its path (`get_state.get_tasks.tasks[]` for each element of that array), whether to `descend` into it,
 * `capture` it (its exact bytes are passed on, to be parsed on their own) or `skip` it (scanned, not kept).
 * Only the structure is checked as it goes by; captured bytes are the caller's to parse. A caller that also takes
 * parsed values gets the items of captured arrays after the first parsed in batches instead (src/mesos/json-batch.ts).
 * `object` and `array` descend only into a value of that kind, and capture any other: the caller, which knows what
 * it expected there, sees what came instead (`"get_tasks": 5` is no empty task list).
 */
export type Selection = "descend" | "object" | "array" | "capture" | "skip";

export class JsonStreamError extends Error {}

enum Mode {
  Value,
  Key,
  KeyString,
  Colon,
  After,
  Raw,
  /** Inside an array whose items are parsed in batches, from the start of an item. */
  Batch,
  Done,
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

const SCALAR_START = new Set([..."-0123456789tfnIN"].map((c) => c.charCodeAt(0)));

/** Whether a value that starts with `byte` is entered under `selection`. */
function enters(selection: Selection, byte: number): boolean {
  if (selection === "object") return byte === OPEN_OBJECT;
  if (selection === "array") return byte === OPEN_ARRAY;
  return selection === "descend" && (byte === OPEN_OBJECT || byte === OPEN_ARRAY);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Parsing the items of captured arrays in batches (src/mesos/json-batch.ts). */
export interface SelectorBatches {
  /** Receives each item parsed in a batch; without it, every captured value is handed over as bytes. */
  emitParsed?: (path: string, value: unknown) => void;
  /** About how many bytes a batch holds (tests make it small). */
  batchBytes?: number;
  /** For an array's items (by path), bytes without which the caller drops an item (see ItemBatcher). */
  needle?: (path: string) => Buffer | undefined;
}

interface Frame {
  array: boolean;
  path: string;
  key: string;
  /** An array whose items are captured and may be parsed in batches once its first item was read. */
  batchable: boolean;
  batcher?: ItemBatcher;
}

export class JsonSelector {
  private mode: Mode = Mode.Value;
  private readonly stack: Frame[] = [];
  private keyBytes: number[] = [];
  private keyEscape = false;
  // Raw scanning of one captured or skipped value.
  private rawKeep = false;
  private rawPath = "";
  /** The closing brackets the raw value still owes, innermost last. */
  private rawClosers: number[] = [];
  private rawScalar = false;
  private rawInString = false;
  private rawEscape = false;
  private pieces: Uint8Array[] = [];
  /** While bytes a batcher handed back are read: item by item, whatever the array. */
  private exactOnly = false;

  private readonly emitParsed: ((path: string, value: unknown) => void) | undefined;
  private readonly batchBytes: number | undefined;
  private readonly needle: ((path: string) => Buffer | undefined) | undefined;

  constructor(
    private readonly select: (path: string) => Selection,
    private readonly emit: (path: string, bytes: Uint8Array) => void,
    batches: SelectorBatches = {},
  ) {
    this.emitParsed = batches.emitParsed;
    this.batchBytes = batches.batchBytes;
    this.needle = batches.needle;
  }

  /** Feeds the next bytes; throws JsonStreamError at the first byte that cannot be JSON. */
  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      if (this.mode === Mode.Batch) {
        this.feedBatch(chunk.subarray(i));
        return;
      }
      if (this.mode === Mode.Raw) {
        const end = this.scanRaw(chunk, i);
        if (end < 0) break;
        this.finishRaw(chunk, start, end);
        i = this.rawScalar ? end - 1 : end;
        continue;
      }
      const byte = chunk[i] as number;
      if (isSpace(byte) && this.mode !== Mode.KeyString) continue;
      const rawStart = this.step(byte);
      if (rawStart) {
        start = i;
        i -= 1;
      }
    }
    if (this.mode === Mode.Raw && this.rawKeep) this.pieces.push(chunk.subarray(start));
  }

  /** Called once the stream ended: the document must be complete. */
  end(): void {
    if (this.mode === Mode.Batch) this.readExactly(this.batchFrame().batcher?.flush() ?? Buffer.alloc(0));
    if (this.mode === Mode.Raw && this.rawScalar && this.stack.length === 0) {
      this.finishRaw(new Uint8Array(0), 0, 0);
    }
    if (this.mode !== Mode.Done) throw new JsonStreamError("the document ended early (truncated JSON)");
  }

  private fail(what: string): never {
    throw new JsonStreamError(`not JSON: ${what}`);
  }

  private childPath(): string {
    const top = this.stack.at(-1);
    if (top === undefined) return "";
    if (top.array) return `${top.path}[]`;
    return top.path === "" ? top.key : `${top.path}.${top.key}`;
  }

  /** One structural byte. Returns true when a raw value starts at it (the caller re-reads it in raw mode). */
  private step(byte: number): boolean {
    switch (this.mode) {
      case Mode.Value:
        return this.startValue(byte);
      case Mode.Key:
        if (byte === QUOTE) {
          this.mode = Mode.KeyString;
          this.keyBytes = [];
          this.keyEscape = false;
        } else if (byte === CLOSE_OBJECT && this.stack.at(-1)?.key === "") this.close(false);
        else this.fail("expected an object key");
        return false;
      case Mode.KeyString:
        this.keyByte(byte);
        return false;
      case Mode.Colon:
        if (byte !== COLON) this.fail("expected ':'");
        this.mode = Mode.Value;
        return false;
      case Mode.After:
        this.afterValue(byte);
        return false;
      default:
        return this.fail("content after the end of the document");
    }
  }

  private startValue(byte: number): boolean {
    const top = this.stack.at(-1);
    if (byte === CLOSE_ARRAY && top?.array === true) {
      this.close(true);
      return false;
    }
    const path = this.childPath();
    const selection = this.select(path);
    if (enters(selection, byte)) {
      const array = byte === OPEN_ARRAY;
      const batchable = array && this.emitParsed !== undefined && this.select(`${path}[]`) === "capture";
      this.stack.push({ array, path, key: "", batchable });
      this.mode = array ? Mode.Value : Mode.Key;
      return false;
    }
    this.mode = Mode.Raw;
    this.rawKeep = selection === "capture" || selection === "object" || selection === "array";
    this.rawPath = path;
    this.rawClosers = [];
    this.rawScalar = byte !== OPEN_OBJECT && byte !== OPEN_ARRAY && byte !== QUOTE;
    // Numbers, true/false/null, and the Infinity/NaN tokens a master writes for non-finite doubles.
    if (this.rawScalar && !SCALAR_START.has(byte)) this.fail(`unexpected '${String.fromCharCode(byte)}'`);
    this.rawInString = false;
    this.rawEscape = false;
    this.pieces = [];
    return true;
  }

  private keyByte(byte: number): void {
    if (this.keyEscape) this.keyEscape = false;
    else if (byte === BACKSLASH) this.keyEscape = true;
    else if (byte === QUOTE) {
      const top = this.stack.at(-1);
      if (top === undefined) this.fail("a key outside an object");
      top.key = JSON.parse(`"${Buffer.from(this.keyBytes).toString("utf8")}"`) as string;
      this.mode = Mode.Colon;
      return;
    }
    this.keyBytes.push(byte);
  }

  private afterValue(byte: number): void {
    const top = this.stack.at(-1);
    if (top === undefined) this.fail("content after the end of the document");
    if (byte === COMMA) {
      this.mode = !top.array
        ? Mode.Key
        : top.batcher !== undefined && !this.exactOnly
          ? Mode.Batch
          : Mode.Value;
    } else if (byte === CLOSE_ARRAY && top.array) this.close(true);
    else if (byte === CLOSE_OBJECT && !top.array) this.close(false);
    else this.fail(`unexpected '${String.fromCharCode(byte)}'`);
  }

  private close(array: boolean): void {
    const top = this.stack.pop();
    if (top === undefined || top.array !== array) this.fail("mismatched brackets");
    this.mode = this.stack.length === 0 ? Mode.Done : Mode.After;
  }

  /**
   * Scans a raw value from `from`; returns the index of its last byte (for a scalar: of the delimiter after it), or
   * -1 when the chunk ends first.
   */
  private scanRaw(chunk: Uint8Array, from: number): number {
    for (let i = from; i < chunk.length; i += 1) {
      const byte = chunk[i] as number;
      if (this.rawScalar) {
        if (byte === COMMA || byte === CLOSE_OBJECT || byte === CLOSE_ARRAY || isSpace(byte)) return i;
        continue;
      }
      if (this.rawInString) {
        const close = this.stringEnd(chunk, i);
        if (close < 0) return -1;
        this.rawInString = false;
        if (this.rawClosers.length === 0) return close;
        i = close;
      } else if (byte === QUOTE) this.rawInString = true;
      else if (byte === OPEN_OBJECT) this.rawClosers.push(CLOSE_OBJECT);
      else if (byte === OPEN_ARRAY) this.rawClosers.push(CLOSE_ARRAY);
      else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        if (this.rawClosers.pop() !== byte) this.fail("mismatched brackets");
        if (this.rawClosers.length === 0) return i;
      }
    }
    return -1;
  }

  /**
   * The closing quote of the string whose contents go on at `from`, found with a native search (most of a master's
   * state is string contents); or -1, with the escape state kept, when the chunk ends first.
   */
  private stringEnd(chunk: Uint8Array, from: number): number {
    let at = from;
    if (this.rawEscape) {
      this.rawEscape = false;
      at += 1;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, at);
      const end = quote < 0 ? chunk.length : quote;
      let backslashes = 0;
      while (end - backslashes - 1 >= at && chunk[end - backslashes - 1] === BACKSLASH) backslashes += 1;
      const escaped = backslashes % 2 === 1;
      if (quote < 0) {
        this.rawEscape = escaped;
        return -1;
      }
      if (!escaped) return quote;
      at = quote + 1;
    }
  }

  /** The raw value ended at `end` (inclusive, or exclusive for a scalar): pass it on and continue after it. */
  private finishRaw(chunk: Uint8Array, start: number, end: number): void {
    if (this.rawKeep) {
      const last = chunk.subarray(start, this.rawScalar ? end : end + 1);
      const bytes = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last]);
      this.pieces = [];
      this.emit(this.rawPath, bytes);
      this.learnSignature(bytes);
    }
    this.mode = this.stack.length === 0 ? Mode.Done : Mode.After;
  }

  /** After the first item of a batchable array: how its items start, or that they are always read exactly. */
  private learnSignature(item: Uint8Array): void {
    const top = this.stack.at(-1);
    if (top === undefined || !top.batchable || top.batcher !== undefined) return;
    const signature = signatureOf(item);
    if (signature === undefined) top.batchable = false;
    else top.batcher = new ItemBatcher(signature, this.batchBytes, this.needle?.(`${top.path}[]`));
  }

  private batchFrame(): Frame {
    return this.stack.at(-1) as Frame;
  }

  private feedBatch(bytes: Uint8Array): void {
    const frame = this.batchFrame();
    const outcome = (frame.batcher as ItemBatcher).feed(bytes);
    if (outcome.kind === "exact") {
      this.readExactly(outcome.bytes);
      return;
    }
    const path = `${frame.path}[]`;
    for (const item of outcome.items) this.emitParsed?.(path, item);
  }

  /** Reads bytes a batcher handed back item by item, from the start of an item. */
  private readExactly(bytes: Uint8Array): void {
    this.mode = Mode.Value;
    this.exactOnly = true;
    try {
      this.push(bytes);
    } finally {
      this.exactOnly = false;
    }
  }
}
