/**
 * A fast reader for the plain YAML most manifests are written in: block mappings and lists, one-line flow
 * collections, plain and quoted one-line scalars, comments. It builds the same positioned tree as the YAML library
 * does through src/manifest/yaml.ts, in a single pass and without the library's document model, which on a large
 * file is most of the time and memory of loading it.
 *
 * It gives up (returns undefined) on anything outside that subset or anything the library would complain about:
 * anchors, aliases, tags, block scalars, multi-line scalars and flow collections, empty values, duplicate keys,
 * directives and document markers, tabs, carriage returns, odd indentation, a nesting deeper than allowed. The
 * caller then parses the text with the library, which gives every diagnostic; so this reader never decides
 * what is an error, and a file it accepts reads exactly as the library reads it.
 */
import { resolveCorePlain } from "./core-schema.js";
import type { MapEntry, PNode, Pos, ScalarNode } from "./node.js";

/** Thrown inside the reader when the text leaves the subset; never escapes readSimpleYaml. */
const OUTSIDE_SUBSET = new Error("outside the simple YAML subset");
/** The library's limit on implicit keys (strict mode), kept well inside. */
const MAX_KEY_LENGTH = 1000;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
/** Characters that start something other than a plain scalar (YAML 1.2 c-indicator); `-` is handled apart. */
const INDICATORS = new Set("?:,[]{}#&*!|>'\"%@`");
const FLOW_INDICATORS = new Set(",[]{}");
const ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};
const HEX_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** The manifest tree of `text`, or undefined when the text needs the full YAML parser. */
export function readSimpleYaml(text: string, maxDepth: number): PNode | undefined {
  if (/[\t\r\ufeff\u2028\u2029]/.test(text) || /^(?:---|\.\.\.)(?:[ \n]|$)/m.test(text)) return undefined;
  try {
    return new SimpleYamlReader(text, maxDepth).document();
  } catch (error) {
    if (error === OUTSIDE_SUBSET) return undefined;
    throw error;
  }
}

function outside(): never {
  throw OUTSIDE_SUBSET;
}

class SimpleYamlReader {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  /** Indentation of the line the cursor is on, once skipBlank found it; -1 at the end of the text. */
  private indent = -1;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  document(): PNode {
    if (this.skipBlank() < 0) outside();
    const root = this.block(this.indent, 0);
    if (this.indent >= 0) outside();
    return root;
  }

  private pos(offset: number): Pos {
    return { line: this.line, col: offset - this.lineStart + 1 };
  }

  private code(at: number): number {
    return this.text.charCodeAt(at);
  }

  /** From the start of a line, past blank and comment-only lines; the cursor ends on the first content. */
  private skipBlank(): number {
    const { text } = this;
    for (;;) {
      let j = this.i;
      while (this.code(j) === SPACE) j++;
      if (j >= text.length) {
        this.i = j;
        this.indent = -1;
        return -1;
      }
      const c = this.code(j);
      if (c === NEWLINE || c === HASH) {
        const end = text.indexOf("\n", j);
        if (end < 0) {
          this.i = text.length;
          this.indent = -1;
          return -1;
        }
        this.newLine(end + 1);
        continue;
      }
      this.i = j;
      this.indent = j - this.lineStart;
      return this.indent;
    }
  }

  private newLine(at: number): void {
    this.i = at;
    this.line++;
    this.lineStart = at;
  }

  /** After a value: spaces, an optional comment, the end of the line; then on to the next content line. */
  private endLine(): void {
    const { text } = this;
    let j = this.i;
    while (this.code(j) === SPACE) j++;
    if (j < text.length && this.code(j) === HASH) {
      if (this.code(j - 1) !== SPACE) outside();
      const end = text.indexOf("\n", j);
      j = end < 0 ? text.length : end;
    }
    if (j >= text.length) {
      this.i = j;
      this.indent = -1;
      return;
    }
    if (this.code(j) !== NEWLINE) outside();
    this.newLine(j + 1);
    this.skipBlank();
  }

  private dashItem(at: number): boolean {
    if (this.code(at) !== DASH) return false;
    const next = this.code(at + 1);
    return next === SPACE || next === NEWLINE || at + 1 >= this.text.length;
  }

  private deep(depth: number): void {
    if (depth > this.maxDepth) outside();
  }

