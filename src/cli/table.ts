import { stripVTControlCharacters } from "node:util";

/** The width a cell takes on screen: colour codes take none. */
function visibleLength(cell: string): number {
  // stripVTControlCharacters runs a large regular expression; most cells hold no escape sequence at all.
  return cell.includes("\u001b") || cell.includes("\u009b")
    ? stripVTControlCharacters(cell).length
    : cell.length;
}

/** The lines of a left-aligned table with two spaces between columns; widths ignore colour codes. */
export function renderTableLines(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [headers, ...rows];
  const lengths = all.map((row) => row.map(visibleLength));
  const widths = headers.map(() => 0);
  for (const row of lengths)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i] ?? 0, row[i] ?? 0);
  return all.map((row, r) => {
    const rowLengths = lengths[r] ?? [];
    let line = "";
    for (let i = 0; i < row.length; i++) {
      const cell = row[i] ?? "";
      if (i > 0) line += "  ";
      line += i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - (rowLengths[i] ?? 0));
    }
    return line.trimEnd();
  });
}

/** Renders a left-aligned table with two spaces between columns; widths ignore colour codes. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderTableLines(headers, rows).join("\n");
}
