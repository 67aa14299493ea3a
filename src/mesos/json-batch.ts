/**
 * Parses the items of a JSON array many at a time, with one native `JSON.parse` per batch of about `BATCH_BYTES`,
 * while the array still streams in: a master state is tens of thousands of tasks, and scanning each one's bytes in
 * JavaScript to find where it ends costs more than parsing it.
 *
 * A batch ends at a candidate cut: `}` `,` and the start of an item as the array's first item started (its first
 * key, and its second one when the first value is a plain string: `{"name":"…","task_id":`). The cut is proved by
 * the parse itself: the bytes from the start of an item to a `}` that does not end an item leave a string or a
 * bracket open, so `[` + those bytes + `]` is never valid JSON, and a parse that succeeds ends exactly at an item.
 * When no candidate of the bytes at hand parses (the array ended in them, an item is huge or holds a token only
 * Mesos writes, such as `Infinity`), the caller reads those bytes exactly, item by item.
 */

/**
 * Small enough that a batch's text stays in V8's young generation and batches keep pace with the bytes arriving:
 * 24 KiB read the 46 MB state of docs/benchmarks.md faster than 64 KiB, and 256 KiB slower than both.
 */
const BATCH_BYTES = 24 * 1024;
/** How many batches' worth of bytes are read item by item after a stretch where the needle was rare. */
const SPARSE_STRETCH_BATCHES = 16;
/** Candidates tried from the end of the bytes at hand before they are handed back. */
const MAX_TRIES = 4;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** What identifies the start of an item: `},{"K1":` and, after a plain string value, `,"K2":`. */
export interface ItemSignature {
  cut: Buffer;
  afterFirstString: Buffer | undefined;
  /** The size of the first item, to estimate how many items some bytes hold. */
  itemBytes: number;
}

/**
 * The signature of items that start as `first` (one complete item's bytes) starts; undefined when it is not an
 * object with a plain first key, or when the key needs escaping (such items are always read exactly).
 */
export function signatureOf(first: Uint8Array): ItemSignature | undefined {
  const bytes = Buffer.from(first.buffer, first.byteOffset, first.byteLength);
  if (bytes[0] !== 0x7b || bytes[1] !== QUOTE) return undefined;
  const keyEnd = bytes.indexOf(QUOTE, 2);
  if (keyEnd < 0 || bytes[keyEnd + 1] !== 0x3a || bytes.subarray(2, keyEnd).includes(BACKSLASH))
    return undefined;
  const cut = Buffer.concat([Buffer.from("},"), bytes.subarray(0, keyEnd + 2)]);
  let afterFirstString: Buffer | undefined;
  if (bytes[keyEnd + 2] === QUOTE) {
    const valueEnd = bytes.indexOf(QUOTE, keyEnd + 3);
    const value = bytes.subarray(keyEnd + 3, Math.max(keyEnd + 3, valueEnd));
    const next = valueEnd < 0 ? -1 : bytes.indexOf(QUOTE, valueEnd + 3);
    if (
      !value.includes(BACKSLASH) &&
      bytes[valueEnd + 1] === 0x2c &&
      bytes[valueEnd + 2] === QUOTE &&
      next > 0
    ) {
      const key = bytes.subarray(valueEnd + 1, next + 2);
      if (!key.includes(BACKSLASH) && key[key.length - 1] === 0x3a) afterFirstString = Buffer.from(key);
    }
  }
  return { cut, afterFirstString, itemBytes: bytes.length };
}

/** The outcome of feeding bytes: items parsed (maybe none yet), or bytes handed back to be read exactly. */
export type BatchOutcome = { kind: "items"; items: unknown[] } | { kind: "exact"; bytes: Buffer };

export class ItemBatcher {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** After bytes where the needle was rare: how many more are handed back before batches are tried again. */
  private sparseBytesLeft = 0;

  /** Beyond this, bytes that found no cut are handed back rather than searched again as more arrive. */
  private readonly maxPendingBytes: number;

  /**
   * `needle`: bytes without which the caller drops an item (it tests `mayContain`). Bytes where fewer than half the
   * items (by the first item's size) hold it are handed back at once, to be scanned item by item and the others
   * dropped unparsed, which costs less than parsing them all: on a cluster where titan runs one task in eighty, a
   * batch nearly always holds one of titan's, and parsing every task of other frameworks took 1.3x the time.
   */
  constructor(
    private readonly signature: ItemSignature,
    private readonly batchBytes = BATCH_BYTES,
    private readonly needle?: Buffer,
  ) {
    this.maxPendingBytes = 4 * batchBytes;
  }

  /** Bytes of the array from the start of an item on. */
  feed(bytes: Uint8Array): BatchOutcome {
    if (this.sparseBytesLeft > 0) {
      this.sparseBytesLeft -= bytes.length;
      return { kind: "exact", bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    }
    if (bytes.length > 0) {
      this.pending.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      this.pendingBytes += bytes.length;
    }
    if (this.pendingBytes < this.batchBytes) return { kind: "items", items: [] };
    const all = this.take();
    if (
      this.needle !== undefined &&
      !holdsOften(all, this.needle, all.length / this.signature.itemBytes / 2)
    ) {
      // Where the needle is rare it usually stays rare: the next stretch goes back without being searched first.
      this.sparseBytesLeft = SPARSE_STRETCH_BATCHES * this.batchBytes;
      return { kind: "exact", bytes: all };
    }
    const cut = this.cutAt(all);
    if (cut === undefined) {
      if (all.length > this.maxPendingBytes) return { kind: "exact", bytes: all };
      this.keep(all);
      return { kind: "items", items: [] };
    }
    this.keep(all.subarray(cut.end + 2));
    return { kind: "items", items: cut.items };
  }

  /** Whatever is held, to be read exactly: the array ends in it (or the document does). */
  flush(): Buffer {
    return this.take();
  }

  private take(): Buffer {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  private keep(rest: Buffer): void {
    if (rest.length === 0) return;
    this.pending.push(rest);
    this.pendingBytes = rest.length;
  }

  /** The last candidate of `bytes` whose items parse: the index of the `}` that ends them, and the items. */
  private cutAt(bytes: Buffer): { end: number; items: unknown[] } | undefined {
    const { cut, afterFirstString } = this.signature;
    let from = bytes.length;
    for (let tries = 0; tries < MAX_TRIES; ) {
      const at = bytes.lastIndexOf(cut, from - 1);
      if (at < 0) return undefined;
      from = at;
      if (
        afterFirstString !== undefined &&
        !startsAt(bytes, afterFirstString, bytes.indexOf(QUOTE, at + cut.length + 1) + 1)
      )
        continue;
      tries += 1;
      const items = parseItems(bytes, at);
      if (items !== undefined) return { end: at, items };
    }
    return undefined;
  }
}

/** Whether `needle` occurs at least `times` times in `bytes`. */
function holdsOften(bytes: Buffer, needle: Buffer, times: number): boolean {
  let found = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    found += 1;
    if (found >= times) return true;
  }
  return false;
}

/** Whether `bytes` holds `expected` at `at` (never for an `at` of 0: no string end was found). */
function startsAt(bytes: Buffer, expected: Buffer, at: number): boolean {
  if (at <= 0 || at + expected.length > bytes.length) return false;
  return bytes.compare(expected, 0, expected.length, at, at + expected.length) === 0;
}

function parseItems(bytes: Buffer, end: number): unknown[] | undefined {
  try {
    return JSON.parse(`[${bytes.toString("utf8", 0, end + 1)}]`) as unknown[];
  } catch {
    return undefined;
  }
}
