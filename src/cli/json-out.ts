import type { Writable } from "node:stream";

/** Text is handed to the stream in pieces of about this size. */
const CHUNK = 1 << 16;
/** Arrays and objects are written member by member down to this depth; deeper values are stringified whole. */
const STREAM_DEPTH = 2;

/**
 * Writes `value` as `JSON.stringify(value, null, 2)` followed by a newline, byte for byte, but in pieces: a plan of
 * 50,000 placements is tens of megabytes of text, which is never held as one string.
 */
export function writeJson(stream: Writable, value: unknown): void {
  let buffer = "";
  const emit = (text: string): void => {
    buffer += text;
    if (buffer.length >= CHUNK) {
      stream.write(buffer);
      buffer = "";
    }
  };
  writeValue(value, "", 0, emit);
  stream.write(`${buffer}\n`);
}

/**
 * `JSON.stringify(value, null, 2)` with every line after the first indented by `indent` (pairs of spaces), as it
 * stands at that depth of a bigger document. The value is stringified inside as many one-item arrays as the indent
 * has levels and cut out of them, so the native stringify writes the indent itself instead of the text being
 * copied again to add it.
 */
function stringifyAt(value: unknown, indent: string): string {
  const levels = indent.length / 2;
  if (levels === 0) return JSON.stringify(value, null, 2);
  let wrapped = value;
  for (let level = 0; level < levels; level++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  // "[\n  " ... "[\n" + indent before the value; "\n" + ... + "]" after it.
  const before = 2 * levels + levels * (levels + 1);
  const after = 2 * levels + levels * (levels - 1);
  return text.slice(before, text.length - after);
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || "toJSON" in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Mirrors JSON.stringify's pretty form: nested lines carry the indent of where the value starts. */
function writeValue(value: unknown, indent: string, depth: number, emit: (text: string) => void): void {
  if (depth >= STREAM_DEPTH || !(Array.isArray(value) || isPlain(value))) {
    emit(stringifyAt(value, indent));
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      emit("[]");
      return;
    }
    emit("[");
    value.forEach((item, i) => {
      emit(i === 0 ? `\n${inner}` : `,\n${inner}`);
      // As JSON.stringify does: what has no JSON form is null in an array.
      if (item === undefined || typeof item === "function" || typeof item === "symbol") emit("null");
      else writeValue(item, inner, depth + 1, emit);
    });
    emit(`\n${indent}]`);
    return;
  }
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    // As JSON.stringify does: an object drops the keys whose values have no JSON form.
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    emit(first ? `{\n${inner}${JSON.stringify(key)}: ` : `,\n${inner}${JSON.stringify(key)}: `);
    first = false;
    writeValue(item, inner, depth + 1, emit);
  }
  emit(first ? "{}" : `\n${indent}}`);
}
