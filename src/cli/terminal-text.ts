/**
 * Text that came from somewhere else (a cluster, a state file, a manifest) is data, never terminal control: a
 * task label holding `ESC ]0;…` must not retitle the terminal or clear the screen through `titan ps`. Human
 * output passes such text through `escapeTerminal`; `--json` output stays exact.
 */

/** C0 controls, DEL, C1 controls, and the Unicode bidi overrides and isolates that reorder what is shown. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

const NAMED: Readonly<Record<number, string>> = {
  0: "NUL",
  7: "BEL",
  8: "BS",
  9: "TAB",
  10: "LF",
  11: "VT",
  12: "FF",
  13: "CR",
  27: "ESC",
  127: "DEL",
  155: "CSI",
};

function visible(ch: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\t") return "\\t";
  if (ch === "\r") return "\\r";
  const code = ch.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Whether the text holds a character `escapeTerminal` would show as an escape. */
export function hasTerminalControl(text: string): boolean {
  return UNSAFE.test(text);
}

/** The text with every control character shown as an escape (`\x1b`, `\n`), safe to print on a terminal. */
export function escapeTerminal(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, visible) : text;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job
const UNSAFE_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_BUT_TAB_ALL = new RegExp(UNSAFE_BUT_TAB.source, "g");

/**
 * A line of an app's output, safe to print on a terminal: as `escapeTerminal`, but a tab is kept, since it only
 * moves the cursor to the next tab stop and apps use it to align their columns.
 */
export function escapeTerminalLine(text: string): string {
  return UNSAFE_BUT_TAB.test(text) ? text.replace(UNSAFE_BUT_TAB_ALL, visible) : text;
}

/**
 * A plain data structure (objects, arrays) with every string escaped for the terminal. Parts that hold nothing to
 * escape are returned as they are, not copied (a plan of 50,000 instances is mostly such parts), so the result
 * must be treated as read-only.
 */
export function escapeDeep<T>(value: T): T {
  return escapeValue(value) as T;
}

function escapeValue(value: unknown): unknown {
  if (typeof value === "string") return escapeTerminal(value);
  if (Array.isArray(value)) return escapeArray(value);
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const record = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    // for…in rather than Object.entries: no array per object, and this visits every row of a large ps or plan.
    for (const key in record) {
      const inner = record[key];
      if (typeof inner === "number" || typeof inner === "boolean" || inner === undefined) continue;
      const escaped = escapeValue(inner);
      if (escaped !== inner) out ??= { ...record };
      if (out) out[key] = escaped;
    }
    return out ?? value;
  }
  return value;
}

function escapeArray(value: readonly unknown[]): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const inner = value[i];
    const escaped = escapeValue(inner);
    if (escaped !== inner) out ??= value.slice();
    if (out) out[i] = escaped;
  }
  return out ?? value;
}

export interface ControlCharacter {
  /** Index in the string (UTF-16 code units). */
  index: number;
  code: number;
}

/**
 * The first character that must not reach a process, a Mesos call, a file name or a terminal: NUL, the other
 * C0 controls, DEL and the C1 controls. `lineBreaks` allows tab and newline (command lines, shell scripts and
 * multi-line values such as certificates use them).
 */
export function findControlCharacter(
  text: string,
  options: { lineBreaks?: boolean } = {},
): ControlCharacter | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    if (!control) continue;
    if (options.lineBreaks && (code === 0x09 || code === 0x0a)) continue;
    return { index: i, code };
  }
  return undefined;
}

/** `U+001B (ESC)`: names a character for a message without printing it. */
export function describeCharacter(code: number): string {
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = NAMED[code];
  return name === undefined ? hex : `${hex} (${name})`;
}
