/**
 * Finds a flow collection (`[ … ]`, `{ … }`) that is never closed. The YAML parser reports one as a block that
 * is not indented enough ("Flow sequence in block collection must be sufficiently indented and end with a ]"),
 * and the indentation explanation would then blame the next key, which is where it belongs.
 */

export interface FlowOpener {
  offset: number;
  bracket: "[" | "{";
}

const CLOSING: Readonly<Record<string, string>> = { "[": "]", "{": "}" };

/** Past the quoted scalar that starts at `i` (its closing quote), or the end of the text. */
function skipQuoted(text: string, i: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length) {
    if (quote === '"' && text[j] === "\\") j += 2;
    else if (quote === "'" && text[j] === "'" && text[j + 1] === "'") j += 2;
    else if (text[j] === quote) return j + 1;
    else j += 1;
  }
  return j;
}

function toLineEnd(text: string, i: number): number {
  const end = text.indexOf("\n", i);
  return end < 0 ? text.length : end;
}

/** A scalar or collection may start here: at a line's first character, after `: ` or `- `, or in flow after `[{,:`. */
function tokenStart(text: string, i: number, inFlow: boolean): boolean {
  let j = i - 1;
  while (j >= 0 && text[j] === " ") j -= 1;
  const before = j < 0 ? "\n" : (text[j] as string);
  if (before === "\n") return true;
  if (inFlow) return "[{,:".includes(before);
  return (before === ":" || before === "-") && i - j >= 2;
}

/** The first `[` or `{` still open at the end of the text, skipping quoted scalars and comments. */
export function unclosedFlowOpener(text: string): FlowOpener | undefined {
  return flowOpenerAt(text, text.length);
}

/** The outermost `[` or `{` still open at `offset`. */
export function flowOpenerAt(text: string, offset: number): FlowOpener | undefined {
  const open: FlowOpener[] = [];
  let i = 0;
  while (i < Math.min(offset, text.length)) {
    const c = text[i] as string;
    const inFlow = open.length > 0;
    if (c === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) i = toLineEnd(text, i);
    else if ((c === '"' || c === "'") && tokenStart(text, i, inFlow)) i = skipQuoted(text, i);
    else if ((c === "[" || c === "{") && (inFlow || tokenStart(text, i, false))) {
      open.push({ offset: i, bracket: c });
      i += 1;
    } else if (inFlow && CLOSING[open[open.length - 1]?.bracket ?? ""] === c) {
      open.pop();
      i += 1;
    } else i += 1;
  }
  return open[0];
}
