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
    lines.push({ number, start, indent, content: rest !== "" && !rest.startsWith("#") });
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
  const off = INDENTATION_ERRORS.has(error.code) ? offLine(lines, at, error.code) : undefined;
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
  if (code === "BAD_INDENT") return line.content ? at : undefined;
  const next = lines.findIndex((l, i) => i > at && l.content);
  const following = lines[next];
  if (following && following.indent > line.indent) return next;
  if (code === "BLOCK_AS_IMPLICIT_KEY") {
    const previous = lines.slice(0, at).findLast((l) => l.content);
    if (previous && previous.indent !== line.indent) return at;
  }
  return undefined;
}
