import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadResponseError, ResponseTooLargeError } from "../../src/mesos/errors.js";
import { encodeRecord, RecordIODecoder } from "../../src/mesos/recordio.js";

const STREAM = readFileSync(new URL("../../fixtures/mesos/scheduler/event-stream.recordio", import.meta.url));

function decodeInPieces(bytes: Buffer, cuts: readonly number[], max = 1 << 20): string[] {
  const decoder = new RecordIODecoder(max);
  const out: string[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...decoder.push(bytes.subarray(start, cut)).map((r) => r.toString("utf8")));
    start = cut;
  }
  out.push(...decoder.push(bytes.subarray(start)).map((r) => r.toString("utf8")));
  expect(decoder.atBoundary).toBe(true);
  return out;
}

describe("RecordIODecoder", () => {
  it("decodes the byte-exact fixture stream into its five events", () => {
    const types = decodeInPieces(STREAM, []).map((r) => (JSON.parse(r) as { type: string }).type);
    expect(types).toEqual(["SUBSCRIBED", "HEARTBEAT", "OFFERS", "UPDATE", "HEARTBEAT"]);
  });

  it("gives the same records when fed one byte at a time", () => {
    const whole = decodeInPieces(STREAM, []);
    const cuts = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    expect(decodeInPieces(STREAM, cuts)).toEqual(whole);
  });

  it("gives the same records for any split into chunks", () => {
    const whole = decodeInPieces(STREAM, []);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          expect(decodeInPieces(STREAM, cuts)).toEqual(whole);
        },
      ),
    );
  });

  it("counts bytes, not characters, for multi-byte UTF-8", () => {
    const text = JSON.stringify({ type: "ERROR", error: { message: "Größe überschritten — ✓" } });
    const framed = Buffer.concat([encodeRecord(text), encodeRecord('{"type":"HEARTBEAT"}')]);
    expect(Buffer.byteLength(text)).toBeGreaterThan(text.length);
    expect(decodeInPieces(framed, [5, 17, 18])).toEqual([text, '{"type":"HEARTBEAT"}']);
  });

  it("reports a partial record as not at a boundary (truncation)", () => {
    const decoder = new RecordIODecoder(1024);
    expect(decoder.push(Buffer.from('20\n{"type":"HEART'))).toEqual([]);
    expect(decoder.atBoundary).toBe(false);
    const lengthOnly = new RecordIODecoder(1024);
    lengthOnly.push(Buffer.from("2"));
    expect(lengthOnly.atBoundary).toBe(false);
  });

  it("rejects a frame above the cap before buffering it", () => {
    const decoder = new RecordIODecoder(100);
    expect(() => decoder.push(Buffer.from("101\n{"))).toThrow(ResponseTooLargeError);
    expect(() => new RecordIODecoder(100).push(Buffer.from("99999999999999999999\n"))).toThrow(
      ResponseTooLargeError,
    );
  });

  it("rejects a non-numeric, empty or zero length", () => {
    expect(() => new RecordIODecoder(100).push(Buffer.from("<html>"))).toThrow(
      /record length "<html>" is not a number/,
    );
    expect(() => new RecordIODecoder(100).push(Buffer.from("\n{}"))).toThrow(/empty record length/);
    expect(() => new RecordIODecoder(100).push(Buffer.from("0\n"))).toThrow(/zero-length/);
    expect(() => new RecordIODecoder(100).push(Buffer.from("123456789012345678901"))).toThrow(
      BadResponseError,
    );
  });
});
