/**
 * Fuzzes `titan validate` with mutations of real manifests: whatever the bytes, the answer is exit 0, or
 * exit 2 with every problem at a file position; never another code, never a stack trace, never a hang.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { tempDir } from "../support/tmp.js";

const BASES = [
  ...readdirSync("fixtures/manifests", { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join("fixtures/manifests", name)),
  "examples/hello/titan.yaml",
].map((file) => readFileSync(file, "utf8"));

/** Bits of YAML and values that have broken parsers and validators before. */
const TOKENS = [
  "&a ",
  "*a",
  "<<: ",
  "!!binary ",
  "!custom ",
  "---\n",
  "%YAML 1.1\n",
  "{",
  "[",
  "}",
  "]",
  '"',
  "'",
  "\t",
  "\u0000",
  "\u001b[2J",
  "\u0085",
  "\ufeff",
  "\r",
  ": ",
  "- ",
  "#",
  "1e400",
  "-1",
  ".nan",
  "-.inf",
  "0x7fffffffffffffff",
  "100000000000",
  "1e-300",
  "0.0001",
  "99999999999999999999h",
  "512MB",
  "25%",
  "101%",
  "file:///etc/shadow",
  "gopher://x/y",
  "../../x",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: manifest syntax, not a template
  "${PORT_NOPE}",
  "(a+)+",
  "__proto__: ",
  "constructor: ",
  "yes",
  "~",
  "null",
  "  ",
  "\n",
];

type Mutation =
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "replace"; at: number; length: number; text: string }
  | { kind: "indent"; line: number; delta: number }
  | { kind: "duplicate"; line: number };

const text = fc.oneof(
  fc.constantFrom(...TOKENS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 6 }),
);
/** Positions are drawn as fractions so one mutation fits any base; they are scaled when applied. */
const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fraction, text }),
  fc.record({ kind: fc.constant("delete" as const), at: fraction, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: fraction,
    length: fc.integer({ min: 1, max: 12 }),
    text,
  }),
  fc.record({ kind: fc.constant("indent" as const), line: fraction, delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fraction }),
);

function apply(base: string, m: Mutation): string {
  if (m.kind === "indent" || m.kind === "duplicate") {
    const lines = base.split("\n");
    const index = Math.floor(m.line * lines.length);
    const line = lines[index] ?? "";
    if (m.kind === "duplicate") lines.splice(index, 0, line);
    else
      lines[index] =
        m.delta >= 0
          ? " ".repeat(m.delta) + line
          : line.slice(Math.min(-m.delta, line.length - line.trimStart().length));
    return lines.join("\n");
  }
  const at = Math.floor(m.at * (base.length + 1));
  if (m.kind === "insert") return base.slice(0, at) + m.text + base.slice(at);
  if (m.kind === "delete") return base.slice(0, at) + base.slice(at + m.length);
  return base.slice(0, at) + m.text + base.slice(at + m.length);
}

const input = fc
  .record({
    base: fc.integer({ min: 0, max: BASES.length - 1 }),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  })
  .map(({ base, mutations }) => mutations.reduce(apply, BASES[base] ?? ""));

interface Answer {
  error?: { code: number; diagnostics?: Array<{ line: number; col: number }> };
  ok?: boolean;
}

const STACK = /^\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$/m;
/** A hang guard, not a speed figure: validation of these inputs takes milliseconds (docs/benchmarks.md). */
const LIMIT_MS = 2000;

describe("manifest loader fuzz", () => {
  it("answers every mutated manifest with exit 0 or exit 2 at a position, never a crash or a hang", async () => {
    const cwd = tempDir();
    // Loads the command's modules once, so the bound below measures validation alone.
    await runCli(["validate", "-f", "-"], { stdin: BASES[0] ?? "", cwd, env: { HOME: cwd } });
    await fc.assert(
      fc.asyncProperty(input, async (yaml) => {
        const started = performance.now();
        const result = await runCli(["validate", "-f", "-", "--json"], {
          stdin: yaml,
          cwd,
          env: { HOME: cwd },
        });
        const elapsed = performance.now() - started;
        expect(elapsed).toBeLessThan(LIMIT_MS);
        expect([0, 2]).toContain(result.code);
        expect(result.stderr).not.toMatch(STACK);
        expect(result.stderr).not.toContain("internal error");
        const answer = JSON.parse(result.stdout) as Answer;
        if (result.code === 0) {
          expect(answer.ok).toBe(true);
          return;
        }
        const diagnostics = answer.error?.diagnostics ?? [];
        expect(diagnostics.length, result.stderr).toBeGreaterThan(0);
        for (const d of diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.col).toBeGreaterThanOrEqual(1);
        }
        expect(result.stderr).toMatch(/^-:\d+:\d+: (error|warning): /m);
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});
