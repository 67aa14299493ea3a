import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalText, canonicalJson, canonicalSha256Hex } from "../../src/cluster/canonical.js";

/** The definition canonicalJson is written against: JSON.stringify of a copy with keys sorted at every level. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v instanceof Map) return sortKeys(Object.fromEntries(v));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const member = (v as Record<string, unknown>)[key];
        if (member !== undefined) out[key] = sortKeys(member);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(sortKeys(value));
}

/**
 * Values canonical JSON meets: JSON, values with no JSON form, Maps, objects with array-index keys, nested, and
 * any `leaves` besides.
 */
function canonicalValues(leaves: fc.Arbitrary<unknown>[] = []): fc.Arbitrary<unknown> {
  const odd = fc.constantFrom(undefined, () => 1, NaN, -0, Number.POSITIVE_INFINITY, new Date(0));
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: "small" },
      fc.jsonValue(),
      odd,
      ...leaves,
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(
          fc.string({ maxLength: 4 }),
          fc.constantFrom("0", "1", "10", "2", "01", "-1", "4294967294", "4294967295"),
        ),
        tie("node"),
        { maxKeys: 4 },
      ),
      fc
        .array(fc.tuple(fc.string({ maxLength: 4 }), tie("node")), { maxLength: 3 })
        .map((entries) => new Map(entries)),
    ),
  })).node;
}

describe("canonicalJson", () => {
  it("is JSON.stringify of the value with its keys sorted and undefined members left out", () => {
    fc.assert(
      fc.property(canonicalValues(), (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 1000 },
    );
  });

  it("gives the same text whatever order the keys were built in", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }, null] })).toBe('{"a":[{"d":2},null],"b":1}');
    expect(canonicalJson({ a: [{ d: 2 }, null], b: 1 })).toBe('{"a":[{"d":2},null],"b":1}');
  });

  it("keeps apart objects whose keys begin alike, however often each kind comes back", () => {
    const kinds = [
      { z: 1, b: 2, a: 3 },
      { z: 1, b: 2 },
      { z: 1, a: 3, b: 2 },
      { z: 1, b: 2, a: 3, "2": 4, "10": 5 },
      JSON.parse('{"z":1,"__proto__":2,"a":3}') as object,
      { z: 1 },
    ];
    for (let round = 0; round < 3; round++)
      for (const kind of kinds) expect(canonicalJson(kind)).toBe(reference(kind));
    const many = Array.from({ length: 20 }, (_, k) => ({ z: k, [`k${k}`]: k, a: 0 }));
    expect(canonicalJson(many)).toBe(reference(many));
  });
});

describe("canonicalSha256Hex", () => {
  const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

  it("is the sha-256 of the canonical JSON, however many levels it streams", () => {
    const value = canonicalValues([
      fc.string({ unit: "grapheme" }),
      fc.jsonValue().map((v) => new CanonicalText(canonicalJson(v) ?? "null")),
    ]);
    const top = fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), value, { maxKeys: 5 }), fc.array(value));
    fc.assert(
      fc.property(top, fc.integer({ min: 0, max: 6 }), (v, depth) => {
        expect(canonicalSha256Hex(v, depth)).toBe(sha256(canonicalJson(v) as string));
      }),
      { numRuns: 1000 },
    );
  });

  it("hashes text of many chunks, with characters outside the BMP at every offset, as one text", () => {
    // 20,000 items of varied length: chunk boundaries fall after every kind of piece, and each text holds a pair.
    const big = {
      tasks: Array.from({ length: 20_000 }, (_, k) => ({
        id: `task-${k}-${"x".repeat(k % 7)}`,
        note: `${"é".repeat(k % 5)}😀${k}`,
        ports: [k, k + 1],
      })),
      region: "us-east-1",
    };
    const text = canonicalJson(big) as string;
    expect(text.length).toBeGreaterThan(10 * 65_536);
    for (const depth of [1, 2, 3]) expect(canonicalSha256Hex(big, depth)).toBe(sha256(text));
  });
});
