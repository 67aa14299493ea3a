/**
 * JSON as Mesos writes it. stout's jsonify writes a double that is not finite as a bare token (`Infinity`,
 * `-Infinity`, `NaN`; 3rdparty/stout/include/stout/jsonify.hpp `NumberWriter::set(double)` streams the value), e.g.
 * a task with an unlimited `limits` entry. `JSON.parse` refuses those, so:
 *
 * - a document without them (nearly every one) goes through `JSON.parse` alone, at full speed;
 * - only when that fails and the text has such a token, one pass outside strings rewrites `Infinity` as `1e999`
 *   (which JSON.parse itself turns into Infinity) and `NaN` as a marker string a reviver turns back into NaN.
 */

const NAN_MARKER = "\u0000titan:NaN";

export function parseMesosJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!text.includes("Infinity") && !text.includes("NaN")) throw error;
    const rewritten = rewriteNonFinite(text);
    if (rewritten === undefined) throw error;
    return rewritten.nan
      ? JSON.parse(rewritten.text, (_key, value: unknown) => (value === NAN_MARKER ? Number.NaN : value))
      : JSON.parse(rewritten.text);
  }
}

const BACKSLASH = 92;
const MINUS = 45;

/** Rewrites bare non-finite tokens outside strings; undefined when there are none. */
export function rewriteNonFinite(text: string): { text: string; nan: boolean } | undefined {
  const parts: string[] = [];
  let copied = 0;
  let nan = false;
  let nextInf = text.indexOf("Infinity");
  let nextNan = text.indexOf("NaN");
  /** Everything before `scanned` has been split into strings and the rest; `scanned` is outside any string. */
  let scanned = 0;
  for (;;) {
    const isNan = nextNan >= 0 && (nextInf < 0 || nextNan < nextInf);
    const hit = isNan ? nextNan : nextInf;
    if (hit < 0) break;
    const tokenLength = isNan ? 3 : 8;
    let inString = false;
    for (;;) {
      const quote = text.indexOf('"', scanned);
      if (quote < 0 || quote > hit) break;
      const end = stringEnd(text, quote);
      if (end > hit) {
        inString = true;
        break;
      }
      scanned = end;
    }
    const start = !isNan && text.charCodeAt(hit - 1) === MINUS ? hit - 1 : hit;
    if (!inString && isValuePosition(text, start, hit + tokenLength)) {
      parts.push(text.slice(copied, start));
      if (isNan) {
        parts.push(JSON.stringify(NAN_MARKER));
        nan = true;
      } else parts.push(start === hit ? "1e999" : "-1e999");
      copied = hit + tokenLength;
    }
    if (isNan) nextNan = text.indexOf("NaN", hit + tokenLength);
    else nextInf = text.indexOf("Infinity", hit + tokenLength);
  }
  if (copied === 0) return undefined;
  parts.push(text.slice(copied));
  return { text: parts.join(""), nan };
}

/** The index after the closing quote of the string opening at `open` (the text's end for an unterminated one). */
function stringEnd(text: string, open: number): number {
  let j = open + 1;
  for (;;) {
    const close = text.indexOf('"', j);
    if (close < 0) return text.length;
    let backslashes = 0;
    for (let k = close - 1; k > open && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    j = close + 1;
  }
}

const SPACE = /\s/;

/**
 * A bare value: after `:`, `,`, `[` or the start and before `,`, `}`, `]` or the end (a key would be followed by
 * `:`); the whole text is one when a streamed reader hands over a captured number on its own.
 */
function isValuePosition(text: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && SPACE.test(text.charAt(before))) before--;
  let after = end;
  while (after < text.length && SPACE.test(text.charAt(after))) after++;
  const prev = text.charAt(before);
  const next = text.charAt(after);
  return (
    (prev === ":" || prev === "," || prev === "[" || before < 0) &&
    (next === "" || next === "," || next === "}" || next === "]")
  );
}

/**
 * The text with every `nanoseconds` value (TimeInfo, DurationInfo: int64) made a decimal string, kept exactly as
 * written: a timestamp in nanoseconds is past what a double holds exactly, so a value read as a number and sent back
 * would have moved. Mesos reads an int64 from a string as from a number (3rdparty/stout/include/stout/protobuf.hpp).
 * A key inside a string value has escaped quotes, which the pattern does not match.
 */
export function nanosecondsAsStrings(text: string): string {
  return text.replace(/(?<!\\)"nanoseconds"(\s*):(\s*)(-?\d+)/g, '"nanoseconds"$1:$2"$3"');
}
