import type { ChalkInstance } from "chalk";
import type { Diagnostic } from "./errors.js";
import { escapeTerminal } from "./terminal-text.js";

/** `file:line:col: path: message (hint: ...)`, the format editors and CI annotations understand. */
export function formatDiagnostic(
  d: Diagnostic,
  c: ChalkInstance,
  severity: "error" | "warning" = "error",
): string {
  const where = `${escapeTerminal(d.file)}:${d.line}:${d.col}`;
  const path = d.path === "" ? "" : `${c.bold(escapeTerminal(d.path))}: `;
  const hint = d.hint ? ` ${c.dim(`(hint: ${escapeTerminal(d.hint)})`)}` : "";
  const label = severity === "error" ? c.red("error") : c.yellow("warning");
  return `${where}: ${label}: ${path}${escapeTerminal(d.message)}${hint}`;
}

/** The manifest's warnings, as `titan validate` prints them: `plan` and `deploy` print the same lines. */
export function warningLines(warnings: readonly Diagnostic[], c: ChalkInstance): string[] {
  return warnings.map((w) => formatDiagnostic(w, c, "warning"));
}
