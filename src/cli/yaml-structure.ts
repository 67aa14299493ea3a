/**
 * Turns the YAML parser's structural errors into one diagnostic at the line that is off. One misplaced line
 * makes the parser report several follow-on errors ("nested mappings are not allowed in compact mappings",
 * "implicit keys need to be on a single line") at other places; only the first is news, and it is usually the
 * line's indentation.
 */
import type { YAMLError } from "yaml";
import { flowOpenerAt, unclosedFlowOpener } from "./yaml-flow.js";

/** Errors that stand alone (no cascade follows them); every other one ends the report. */
export const STANDALONE_ERRORS: ReadonlySet<string> = new Set([
  "DUPLICATE_KEY",
  "MULTIPLE_DOCS",
  "TAG_RESOLVE_FAILED",
  "NON_STRING_KEY",
  "RESOURCE_EXHAUSTION",
]);

const INDENTATION_ERRORS: ReadonlySet<string> = new Set([
  "BAD_INDENT",
  "BLOCK_AS_IMPLICIT_KEY",
  "MULTILINE_IMPLICIT_KEY",
]);

/** Tells how good a re-indented text is. */
export interface RepairJudge {
  /** Whether it parses without a YAML error. */
  parses(text: string): boolean;
  /** How many problems a text that parses still has as a manifest. */
  problems(text: string): number;
}

export interface StructuralError {
  /** Where to point: the first character of the line that is off. */
  offset: number;
  message: string;
  hint: string;
}

interface Line {
  number: number;
  start: number;
  indent: number;
  content: boolean;
  /** Starts a list item (`- `). */
  dash: boolean;
  /** Ends with `:` (a key whose value is the block below). */
  opens: boolean;
}

function linesOf(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  let number = 1;
  while (start <= text.length) {
    const end = text.indexOf("\n", start);
    const stop = end < 0 ? text.length : end;
    const raw = text.slice(start, stop);
    const indent = raw.length - raw.trimStart().length;
    const rest = raw.trim();
    const code = rest.replace(/\s+#.*$/, "");
    lines.push({
      number,
      start,
      indent,
      content: rest !== "" && !rest.startsWith("#"),
      dash: rest.startsWith("- ") || rest === "-",
      opens: code.endsWith(":"),
    });
    if (end < 0) break;
    start = end + 1;
    number++;
  }
  return lines;
}

function lineAt(lines: readonly Line[], offset: number): number {
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line && line.start <= offset) index = i;
    else break;
  }
  return index;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The first structural error, explained where the text is off; `all` is every error, in order. With a `judge`,
 * the line that is off is found by trying to re-indent the lines around the error: the one whose re-indentation
 * alone makes the whole text parse, and leaves the fewest problems, is it.
 */
export function firstStructuralError(
  error: YAMLError,
  all: readonly YAMLError[],
  text: string,
  judge?: RepairJudge,
): StructuralError {
  const lines = linesOf(text);
  const at = lineAt(lines, error.pos[0]);
  if (error.code === "TAB_AS_INDENT") {
    const others = [
      ...new Set(
        all
          .filter((e) => e.code === "TAB_AS_INDENT" && e !== error)
          .map((e) => (lines[lineAt(lines, e.pos[0])]?.number ?? 0).toString()),
      ),
    ];
    const also =
      others.length > 0 ? ` (also on line${others.length === 1 ? "" : "s"} ${others.join(", ")})` : "";
    return {
      offset: error.pos[0],
      message: `a tab is used for indentation${also}`,
      hint: "YAML indents with spaces only: replace the tabs with spaces (set the editor to insert spaces)",
    };
  }
  const unclosed = unclosedFlow(error, lines, text);
  if (unclosed !== undefined) return unclosed;
  const indentation =
    INDENTATION_ERRORS.has(error.code) ||
    (error.code === "MISSING_CHAR" && error.message.startsWith("Sequence item without"));
  const off =
    (judge === undefined ? undefined : reindentedLine(lines, at, text, judge)) ??
    (indentation ? offLine(lines, at, error.code) : undefined);
  const line = off === undefined ? undefined : lines[off];
  if (off !== undefined && line) {
    const previous = lines.slice(0, off).findLast((l) => l.content);
    const around =
      previous === undefined
        ? ""
        : ` (line ${previous.number} above starts at column ${previous.indent + 1})`;
    return {
      offset: line.start + line.indent,
      message: `this line is indented ${plural(line.indent, "space")}, which does not line up with the lines it belongs with`,
      hint: `YAML nests by indentation: start it at the same column as its sibling keys or list items${around}`,
    };
  }
  const first = error.message.split("\n")[0] ?? error.message;
  const message = first.replace(/\s+at line \d+, column \d+.*$/, "");
  return {
    offset: error.pos[0],
    message: `YAML syntax error: ${message.charAt(0).toLowerCase()}${message.slice(1)}`,
    hint: "check the indentation and quoting of this line and the one above it",
  };
}