  private block(indent: number, depth: number): PNode {
    return this.dashItem(this.i) ? this.sequence(indent, depth) : this.mapping(indent, depth);
  }

  private sequence(col: number, depth: number): PNode {
    this.deep(depth);
    const pos = this.pos(this.i);
    const items: PNode[] = [];
    do {
      this.i++;
      while (this.code(this.i) === SPACE) this.i++;
      const c = this.code(this.i);
      if (this.i >= this.text.length || c === NEWLINE || c === HASH) {
        this.endLine();
        if (this.indent <= col) outside();
        items.push(this.block(this.indent, depth + 1));
      } else if (this.keyAhead()) {
        items.push(this.mapping(this.i - this.lineStart, depth + 1));
      } else {
        items.push(this.inlineValue(depth + 1));
        this.endLine();
      }
      if (this.indent > col) outside();
    } while (this.indent === col && this.dashItem(this.i));
    return { kind: "seq", items, pos };
  }

  private mapping(col: number, depth: number): PNode {
    this.deep(depth);
    const pos = this.pos(this.i);
    const entries: MapEntry[] = [];
    const keys = new Set<string>();
    do {
      const keyPos = this.pos(this.i);
      const key = this.key();
      if (keys.has(key) || key === "<<") outside();
      keys.add(key);
      while (this.code(this.i) === SPACE) this.i++;
      const c = this.code(this.i);
      let value: PNode;
      if (this.i >= this.text.length || c === NEWLINE || c === HASH) {
        this.endLine();
        if (this.indent > col) value = this.block(this.indent, depth + 1);
        else if (this.indent === col && this.dashItem(this.i)) value = this.sequence(col, depth + 1);
        else outside();
      } else {
        value = this.inlineValue(depth + 1);
        this.endLine();
      }
      entries.push({ key, keyPos, value });
      if (this.indent > col) outside();
    } while (this.indent === col);
    return { kind: "map", entries, pos };
  }

