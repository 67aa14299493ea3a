import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

/**
 * Output examples in the docs are generated: a marker line names the command, and the fenced block after it must be
 * exactly what that command prints (from the repository root, no colour). A changed renderer fails this test until
 * the doc is regenerated with `TITAN_WRITE_DOCS=1 npx vitest run test/docs`.
 */
const root = resolve(import.meta.dirname, "../..");
const MARKER = /^<!-- generated from `titan ([^`]+)` by test\/docs\/examples\.test\.ts -->$/;

interface Example {
  args: string[];
  /** Line indexes of the block's content: from `start` up to, not including, `end`. */
  start: number;
  end: number;
}

function examplesIn(lines: readonly string[]): Example[] {
  const found: Example[] = [];
  lines.forEach((line, index) => {
    const match = MARKER.exec(line);
    if (match?.[1] === undefined) return;
    if (lines[index + 1] !== "```")
      throw new Error(`line ${index + 2}: a fenced block must follow the marker`);
    const close = lines.indexOf("```", index + 2);
    if (close < 0) throw new Error(`line ${index + 2}: the block is never closed`);
    found.push({ args: match[1].split(" "), start: index + 2, end: close });
  });
  return found;
}

describe.each(["docs/plan.md"])("%s", (doc) => {
  it("shows exactly what the commands it cites print today", async () => {
    const path = join(root, doc);
    const lines = readFileSync(path, "utf8").split("\n");
    const examples = examplesIn(lines);
    expect(examples.length).toBeGreaterThan(0);
    // Replace from the last block up, so earlier line indexes stay valid.
    for (const example of [...examples].reverse()) {
      const result = await runCli(example.args, { cwd: root });
      const printed = result.stdout.trimEnd().split("\n");
      if (process.env.TITAN_WRITE_DOCS === "1")
        lines.splice(example.start, example.end - example.start, ...printed);
      else
        expect(lines.slice(example.start, example.end), `titan ${example.args.join(" ")}`).toEqual(printed);
    }
    if (process.env.TITAN_WRITE_DOCS === "1") writeFileSync(path, lines.join("\n"));
  });
});
