import { Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeJson } from "../../src/cli/json-out.js";

function written(value: unknown): { text: string; writes: number } {
  let text = "";
  let writes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      writes++;
      done();
    },
  });
  writeJson(sink, value);
  return { text, writes };
}

describe("writeJson", () => {
  it("writes exactly what JSON.stringify(value, null, 2) and a newline would", () => {
    const odd = fc.constantFrom(undefined, () => 1, Symbol("s"), new Date(0), { toJSON: () => "j" }, -0, NaN);
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue(),
        odd,
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 5 }), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), value, { maxKeys: 5 }), (doc) => {
        expect(written(doc).text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
      }),
      { numRuns: 500 },
    );
  });

  it("hands a large document to the stream in pieces", () => {
    const doc = {
      placements: Array.from({ length: 20_000 }, (_, i) => ({
        app: "a\nb",
        instance: i,
        ports: { http: i },
      })),
    };
    const { text, writes } = written(doc);
    expect(text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(writes).toBeGreaterThan(10);
  });
});