  /** A key and its `:`; the cursor ends after the colon. */
  private key(): string {
    const start = this.i;
    const c = this.code(start);
    let key: string;
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      key = this.quoted();
      while (this.code(this.i) === SPACE) this.i++;
    } else {
      key = this.plain(false);
    }
    if (this.i - start > MAX_KEY_LENGTH || this.code(this.i) !== COLON) outside();
    this.i++;
    const next = this.code(this.i);
    if (next !== SPACE && next !== NEWLINE && this.i < this.text.length) outside();
    return key;
  }

  /** Whether a list item's content is `key: …` (a mapping), looked at without moving the cursor. */
  private keyAhead(): boolean {
    const start = this.i;
    const { line, lineStart } = this;
    try {
      const c = this.code(start);
      if (c === 0x7b || c === 0x5b || this.dashItem(start)) return false;
      this.key();
      return true;
    } catch (error) {
      if (error !== OUTSIDE_SUBSET) throw error;
      return false;
    } finally {
      this.i = start;
      this.line = line;
      this.lineStart = lineStart;
    }
  }

  private inlineValue(depth: number): PNode {
    this.deep(depth);
    const c = this.code(this.i);
    if (c === 0x7b) return this.flowMapping(depth);
    if (c === 0x5b) return this.flowSequence(depth);
    return this.scalar(false);
  }

  private scalar(flow: boolean): ScalarNode {
    const pos = this.pos(this.i);
    const c = this.code(this.i);
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      const text = this.quoted();
      return { kind: "scalar", value: text, text, pos };
    }
    const text = this.plain(flow);
    return { kind: "scalar", value: resolveCorePlain(text), text, pos };
  }

  private skipSpaces(): void {
    while (this.code(this.i) === SPACE) this.i++;
  }

  private flowSequence(depth: number): PNode {
    this.deep(depth);
    const pos = this.pos(this.i);
    const items: PNode[] = [];
    this.i++;
    this.skipSpaces();
    while (this.code(this.i) !== 0x5d) {
      items.push(this.flowItem(depth + 1));
      this.skipSpaces();
      if (this.code(this.i) === 0x2c) {
        this.i++;
        this.skipSpaces();
        if (this.code(this.i) === 0x5d) outside();
      } else if (this.code(this.i) !== 0x5d) {
        outside();
      }
    }
    this.i++;
    return { kind: "seq", items, pos };
  }

  private flowMapping(depth: number): PNode {
    this.deep(depth);
    const pos = this.pos(this.i);
    const entries: MapEntry[] = [];
    const keys = new Set<string>();
    this.i++;
    this.skipSpaces();
    while (this.code(this.i) !== 0x7d) {
      const keyPos = this.pos(this.i);
      const c0 = this.code(this.i);
      const key = c0 === DOUBLE_QUOTE || c0 === SINGLE_QUOTE ? this.quoted() : this.plain(true);
      this.skipSpaces();
      if (keys.has(key) || key === "<<" || this.code(this.i) !== COLON || this.code(this.i + 1) !== SPACE)
        outside();
      keys.add(key);
      this.i += 2;
      this.skipSpaces();
      const c = this.code(this.i);
      if (c === 0x2c || c === 0x7d) outside();
      entries.push({ key, keyPos, value: this.flowItem(depth + 1) });
      this.skipSpaces();
      if (this.code(this.i) === 0x2c) {
        this.i++;
        this.skipSpaces();
        if (this.code(this.i) === 0x7d) outside();
      } else if (this.code(this.i) !== 0x7d) {
        outside();
      }
    }
    this.i++;
    return { kind: "map", entries, pos };
  }

  private flowItem(depth: number): PNode {
    this.deep(depth);
    const c = this.code(this.i);
    if (c === 0x7b) return this.flowMapping(depth);
    if (c === 0x5b) return this.flowSequence(depth);
    const node = this.scalar(true);
    this.skipSpaces();
    if (this.code(this.i) === COLON) outside();
    return node;
  }

  /**
   * A plain scalar on one line: it ends at `: ` (or `:` before the end of the line), at ` #`, and in a flow
   * collection at `,[]{}`. Trailing spaces are not part of it.
   */
  private plain(flow: boolean): string {
    const { text } = this;
    const start = this.i;
    const first = text[start] ?? "";
    if (start >= text.length || INDICATORS.has(first) || first === " " || first === "\n") outside();
    // `-` before a space, a line break or the end of the text starts a list item, not a scalar; in a flow
    // collection, before `,[]{}` it is an error.
    const afterDash = text[start + 1];
    if (
      first === "-" &&
      (afterDash === undefined ||
        afterDash === " " ||
        afterDash === "\n" ||
        (flow && FLOW_INDICATORS.has(afterDash)))
    )
      outside();
    let j = start + 1;
    let end = j;
    for (; j < text.length; j++) {
      const c = this.code(j);
      if (c === NEWLINE) break;
      if (c === SPACE) continue;
      if (c === HASH && this.code(j - 1) === SPACE) break;
      if (c === COLON) {
        const next = text[j + 1];
        if (next === undefined || next === " " || next === "\n" || (flow && FLOW_INDICATORS.has(next))) break;
      }
      if (flow && FLOW_INDICATORS.has(text[j] ?? "")) break;
      end = j + 1;
    }
    this.i = end;
    return text.slice(start, end);
  }

  /** A single- or double-quoted scalar on one line, its escapes decoded; the cursor ends after the quote. */
  private quoted(): string {
    const { text } = this;
    const quote = text[this.i];
    let out = "";
    let j = this.i + 1;
    for (;;) {
      const c = text[j];
      if (c === undefined || c === "\n") outside();
      if (c === quote) {
        if (quote === "'" && text[j + 1] === "'") {
          out += "'";
          j += 2;
          continue;
        }
        break;
      }
      if (c === "\\" && quote === '"') {
        const e = text[j + 1] ?? "";
        const simple = ESCAPES[e];
        if (simple !== undefined) {
          out += simple;
          j += 2;
          continue;
        }
        out += hexEscape(text, j + 2, HEX_DIGITS[e]);
        j += 2 + (HEX_DIGITS[e] ?? 0);
        continue;
      }
      out += c;
      j++;
    }
    this.i = j + 1;
    return out;
  }
}

function hexEscape(text: string, at: number, length: number | undefined): string {
  if (length === undefined) outside();
  const digits = text.slice(at, at + length);
  if (digits.length !== length || !/^[0-9a-fA-F]+$/.test(digits)) outside();
  const code = Number.parseInt(digits, 16);
  if (code > 0x10ffff) outside();
  return String.fromCodePoint(code);
}
