/**
 * A corpus of indentation mistakes: every list item of the bundled manifests and examples (and every nested key
 * of the README's example) moved 1–4 columns either way. Whenever that breaks the YAML, the answer is one
 * diagnostic at the line that moved, with the indentation hint; never the next line, never a cascade.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/cli/errors.js";
import { ValidationError } from "../../src/cli/errors.js";
import { parseManifests } from "../../src/manifest/index.js";
import { parsesCleanly } from "../../src/manifest/yaml.js";

const ROOT = join(import.meta.dirname, "..", "..");

const LIST_ITEMS = [
  ...readdirSync(join(ROOT, "fixtures/manifests"))
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join("fixtures/manifests", name)),
  "examples/hello/titan.yaml",
  "examples/hello/unhealthy.yaml",
  "examples/hello-image/titan.yaml",
];
const NESTED_KEYS = ["examples/hello/titan.yaml"];
/** Manifests of one app, whose keys start at column 1: each of them moved right. */
const TOP_KEYS = ["examples/hello/titan.yaml", "examples/hello-image/titan.yaml"];

interface Shift {
  name: string;
  text: string;
  /** 1-based line that moved and the column it now starts at. */
  line: number;
  col: number;
}

function shifts(file: string, pick: (line: string) => boolean): Shift[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const found: Shift[] = [];
  lines.forEach((line, i) => {
    if (!pick(line)) return;
    const indent = line.length - line.trimStart().length;
    for (const delta of [-4, -3, -2, -1, 1, 2, 3, 4]) {
      if (indent + delta < 0) continue;
      const moved = [...lines];
      moved[i] = " ".repeat(indent + delta) + line.trimStart();
      const name = `${file}:${i + 1} moved ${delta > 0 ? "+" : ""}${delta}`;
      found.push({ name, text: moved.join("\n"), line: i + 1, col: indent + delta + 1 });
    }
  });
  return found;
}

const listItem = (line: string) => /^\s*- /.test(line);
const nestedKey = (line: string) => /^\s+[a-z_]+:/.test(line);
const topKey = (line: string) => /^[a-z_]+:/.test(line);

/** Shifts that leave valid YAML are not indentation errors the parser can see (a key moved into a sibling map). */
const CORPUS = [
  ...LIST_ITEMS.flatMap((file) => shifts(file, listItem)),
  ...NESTED_KEYS.flatMap((file) => shifts(file, nestedKey)),
  ...TOP_KEYS.flatMap((file) => shifts(file, topKey)),
  // The smallest such mistake: a second line one space in.
  { name: "name then image one space in", text: "name: api\n image: nginx:1\n", line: 2, col: 2 },
].filter((shift) => !parsesCleanly(shift.text));

function diagnosticsOf(text: string): readonly Diagnostic[] {
  try {
    parseManifests([{ file: "t.yaml", text, baseDir: "/srv/app" }]);
  } catch (error) {
    if (error instanceof ValidationError) return error.diagnostics;
    throw error;
  }
  return [];
}

describe("indentation mistakes are reported at the line that is off", () => {
  it("has a corpus worth the name", () => {
    expect(CORPUS.length, String(CORPUS.length)).toBeGreaterThan(100);
  });

  it("reports each once, at the moved line and its first character, with the indentation hint", () => {
    const wrong: string[] = [];
    for (const shift of CORPUS) {
      const found = diagnosticsOf(shift.text);
      const d = found[0];
      const right =
        found.length === 1 &&
        d?.line === shift.line &&
        d.col === shift.col &&
        d.message.startsWith("this line is indented") &&
        (d.hint ?? "").startsWith("YAML nests by indentation");
      if (!right)
        wrong.push(`${shift.name}: ${found.map((x) => `${x.line}:${x.col} ${x.message}`).join("; ")}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
