import { BadResponseError, ResponseTooLargeError } from "./errors.js";
import { formatBytes } from "./transport.js";

/** The longest length prefix accepted: a uint64 has at most 20 decimal digits. */
const MAX_LENGTH_DIGITS = 20;
const NEWLINE = 0x0a;

/**
 * Incremental RecordIO decoder (`record = record-size LF record-data`, size in bytes, nothing between records).
 * Feed it whatever chunks the network delivers, even one byte at a time; it returns the complete records. A
 * non-numeric or empty length, a zero length or a record above `maxRecordBytes` throws before any of that
 * record is buffered.
 */
export class RecordIODecoder {
  private lengthText = "";
  private expected = -1;
  private parts: Buffer[] = [];
  private received = 0;

  constructor(readonly maxRecordBytes: number) {}

  /** True between records, i.e. a stream ending now ended cleanly. */
  get atBoundary(): boolean {
    return this.expected < 0 && this.lengthText === "";
  }

  push(chunk: Uint8Array): Buffer[] {
    const records: Buffer[] = [];
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (data.length > 0) {
      if (this.expected < 0) {
        const newline = data.indexOf(NEWLINE);
        const digits = data.subarray(0, newline < 0 ? data.length : newline).toString("latin1");
        this.lengthText += digits;
        if (!/^\d*$/.test(this.lengthText) || this.lengthText.length > MAX_LENGTH_DIGITS) {
          throw new BadResponseError(
            `event stream framing is broken: record length "${printable(this.lengthText)}" is not a number`,
            { hint: "the stream is not Mesos RecordIO; is a proxy rewriting the response?" },
          );
        }
        if (newline < 0) break;
        this.startRecord();
        data = data.subarray(newline + 1);
        continue;
      }
      const take = Math.min(this.expected - this.received, data.length);
      this.parts.push(data.subarray(0, take));
      this.received += take;
      data = data.subarray(take);
      if (this.received === this.expected) {
        records.push(Buffer.concat(this.parts, this.expected));
        this.parts = [];
        this.received = 0;
        this.expected = -1;
      }
    }
    return records;
  }

  private startRecord(): void {
    if (this.lengthText === "") {
      throw new BadResponseError("event stream framing is broken: empty record length");
    }
    const size = Number(this.lengthText);
    this.lengthText = "";
    if (size === 0) throw new BadResponseError("event stream framing is broken: zero-length record");
    if (size > this.maxRecordBytes) {
      throw new ResponseTooLargeError(
        `event stream record of ${formatBytes(size)} exceeds the ${formatBytes(this.maxRecordBytes)} limit`,
        this.maxRecordBytes,
      );
    }
    this.expected = size;
  }
}

function printable(text: string): string {
  const shown = text.replace(/[^\x20-\x7e]/g, "?");
  return shown.length > 24 ? `${shown.slice(0, 24)}…` : shown;
}

/** Frames one record (the inverse of the decoder; used by tests). */
export function encodeRecord(json: string): Buffer {
  const data = Buffer.from(json, "utf8");
  return Buffer.concat([Buffer.from(`${data.length}\n`, "latin1"), data]);
}