/**
 * A `[` or `{` the parser gave up on: never closed, or continued on a line not indented deeper than its key.
 * Reported where the parser gave up, naming where the collection was opened.
 */
function unclosedFlow(error: YAMLError, lines: readonly Line[], text: string): StructuralError | undefined {
  if (!/^Flow (sequence|map)\b/.test(error.message)) return undefined;
  const unclosed = unclosedFlowOpener(text);
  const opener = unclosed ?? flowOpenerAt(text, error.pos[0]);
  if (opener === undefined || opener.offset > error.pos[0]) return undefined;
  const line = lines[lineAt(lines, opener.offset)];
  if (!line) return undefined;
  const [kind, close] = opener.bracket === "[" ? ["list", "]"] : ["map", "}"];
  const where = `the ${opener.bracket} opened at line ${line.number}, column ${opener.offset - line.start + 1}`;
  const continues = `a ${opener.bracket} … ${close} ${kind} may go on over more lines only indented deeper than its key`;
  if (unclosed !== undefined)
    return {
      offset: error.pos[0],
      message: `${where} is never closed`,
      hint: `close it with ${close}; ${continues}`,
    };
  return {
    offset: error.pos[0],
    message: `this line continues ${where} but is not indented deeper than its key`,
    hint: `indent it by ${line.indent + 2} spaces or more; ${continues}`,
  };
}

/**
 * Re-indenting is tried on this many lines up to the one the parser tripped on (and the two after it: a blank
 * line or a key may be where it trips), and on texts up to this size.
 */
const REPAIR_LINES = 5;
const REPAIR_MAX_CHARS = 64 * 1024;

/**
 * The line whose indentation alone is wrong: among the few lines around the one the parser tripped on (a line
 * that is off makes the parser trip on a later one), one that parses cleanly when indented like other lines of
 * the document. When several would (of two list items, either could move to the other's column; a key dedented
 * out of its block could go back, or the next key follow it), the fix that leaves the manifest the fewest
 * problems wins, then the one that keeps every block at the document's usual step, then one that keeps the
 * document's top level at the margin, then the earlier line.
 */
function reindentedLine(
  lines: readonly Line[],
  at: number,
  text: string,
  judge: RepairJudge,
): number | undefined {
  if (text.length > REPAIR_MAX_CHARS) return undefined;
  const content = lines.flatMap((l, i) => (l.content ? [i] : []));
  const position = content.findLastIndex((i) => i <= at);
  if (position < 0) return undefined;
  const step = usualStep(lines, undefined);
  const fixes: Array<{ index: number; text: string }> = [];
  const candidates = content.slice(Math.max(0, position - REPAIR_LINES + 1), position + 3);
  for (const index of candidates) {
    const line = lines[index];
    if (!line || !structural(text, line)) continue;
    for (const indent of columnsNear(lines, content, content.indexOf(index), step)) {
      if (indent === line.indent) continue;
      const repaired = reindent(text, line, indent);
      if (judge.parses(repaired)) fixes.push({ index, text: repaired });
    }
  }
  if (fixes.length <= 1) return fixes[0]?.index;
  let best: { index: number; score: readonly number[] } | undefined;
  for (const fix of fixes) {
    const repaired = linesOf(fix.text);
    const score = [judge.problems(fix.text), irregularBlocks(repaired, step), indentedRoot(repaired)];
    if (best === undefined || before(score, best.score)) best = { index: fix.index, score };
  }
  return best?.index;
}

/** Whether one score comes first: compared element by element, lower is better. */
function before(score: readonly number[], other: readonly number[]): boolean {
  for (let i = 0; i < score.length; i++) {
    const [a, b] = [score[i] ?? 0, other[i] ?? 0];
    if (a !== b) return a < b;
  }
  return false;
}

/**
 * 1 when a text's first line of content does not start at column 1: valid YAML, but a fix that moves a document's
 * top level off the margin (`name: api` to ` name: api`, to line up with a ` image:` below it) is rarely the one.
 */
function indentedRoot(lines: readonly Line[]): number {
  return (lines.find((l) => l.content)?.indent ?? 0) > 0 ? 1 : 0;
}

/**
 * The columns a line may belong at: where the lines around it start, and a step either side (the only other
 * line at its depth may be the one that is off, or far away).
 */
function columnsNear(lines: readonly Line[], content: readonly number[], at: number, step: number): number[] {
  const near = content.slice(Math.max(0, at - 3), at + 4).map((i) => lines[i]?.indent ?? 0);
  const columns = new Set(near.flatMap((n) => [n, n + step, n - step]).filter((n) => n >= 0));
  return [...columns];
}

