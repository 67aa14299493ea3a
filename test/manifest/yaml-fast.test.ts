/**
 * The fast reader of plain YAML against the YAML library: on any text it accepts, it must build exactly the tree
 * the library's parse builds (values, texts, every line and column), and accept only texts the library parses
 * without a complaint. Everything else it must hand back, so that every diagnostic still comes from the library.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toScenario } from "../../bench/placement-scenario.js";
import { manyApps } from "../../bench/placement-workload.js";
import { MAX_DEPTH, parseWithLibrary } from "../../src/manifest/yaml.js";
import { readSimpleYaml } from "../../src/manifest/yaml-fast.js";

const FILES = [
  ...readdirSync("fixtures/manifests", { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join("fixtures/manifests", name)),
  ...readdirSync("examples", { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join("examples", name)),
];
const BENCH = toScenario(manyApps(60, 600, 60, 5)).manifests[0] ?? "";

/** Hand-written corners of the subset and just outside it. */
const CORNERS = [
  "a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 1.50\nf: .inf\ng: -.Inf\nh: .nan\ni: 1e3\nj: +5\nk: 1_000\n",
  "a: true\nb: False\nc: TRUE\nd: yes\ne: ~\nf: null\ng: NULL\nh: Null\ni: nul\n",
  "a: 'it''s'\nb: \"q\\\"x\\\\y\\n\\t\\u00e9\\x41\\U0001F600\"\nc: ''\nd: \"\"\ne: 'a # not a comment'\n",
  "a: x # comment\nb: y#not\nc: http://h:8/p?q=1\nd: a:b\ne: -x\nf: 'x' # c\n",
  "# head\n\na:\n  # inside\n  b: 1\n\n  c: [1, 2, {d: e, 'f g': \"h\"}]\nz: {}\ny: []\n",
  "apps:\n- name: a\n  ports: [p0, p1]\n-   name: b\n    instances: 2\n- name: c\n  env: { A: '1', B: x }\n",
  "apps:\n  -\n    name: a\n  - name: b\n    nested:\n      - x\n",
  "a:\n  - 1\n  -\n    - 2\n",
  "l:\n- a: 1\n  b:\n  - x\n  - y\n  c: 2\n",
  "é: ü\n\"k ey\": v\n'1': one\n2: two\n",
  "a: b: c\n",
  "- -",
  "a: -",
  "- [x]\n- -",
  "a: [-]\nb: [x, -]\nc: {d: -}\n",
  "a: [-x, - ]\n",
  "a: 1\na: 2\n",
  "a:\n",
  "a: |\n  text\n",
  "a: &x 1\nb: *x\n",
  "a: !!str 1\n",
  "<<: {a: 1}\n",
  "a: [1,\n  2]\n",
  "a: plain\n  continued\n",
  "a: 1\n b: 2\n",
  "  a: 1\n  b: 2\n",
  "- a\n- b\n",
  'a: "bad \\q escape"\n',
  "a: [1, 2, ]\n",
  "a: {x: 1,}\n",
  "a: [a: 1]\n",
  "a: {x}\n",
  "a: {x:1}\n",
  'a: {"x":1}\n',
  "a: x\n---\nb: y\n",
  "%YAML 1.2\n---\na: 1\n",
  "a: @x\n",
  "a: `x`\n",
  "a: 'x'y\n",
  'a: "x"#c\n',
  "? a\n: b\n",
  "a:  \n  b: 1\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: 1 # c\n# c\n",
  "a: 1",
  "",
  "# only a comment\n",
  `${"  ".repeat(0)}a:\n${Array.from({ length: 40 }, (_, d) => `${"  ".repeat(d + 1)}k${d}:`).join("\n")} v\n`,
  `a: ${"[".repeat(40)}${"]".repeat(40)}\n`,
  "k: [x, [y, {z: [1]}]]\n",
  "a: -\n",
  "nested:\n  - - x\n",
  "- - a\n",
  "a: - b\n",
  "a: x  \nb: 'y'  \n",
  "a:   spaced   out  \n",
  "key with spaces: v\n",
  "key : v\n",
  "a: [ ]\nb: { }\n",
  "a: ['x' , \"y\" ]\n",
  "a: 1.\nb: .5\nc: -0\nd: 00\ne: 0x\nf: 0o8\n",
];

type Mutation = { at: number; cut: number; text: string };
const TOKENS = [
  ": ",
  "- ",
  "-",
  " #",
  "#",
  "'",
  '"',
  "\\",
  "\\u00e9",
  "\\x",
  "  ",
  "\n",
  "\n  ",
  "\n- ",
  "{a: 1}",
  "[1, 2]",
  "{",
  "}",
  "[",
  "]",
  ",",
  "0x1F",
  "~",
  "null",
  "true",
  ".inf",
  "1e3",
  "?",
  "key:",
  "k: v",
  "'it''s'",
  '"a\\"b"',
  "é",
  "😀",
  "&a ",
  "*a",
  "!t ",
  "|",
  ">",
  "<<: ",
  "---",
  "\t",
  "\r",
  "@",
  "%",
];
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  cut: fc.integer({ min: 0, max: 6 }),
  text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })),
});
const mutate = (base: string, m: Mutation): string => {
  const at = Math.floor(m.at * (base.length + 1));
  return base.slice(0, at) + m.text + base.slice(at + m.cut);
};

/** The fast reader's tree when it accepts `text` (checked against the library), or undefined. */
function agree(text: string): unknown {
  const fast = readSimpleYaml(text, MAX_DEPTH);
  if (fast === undefined) return undefined;
  const library = parseWithLibrary("f.yaml", text);
  expect(library.diagnostics, JSON.stringify(text)).toEqual([]);
  expect(fast, JSON.stringify(text)).toEqual(library.root);
  return fast;
}

describe("the fast YAML reader", () => {
  it("reads every fixture, example and generated bench manifest as the library does", () => {
    for (const file of FILES) expect(agree(readFileSync(file, "utf8")), file).toBeDefined();
    expect(agree(BENCH)).toBeDefined();
  });

  it("reads the corners of its subset as the library does, and hands the rest back", () => {
    const accepted = CORNERS.filter((text) => agree(text) !== undefined);
    // The first ten are plain manifests; most of the rest are outside the subset on purpose.
    for (const text of CORNERS.slice(0, 10)) expect(accepted).toContain(text);
    expect(accepted).not.toContain("a: 1\na: 2\n");
    expect(accepted).not.toContain("a: &x 1\nb: *x\n");
  });

  it("agrees with the library on mutated manifests", () => {
    const bases = [...FILES.map((file) => readFileSync(file, "utf8")), BENCH.slice(0, 4000), ...CORNERS];
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bases.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (base, mutations) => {
          if (agree(mutations.reduce(mutate, bases[base] ?? "")) !== undefined) accepted++;
        },
      ),
      { numRuns: 3000 },
    );
    // Mutations often stay inside the subset: the comparison above is not empty.
    expect(accepted).toBeGreaterThan(300);
  });
});
