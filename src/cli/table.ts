import { stripVTControlCharacters } from "node:util";
import { TextBytes } from "./text-bytes.js";

/** The width a cell takes on screen: colour codes take none. */
function visibleLength(cell: string): number {
  // stripVTControlCharacters runs a large regular expression; most cells hold no escape sequence at all.
  return cell.includes("\u001b") || cell.includes("\u009b")
    ? stripVTControlCharacters(cell).length
    : cell.length;
}

/** Tab, newline, vertical tab, form feed, carriage return, space: the ASCII whitespace `trimEnd` removes. */
function isAsciiSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

/**
 * A left-aligned table with two spaces between columns, each line after `indent`, trailing whitespace trimmed;
 * widths ignore colour codes. Written for tables of tens of thousands of rows (`ps` on a whole cluster): each cell
 * is measured once, into one typed array, and the lines are written as bytes into one buffer.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = "",
): string {
  const columns = headers.length;
  const count = rows.length + 1;
  const rowAt = (r: number): readonly string[] => (r === 0 ? headers : (rows[r - 1] as readonly string[]));
  const lengths = new Uint32Array(count * columns);
  const widths = new Uint32Array(columns);
  let units = 0;
  for (let r = 0; r < count; r++) {
    const row = rowAt(r);
    for (let i = 0; i < row.length; i++) {
      const cell = row[i] ?? "";
      units += cell.length;
      if (i >= columns) continue;
      const length = visibleLength(cell);
      lengths[r * columns + i] = length;
      if (length > (widths[i] as number)) widths[i] = length;
    }
  }
  let lineWidth = indent.length + 1;
  for (const width of widths) lineWidth += width + 2;
  const out = new TextBytes(units + count * lineWidth);
  for (let r = 0; r < count; r++) {
    const row = rowAt(r);
    const start = out.length;
    out.text(indent);
    const last = row.length - 1;
    for (let i = 0; i <= last; i++) {
      if (i > 0) out.spaces(2);
      out.text(row[i] ?? "");
      if (i < last && i < columns) out.spaces((widths[i] as number) - (lengths[r * columns + i] as number));
    }
    trimEnd(out, start);
    if (r < count - 1) out.byte(0x0a);
  }
  return out.toString();
}

/** Trims the whitespace that ends the line written from `start`, as `String.prototype.trimEnd` would. */
function trimEnd(out: TextBytes, start: number): void {
  while (out.length > start && isAsciiSpace(out.at(out.length - 1))) out.length -= 1;
  // A character outside ASCII may be whitespace too (no-break space and the like): rare, so done on the text.
  if (out.length > start && out.at(out.length - 1) >= 0x80) out.text(out.takeFrom(start).trimEnd());
}
