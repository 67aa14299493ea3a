import { parseMesosJson } from "./json.js";
import { JsonSelector, type Selection } from "./json-select.js";
import { isObject } from "./responses.js";

/** A value the caller selected, parsed only when asked. */
export interface CapturedValue {
  /**
   * False only when the value's JSON text surely lacks `needle`: a byte search that lets a caller skip parsing a
   * value it would drop. Always true for a document that was parsed whole.
   */
  mayContain(needle: Buffer): boolean;
  /** The value, read as Mesos writes JSON (src/mesos/json.ts). */
  parse(): unknown;
}

function capturedBytes(bytes: Buffer): CapturedValue {
  return {
    mayContain: (needle) => bytes.includes(needle),
    parse: () => parseMesosJson(bytes.toString("utf8")),
  };
}

/** A value of a document parsed whole: one small object per task of a cluster, not two closures besides. */
class ParsedValue implements CapturedValue {
  constructor(private readonly value: unknown) {}

  mayContain(): boolean {
    return true;
  }

  parse(): unknown {
    return this.value;
  }
}

/**
 * The selection of a JsonSelector applied to a document already parsed: the same paths, in document order
 * (JSON.parse keeps the order of keys that are not array indices, which a master's keys never are).
 */
export function selectParsed(
  value: unknown,
  select: (path: string) => Selection,
  emit: (path: string, value: unknown) => void,
  path = "",
): void {
  const selection = select(path);
  if (selection === "capture") emit(path, value);
  if (selection !== "descend") return;
  if (Array.isArray(value)) {
    // Every item has the same path, so the same selection: asked once, not once per task of a cluster.
    const itemPath = `${path}[]`;
    const items = select(itemPath);
    if (items === "capture") for (const item of value) emit(itemPath, item);
    else if (items === "descend") for (const item of value) selectParsed(item, select, emit, itemPath);
  } else if (isObject(value)) {
    for (const key in value) selectParsed(value[key], select, emit, path === "" ? key : `${path}.${key}`);
  }
}

/**
 * Reads a JSON document pushed in chunks and hands the selected values over. A document of at most `wholeUpTo`
 * bytes is kept and parsed with one JSON.parse at the end, which is several times faster than parsing each
 * selected value on its own; past that size the bytes kept so far go to a JsonSelector and the rest streams
 * through it, so memory stays bounded by `wholeUpTo` plus what the caller keeps.
 */
export class JsonCapture {
  private kept: Buffer[] | undefined;
  private keptBytes = 0;
  private selector: JsonSelector | undefined;

  constructor(
    private readonly select: (path: string) => Selection,
    private readonly onValue: (path: string, value: CapturedValue) => void,
    private readonly wholeUpTo: number,
  ) {
    this.kept = wholeUpTo > 0 ? [] : undefined;
  }

  push(chunk: Buffer): void {
    if (this.kept !== undefined && this.keptBytes + chunk.length <= this.wholeUpTo) {
      this.kept.push(chunk);
      this.keptBytes += chunk.length;
      return;
    }
    this.streaming().push(chunk);
  }

  /** The document ended: hands over what was kept, or checks that the streamed document is complete. */
  end(): void {
    const kept = this.kept;
    if (kept === undefined) {
      this.streaming().end();
      return;
    }
    this.kept = undefined;
    const text = Buffer.concat(kept, this.keptBytes).toString("utf8");
    kept.length = 0;
    let document: unknown;
    try {
      document = parseMesosJson(text);
    } catch {
      // The streaming reader says what is wrong in the same words whatever the document's size.
      const selector = this.streaming();
      selector.push(Buffer.from(text, "utf8"));
      selector.end();
      return;
    }
    selectParsed(document, this.select, (path, value) => this.onValue(path, new ParsedValue(value)));
  }

  /** The streaming reader, fed first with whatever was kept. */
  private streaming(): JsonSelector {
    if (this.selector === undefined) {
      this.selector = new JsonSelector(this.select, (path, bytes) =>
        this.onValue(path, capturedBytes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))),
      );
      const kept = this.kept ?? [];
      this.kept = undefined;
      for (const chunk of kept) this.selector.push(chunk);
    }
    return this.selector;
  }
}
