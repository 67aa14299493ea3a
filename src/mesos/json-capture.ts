import { parseMesosJson } from "./json.js";
import { JsonSelector, JsonStreamError, type Selection } from "./json-select.js";

/** A value the caller selected, parsed only when asked. */
export interface CapturedValue {
  /**
   * False only when the value's JSON text surely lacks `needle`: a byte search that lets a caller skip parsing a
   * value it would drop. Always true for a value that was parsed in a batch.
   */
  mayContain(needle: Buffer): boolean;
  /** The value, read as Mesos writes JSON (src/mesos/json.ts). */
  parse(): unknown;
}

function capturedBytes(bytes: Buffer): CapturedValue {
  return {
    mayContain: (needle) => bytes.includes(needle),
    parse: () => {
      // The selector checks brackets and strings as they pass; the value's own parse finds the rest.
      try {
        return parseMesosJson(bytes.toString("utf8"));
      } catch (error) {
        if (error instanceof SyntaxError) throw new JsonStreamError(`not JSON: ${error.message}`);
        throw error;
      }
    },
  };
}

/** An item parsed in a batch: one small object per task of a cluster, not two closures besides. */
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
 * Reads a JSON document pushed in chunks and hands the selected values over as it streams by: the items of a
 * captured array parsed in batches (after the first, src/mesos/json-batch.ts), any other captured value as its
 * bytes. Memory is a batch plus what the caller keeps, whatever the size of the document.
 */
export class JsonCapture {
  private readonly selector: JsonSelector;

  /** `needle`: see SelectorBatches. */
  constructor(
    select: (path: string) => Selection,
    onValue: (path: string, value: CapturedValue) => void,
    { needle, batchBytes }: { needle?: (path: string) => Buffer | undefined; batchBytes?: number } = {},
  ) {
    this.selector = new JsonSelector(
      select,
      (path, bytes) =>
        onValue(path, capturedBytes(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))),
      {
        emitParsed: (path, value) => onValue(path, new ParsedValue(value)),
        ...(batchBytes === undefined ? {} : { batchBytes }),
        ...(needle === undefined ? {} : { needle }),
      },
    );
  }

  push(chunk: Buffer): void {
    this.selector.push(chunk);
  }

  /** The document ended: checks that it is complete. */
  end(): void {
    this.selector.end();
  }
}
