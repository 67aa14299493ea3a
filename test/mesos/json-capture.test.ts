import { describe, expect, it } from "vitest";
import { type CapturedValue, JsonCapture } from "../../src/mesos/json-capture.js";
import { JsonStreamError, type Selection } from "../../src/mesos/json-select.js";
import { selectParsed } from "../support/select-parsed.js";

const document = JSON.stringify({
  type: "GET_STATE",
  get_state: {
    get_tasks: {
      tasks: [
        { name: "a", labels: { labels: [{ key: "titan.app", value: "web" }] }, note: 'br}ce [ "q" \\' },
        { name: "b", labels: { labels: [{ key: "team", value: "x" }] } },
        { name: "c", labels: { labels: [{ key: "titan.app", value: "api" }] }, note: '},{"name":"d"' },
        { name: "e", labels: { labels: [] } },
      ],
      completed_tasks: [],
    },
    get_executors: { executors: [{ deep: [[{ x: [1, 2, { y: "]" }] }]] }] },
    get_agents: { agents: [{ agent_info: { hostname: "h" } }] },
    n: -1.5e3,
    s: "descended into, but a scalar: skipped",
  },
});

const pick = (path: string): Selection =>
  ["", "get_state", "get_state.get_tasks", "get_state.get_tasks.tasks", "get_state.s"].includes(path)
    ? "descend"
    : ["get_state.get_tasks.tasks[]", "get_state.get_agents", "get_state.n"].includes(path)
      ? "capture"
      : "skip";

const whole = JSON.parse(document);
const expected = [
  ...whole.get_state.get_tasks.tasks.map((task: unknown) => ["get_state.get_tasks.tasks[]", task]),
  ["get_state.get_agents", whole.get_state.get_agents],
  ["get_state.n", -1500],
];

function capture(text: string, chunkSize: number, batchBytes?: number) {
  const seen: Array<[string, CapturedValue]> = [];
  const reader = new JsonCapture(
    pick,
    (path, value) => seen.push([path, value]),
    batchBytes === undefined ? {} : { batchBytes },
  );
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) reader.push(bytes.subarray(i, i + chunkSize));
  reader.end();
  return seen;
}

describe("capturing selected values as the document streams", () => {
  const size = Buffer.byteLength(document);

  it("hands over the values of the parsed document in its order, whatever the chunks and batches", () => {
    for (const batchBytes of [1, 40, 200, undefined])
      for (const chunkSize of [1, 7, 64, size]) {
        const seen = capture(document, chunkSize, batchBytes).map(([path, value]) => [path, value.parse()]);
        expect(seen, `batches of ${batchBytes}, chunks of ${chunkSize}`).toEqual(expected);
      }
  });

  it("tests a value's bytes before parsing, unless it was parsed in a batch", () => {
    const needle = Buffer.from('"titan.app"');
    // Batches larger than the document: every task is read on its own.
    const onTheirOwn = capture(document, 64).map(([, value]) => value.mayContain(needle));
    expect(onTheirOwn).toEqual([true, false, true, false, false, false]);
    // The first task teaches the batcher how tasks start; the later ones arrive parsed, up to the last: a batch ends
    // where another item starts, so the one the array's end follows is read on its own.
    const batched = capture(document, size, 1).map(([, value]) => value.mayContain(needle));
    expect(batched).toEqual([true, true, true, false, false, false]);
  });

  it("says a broken document is not JSON, in batches or not", () => {
    const broken = [document.slice(0, -3), document.slice(0, 200), '{"a" 1}', '{"a":[1,2}', "<html>", ""];
    for (const text of broken)
      for (const batchBytes of [1, undefined]) {
        expect(() => capture(text, 5, batchBytes), text).toThrow(JsonStreamError);
      }
  });

  it("reads the bare Infinity and NaN a master writes, also in items a batch cannot parse", () => {
    const text = '{"get_state":{"n":Infinity,"get_agents":{"x":NaN}}}';
    const seen = capture(text, 8).map(([path, value]) => [path, value.parse()]);
    expect(seen).toEqual([
      ["get_state.n", Number.POSITIVE_INFINITY],
      ["get_state.get_agents", { x: Number.NaN }],
    ]);
    const tasks =
      '{"get_state":{"get_tasks":{"tasks":[{"name":"a"},{"name":"b","x":Infinity},{"name":"c"}]}}}';
    for (const batchBytes of [1, 10, undefined]) {
      const values = capture(tasks, 7, batchBytes).map(([, value]) => value.parse());
      expect(values, `batches of ${batchBytes}`).toEqual([
        { name: "a" },
        { name: "b", x: Number.POSITIVE_INFINITY },
        { name: "c" },
      ]);
    }
  });
});

describe("the selection applied to a parsed document, the reference of these tests", () => {
  it("visits the paths a JsonSelector visits", () => {
    const seen: Array<[string, unknown]> = [];
    selectParsed(whole, pick, (path, value) => seen.push([path, value]));
    expect(seen).toEqual(expected);
  });
});
