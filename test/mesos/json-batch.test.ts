import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ItemBatcher, signatureOf } from "../../src/mesos/json-batch.js";
import { JsonSelector, type Selection } from "../../src/mesos/json-select.js";
import { selectParsed } from "../support/select-parsed.js";

const select = (path: string): Selection =>
  path === "" || path === "lists" || path === "lists.a" || path === "lists.b"
    ? "descend"
    : path.endsWith("[]")
      ? "capture"
      : "skip";

/** What the selector hands over, item by item or in batches, with how many came parsed in a batch. */
function read(text: string, chunkSize: number, batchBytes: number, needle?: Buffer) {
  const seen: Array<[string, unknown]> = [];
  let batched = 0;
  const selector = new JsonSelector(
    select,
    (path, bytes) => seen.push([path, JSON.parse(Buffer.from(bytes).toString())]),
    {
      emitParsed: (path, value) => {
        batched += 1;
        seen.push([path, value]);
      },
      batchBytes,
      ...(needle === undefined ? {} : { needle: () => needle }),
    },
  );
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) selector.push(bytes.subarray(i, i + chunkSize));
  selector.end();
  return { seen, batched };
}

function reference(text: string): Array<[string, unknown]> {
  const seen: Array<[string, unknown]> = [];
  selectParsed(JSON.parse(text), select, (path, value) => seen.push([path, value]));
  return seen;
}

/** Tasks as a master writes them, some holding objects that start as tasks do, strings with quotes and brackets. */
const task = fc.record({
  name: fc.string(),
  task_id: fc.record({ value: fc.string() }),
  nested: fc.option(fc.array(fc.record({ name: fc.string(), task_id: fc.jsonValue() }), { maxLength: 3 }), {
    nil: undefined,
  }),
  extra: fc.jsonValue({ maxDepth: 2 }),
});
const item = fc.oneof(
  { weight: 8, arbitrary: task },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

describe("array items parsed in batches", () => {
  it("hands over what the parsed document holds, in its order, whatever the chunks and batch sizes", () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 60 }),
        fc.array(task, { maxLength: 20 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 2000 }),
        (a, b, chunkSize, batchBytes) => {
          const text = JSON.stringify({ lists: { a, skipped: a.slice(0, 3), b, n: 1 }, tail: [1] });
          expect(read(text, chunkSize, batchBytes).seen).toEqual(reference(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parses nearly every item of a long list in batches", () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => ({
      name: `t${i}`,
      task_id: { value: `t${i}` },
      nested: i % 3 === 0 ? [{ name: "x", task_id: {} }] : [],
    }));
    const text = JSON.stringify({ lists: { a: tasks } });
    const { seen, batched } = read(text, 4096, 4096);
    expect(seen).toEqual(reference(text));
    expect(batched).toBeGreaterThan(1900);
  });

  it("reads items that are not separated as a master writes them one by one, with the same result", () => {
    const text = JSON.stringify(
      { lists: { a: Array.from({ length: 500 }, (_, i) => ({ name: `t${i}` })) } },
      null,
      1,
    );
    const { seen, batched } = read(text, 1000, 512);
    expect(seen).toEqual(reference(text));
    expect(batched).toBe(0);
  });

  it("parses in batches only where at least half the items hold the caller's needle", () => {
    const list = (every: number) =>
      JSON.stringify({
        lists: {
          a: Array.from({ length: 2000 }, (_, i) => ({
            name: `t${i}`,
            labels: i % every === 0 ? ["titan.app"] : [],
          })),
        },
      });
    const needle = Buffer.from('"titan.app"');
    const sparse = list(20);
    expect(read(sparse, 4096, 4096, needle)).toEqual({ seen: reference(sparse), batched: 0 });
    const dense = list(1);
    const { seen, batched } = read(dense, 4096, 4096, needle);
    expect(seen).toEqual(reference(dense));
    expect(batched).toBeGreaterThan(1900);
  });

  it("still says a document cut short in a list is truncated", () => {
    const text = JSON.stringify({ lists: { a: Array.from({ length: 500 }, (_, i) => ({ name: `t${i}` })) } });
    expect(() => read(text.slice(0, -40), 1000, 256)).toThrow(/ended early/);
  });
});

describe("the start of an item", () => {
  it("is its first key and, after a plain string, its second", () => {
    const signature = signatureOf(Buffer.from('{"name":"web","task_id":{"value":"x"}}'));
    expect(signature?.cut.toString()).toBe('},{"name":');
    expect(signature?.afterFirstString?.toString()).toBe(',"task_id":');
    expect(signatureOf(Buffer.from('{"agent_info":{"id":1}}'))?.afterFirstString).toBeUndefined();
    expect(signatureOf(Buffer.from('{"name":"w\\"eb","x":1}'))?.afterFirstString).toBeUndefined();
    expect(signatureOf(Buffer.from('{"n\\"ame":1}'))).toBeUndefined();
    expect(signatureOf(Buffer.from("[1,2]"))).toBeUndefined();
    expect(signatureOf(Buffer.from("{}"))).toBeUndefined();
  });

  it("is refused where the items before it do not parse, and the bytes go back when none does", () => {
    const batcher = new ItemBatcher(
      signatureOf(Buffer.from('{"a":1}')) as NonNullable<ReturnType<typeof signatureOf>>,
      8,
    );
    // Items of an inner list start as the outer ones do; only the cut after the whole first item parses.
    expect(batcher.feed(Buffer.from('{"a":[{"a":1},{"a":2}]},{"a":3'))).toEqual({
      kind: "items",
      items: [{ a: [{ a: 1 }, { a: 2 }] }],
    });
    const stuck = new ItemBatcher(
      signatureOf(Buffer.from('{"a":1}')) as NonNullable<ReturnType<typeof signatureOf>>,
      8,
    );
    const bytes = Buffer.from(`{"a":Infinity},{"a":2},{"a":3},{"a":4},{"a":5},{"a":6}`);
    expect(stuck.feed(bytes)).toEqual({ kind: "exact", bytes });
  });
});
