import { stripVTControlCharacters } from "node:util";

/** The width a cell takes on screen: colour codes take none. */
function visibleLength(cell: string): number {
  // stripVTControlCharacters runs a large regular expression; most cells hold no escape sequence at all.
  return cell.includes("\u001b") || cell.includes("\u009b")
    ? stripVTControlCharacters(cell).length
    : cell.length;
}

/**
 * The lines of a left-aligned table with two spaces between columns, each after `indent`; widths ignore colour
 * codes. Written for tables of tens of thousands of rows (`ps`): each cell is measured once, into one typed array,
 * and padding strings are shared.
 */
export function renderTableLines(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = "",
): string[] {
  const columns = headers.length;
  const lengths = new Uint32Array((rows.length + 1) * columns);
  const widths = new Array<number>(columns).fill(0);
  const measure = (row: readonly string[], r: number) => {
    for (let i = 0; i < columns; i++) {
      const length = visibleLength(row[i] ?? "");
      lengths[r * columns + i] = length;
      if (length > (widths[i] as number)) widths[i] = length;
    }
  };
  measure(headers, 0);
  for (let r = 0; r < rows.length; r++) measure(rows[r] as readonly string[], r + 1);
  const padding = new Map<number, string>();
  const pad = (n: number): string => {
    let spaces = padding.get(n);
    if (spaces === undefined) {
      spaces = " ".repeat(n);
      padding.set(n, spaces);
    }
    return spaces;
  };
  const line = (row: readonly string[], r: number): string => {
    let text = indent;
    const last = row.length - 1;
    for (let i = 0; i <= last; i++) {
      const cell = row[i] ?? "";
      if (i > 0) text += "  ";
      text += i === last ? cell : cell + pad((widths[i] ?? 0) - (lengths[r * columns + i] ?? 0));
    }
    return text.charCodeAt(text.length - 1) === 0x20 ? text.trimEnd() : text;
  };
  const lines = new Array<string>(rows.length + 1);
  lines[0] = line(headers, 0);
  for (let r = 0; r < rows.length; r++) lines[r + 1] = line(rows[r] as readonly string[], r + 1);
  return lines;
}

/** Renders a left-aligned table with two spaces between columns; widths ignore colour codes. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderTableLines(headers, rows).join("\n");
}
