import { describe, expect, it } from "vitest";
import { type CapturedValue, JsonCapture, selectParsed } from "../../src/mesos/json-capture.js";
import { JsonStreamError, type Selection } from "../../src/mesos/json-select.js";

const document = JSON.stringify({
  type: "GET_STATE",
  get_state: {
    get_tasks: {
      tasks: [
        { name: "a", labels: { labels: [{ key: "titan.app", value: "web" }] }, note: 'br}ce [ "q" \\' },
        { name: "b", labels: { labels: [{ key: "team", value: "x" }] } },
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
  ["get_state.get_tasks.tasks[]", whole.get_state.get_tasks.tasks[0]],
  ["get_state.get_tasks.tasks[]", whole.get_state.get_tasks.tasks[1]],
  ["get_state.get_agents", whole.get_state.get_agents],
  ["get_state.n", -1500],
];

function capture(text: string, wholeUpTo: number, chunkSize: number) {
  const seen: Array<[string, CapturedValue]> = [];
  const reader = new JsonCapture(pick, (path, value) => seen.push([path, value]), wholeUpTo);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) reader.push(bytes.subarray(i, i + chunkSize));
  reader.end();
  return seen;
}

describe("capturing selected values, whole or streamed", () => {
  const size = Buffer.byteLength(document);

  it("hands over the same values in the same order whether the document is parsed whole or streamed", () => {
    // 0: streamed from the first byte; size / 2: streamed once the document outgrows the bound; size: whole.
    for (const wholeUpTo of [0, 1, Math.floor(size / 2), size - 1, size, size * 2])
      for (const chunkSize of [1, 7, 64, size]) {
        const seen = capture(document, wholeUpTo, chunkSize).map(([path, value]) => [path, value.parse()]);
        expect(seen, `whole up to ${wholeUpTo}, chunks of ${chunkSize}`).toEqual(expected);
      }
  });

  it("tests captured bytes before parsing only when streaming; a document parsed whole may contain anything", () => {
    const needle = Buffer.from('"titan.app"');
    const streamed = capture(document, size - 1, 64).map(([, value]) => value.mayContain(needle));
    expect(streamed).toEqual([true, false, false, false]);
    const parsedWhole = capture(document, size, 64).map(([, value]) => value.mayContain(needle));
    expect(parsedWhole).toEqual([true, true, true, true]);
  });

  it("says what is wrong with a broken document in the same words either way", () => {
    const broken = [document.slice(0, -3), '{"a" 1}', '{"a":[1,2}', "<html>", ""];
    for (const text of broken) {
      const streamed = (() => {
        try {
          capture(text, 0, 5);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(streamed, text).toBeInstanceOf(JsonStreamError);
      expect(() => capture(text, 1024, 5), text).toThrow(streamed as Error);
    }
  });

  it("reads the bare Infinity and NaN a master writes, parsed whole", () => {
    const text = '{"get_state":{"n":Infinity,"get_agents":{"x":NaN}}}';
    const seen = capture(text, 1024, 8).map(([path, value]) => [path, value.parse()]);
    expect(seen).toEqual([
      ["get_state.n", Number.POSITIVE_INFINITY],
      ["get_state.get_agents", { x: Number.NaN }],
    ]);
  });
});

describe("the selection applied to a parsed document", () => {
  it("visits the paths a JsonSelector visits", () => {
    const seen: Array<[string, unknown]> = [];
    selectParsed(whole, pick, (path, value) => seen.push([path, value]));
    expect(seen).toEqual(expected);
  });
});