/** A key or a list item: a line that holds structure, not a stray word a missing colon left behind. */
function structural(text: string, line: Line): boolean {
  const end = text.indexOf("\n", line.start);
  const code = text.slice(line.start, end < 0 ? text.length : end).trim();
  return line.dash || line.opens || /^[^\s#][^#]*?:(\s|$)/.test(code);
}

function reindent(text: string, line: Line, indent: number): string {
  return text.slice(0, line.start) + " ".repeat(indent) + text.slice(line.start + line.indent);
}

/** How many `key:` lines start their block at another step than the usual one, or have no block at all. */
function irregularBlocks(lines: readonly Line[], step: number): number {
  const content = lines.filter((l) => l.content);
  let irregular = 0;
  for (let i = 1; i < content.length; i++) {
    const opener = content[i - 1];
    const first = content[i];
    if (!opener?.opens || !first) continue;
    const delta = first.indent - (opener.dash ? opener.indent + 2 : opener.indent);
    // A list flush with its key is valid YAML, yet off in a document that indents its blocks; so is a `key:`
    // with nothing under it, which is what a block moved out from under its key leaves.
    const nested = delta > 0 || (delta === 0 && first.dash);
    if (!nested || delta !== step) irregular++;
  }
  return irregular;
}

/**
 * The index of the line whose indentation is wrong: the reported one for a bad indent; for a value that ran
 * on into an implicit key, the next line, when it is indented deeper than the line that has a value already.
 */
function offLine(lines: readonly Line[], at: number, code: string): number | undefined {
  const line = lines[at];
  if (!line) return undefined;
  if (code === "BAD_INDENT" || code === "MISSING_CHAR") return line.content ? oddOne(lines, at) : undefined;
  const next = lines.findIndex((l, i) => i > at && l.content);
  const following = lines[next];
  if (following && following.indent > line.indent) return oddOne(lines, next);
  if (code === "BLOCK_AS_IMPLICIT_KEY") {
    const previous = lines.slice(0, at).findLast((l) => l.content);
    if (previous && previous.indent !== line.indent) return oddOne(lines, at);
  }
  return undefined;
}

/**
 * YAML takes the first line of a block as the block's column, so when that first line is the one off, the parser
 * complains about the next (correct) one. Of two sibling keys that disagree, the one that is not the document's
 * usual step (2 spaces, say) below their parent is off.
 */
function oddOne(lines: readonly Line[], at: number): number {
  const line = lines[at];
  const previousIndex = lines.findLastIndex((l, i) => i < at && l.content);
  const previous = lines[previousIndex];
  if (!line || !previous || previous.opens || previous.dash || line.dash || previous.indent === line.indent)
    return at;
  const floor = Math.min(previous.indent, line.indent);
  const parent = lines.slice(0, previousIndex).findLast((l) => l.content && l.indent < floor);
  if (!parent) return at;
  const step = usualStep(lines, parent);
  const base = parent.dash ? parent.indent + 2 : parent.indent;
  if (previous.indent - base === step) return at;
  return line.indent - base === step ? previousIndex : at;
}

/** The most common step from a `key:` line to the first line of its block, not counting the block in doubt. */
function usualStep(lines: readonly Line[], except: Line | undefined): number {
  const counts = new Map<number, number>();
  const content = lines.filter((l) => l.content);
  for (let i = 1; i < content.length; i++) {
    const opener = content[i - 1];
    const first = content[i];
    if (!opener?.opens || opener === except || !first) continue;
    const delta = first.indent - (opener.dash ? opener.indent + 2 : opener.indent);
    if (delta > 0) counts.set(delta, (counts.get(delta) ?? 0) + 1);
  }
  let best = 2;
  let most = 0;
  for (const [delta, count] of counts) {
    if (count > most || (count === most && delta === 2)) {
      best = delta;
      most = count;
    }
  }
  return best;
}

/**
 * An error that stands alone (STANDALONE_ERRORS), in words, with a hint; `severalDocuments` is the hint for a file
 * of several documents, which depends on what the file is.
 */
export function explainYamlError(
  error: YAMLError,
  text: string,
  severalDocuments: string,
): { message: string; hint?: string } {
  switch (error.code) {
    case "DUPLICATE_KEY": {
      const key = /^[^\s:#]+/.exec(text.slice(error.pos[0]))?.[0];
      return {
        message: key ? `duplicate key \`${key}\`` : "duplicate key",
        hint: "each key may appear once in a mapping; remove or merge the repeated one",
      };
    }
    case "MULTIPLE_DOCS":
      return { message: "the file holds several YAML documents (`---`)", hint: severalDocuments };
    case "TAG_RESOLVE_FAILED":
      return {
        message: "YAML tags are not supported",
        hint: "remove the `!tag`; quote the value if it must be text",
      };
    case "NON_STRING_KEY":
      return { message: "keys must be plain text", hint: "write the key as a word, e.g. `name:`" };
    case "RESOURCE_EXHAUSTION":
      return { message: "the document is nested too deeply", hint: "flatten the structure" };
    default: {
      const first = error.message.split("\n")[0] ?? error.message;
      const message = first.replace(/\s+at line \d+, column \d+.*$/, "");
      return { message: `YAML syntax error: ${message.charAt(0).toLowerCase()}${message.slice(1)}` };
    }
  }
}
