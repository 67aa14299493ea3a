/**
 * Turns the YAML parser's structural errors into one diagnostic at the line that is off. One misplaced line
 * makes the parser report several follow-on errors ("nested mappings are not allowed in compact mappings",
 * "implicit keys need to be on a single line") at other places; only the first is news, and it is usually the
 * line's indentation.
 */
import type { YAMLError } from "yaml";

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

/** The first structural error, explained where the text is off; `all` is every error, in order. */
export function firstStructuralError(
  error: YAMLError,
  all: readonly YAMLError[],
  text: string,
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
  const indentation =
    INDENTATION_ERRORS.has(error.code) ||
    (error.code === "MISSING_CHAR" && error.message.startsWith("Sequence item without"));
  const off = indentation ? offLine(lines, at, error.code) : undefined;
  if (off !== undefined) {
    const line = lines[off];
    const previous = lines.slice(0, off).findLast((l) => l.content);
    if (line) {
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
function usualStep(lines: readonly Line[], except: Line): number {
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
