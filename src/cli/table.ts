import { stripVTControlCharacters } from "node:util";

/** Renders a left-aligned table with two spaces between columns; widths ignore colour codes. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) =>
    Math.max(...all.map((row) => stripVTControlCharacters(row[i] ?? "").length)),
  );
  return all
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1
            ? cell
            : cell + " ".repeat((widths[i] ?? 0) - stripVTControlCharacters(cell).length),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
