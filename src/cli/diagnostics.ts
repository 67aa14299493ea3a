import type { ChalkInstance } from "chalk";
import type { Diagnostic } from "./errors.js";

/** `file:line:col: path: message (hint: ...)`, the format editors and CI annotations understand. */
export function formatDiagnostic(d: Diagnostic, c: ChalkInstance): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const path = d.path === "" ? "" : `${c.bold(d.path)}: `;
  const hint = d.hint ? ` ${c.dim(`(hint: ${d.hint})`)}` : "";
  return `${where}: ${c.red("error")}: ${path}${d.message}${hint}`;
}
