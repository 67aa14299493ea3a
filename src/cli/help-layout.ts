import { Help } from "commander";

/** The width `--help` is laid out for when neither COLUMNS nor a terminal says. */
const DEFAULT_HELP_WIDTH = 80;

/** The width `--help` fits: COLUMNS when set (as `ls` and `man` read it), else the terminal's, else 80. */
export function helpWidthOf(
  vars: Readonly<Record<string, string | undefined>>,
  out: { isTTY?: boolean; columns?: number },
): number {
  const columns = Number(vars.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  if (out.isTTY === true && typeof out.columns === "number" && out.columns > 0) return out.columns;
  return DEFAULT_HELP_WIDTH;
}

const STACKED_INDENT = 6;

/**
 * commander's layout of an option or command: the term, then its description wrapped beside it. When a long term
 * (`--executor-registration-timeout <duration>`) leaves too little room beside it, commander does not wrap at all;
 * then each description goes on the lines under its term, wrapped to the width.
 */
export function formatHelpItem(
  this: Help,
  term: string,
  termWidth: number,
  description: string,
  helper: Help,
): string {
  const width = this.helpWidth ?? DEFAULT_HELP_WIDTH;
  const beside = width - termWidth - 4;
  if (description === "" || beside >= this.minWidthToWrap || helper.preformatted(description))
    return Help.prototype.formatItem.call(this, term, termWidth, description, helper);
  const indent = " ".repeat(STACKED_INDENT);
  const wrapped = helper.boxWrap(description, Math.max(width - STACKED_INDENT, this.minWidthToWrap));
  return `  ${term}\n${wrapped.replace(/^/gm, indent)}`;
}

/** Words filled greedily into lines of at most `width` (a longer word keeps a line of its own). */
function fill(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** An indented item: an example or exit code, two spaces or more, then what it does. */
const ITEM = /^( +\S(?:.*?\S)?)( {2,})(\S.*)$/;

/** One indented line fitted: its description wrapped beside it, or under it when too little room is left. */
function fitItem(line: string, width: number): string[] {
  const item = ITEM.exec(line);
  if (line.length <= width || item === null) return [line];
  const [, term = "", gap = "", description = ""] = item;
  const beside = width - term.length - gap.length;
  if (beside >= 24) {
    const pad = " ".repeat(term.length + gap.length);
    return fill(description, beside).map((l, i) => (i === 0 ? `${term}${gap}${l}` : `${pad}${l}`));
  }
  const indent = " ".repeat((/^ */.exec(term)?.[0].length ?? 0) + 4);
  return [term, ...fill(description, width - indent.length).map((l) => `${indent}${l}`)];
}

/**
 * Help text fitted to `width`: a paragraph (unindented lines in a row) with a line too long is filled again, an
 * indented item too long is wrapped as fitItem does. A line with no room to break (one long example command, a
 * URL) is left whole.
 */
export function fitHelpText(text: string, width: number): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] ?? "";
    if (line === "" || line.startsWith(" ")) {
      out.push(...fitItem(line, width));
      i++;
      continue;
    }
    let end = i;
    while (end < lines.length && lines[end] !== "" && !lines[end]?.startsWith(" ")) end++;
    const paragraph = lines.slice(i, end);
    out.push(...(paragraph.some((l) => l.length > width) ? fill(paragraph.join(" "), width) : paragraph));
    i = end;
  }
  return out.join("\n");
}
