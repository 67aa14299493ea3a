import type { ChalkInstance } from "chalk";
import { escapeTerminal, escapeTerminalLine } from "../cli/terminal-text.js";

export type LogStream = "stdout" | "stderr";

/** Where a line came from. */
export interface LineOrigin {
  app: string;
  instance: number;
  taskId: string;
  host: string;
  stream: LogStream;
  /** Set when `logs` spans several regions: the line's prefix names it. */
  region?: string;
}

const PALETTE = [
  "cyan",
  "magenta",
  "yellow",
  "green",
  "blue",
  "redBright",
  "cyanBright",
  "magentaBright",
] as const;

/** `api[2] agent-1.local |` (`us-east api[2] …` across regions); when both streams are shown, ` out` or ` err` before the bar marks each line. */
export function linePrefix(origin: LineOrigin, showStream: boolean): string {
  const stream = showStream ? (origin.stream === "stderr" ? " err" : " out") : "";
  // The app and host names come from the cluster: data, never terminal control.
  const region = origin.region === undefined ? "" : `${origin.region} `;
  return `${region}${escapeTerminal(origin.app)}[${origin.instance}] ${escapeTerminal(origin.host)}${stream} |`;
}

/**
 * One output line: coloured prefix (one colour per instance) then the line, or one NDJSON record (the line exact).
 * `escape` shows the line's control characters (all but tab) as escapes: on a terminal, an app's output (which may
 * quote anyone's input) must not retitle it, clear it, write the clipboard or overwrite the prefix with a `\r`.
 */
export function formatLine(
  origin: LineOrigin,
  line: string,
  options: { json: boolean; showStream: boolean; color: ChalkInstance; escape?: boolean },
): string {
  if (options.json) {
    return JSON.stringify({
      ...(origin.region === undefined ? {} : { region: origin.region }),
      app: origin.app,
      instance: origin.instance,
      task_id: origin.taskId,
      host: origin.host,
      stream: origin.stream,
      line,
    });
  }
  const paint = options.color[PALETTE[origin.instance % PALETTE.length] ?? "cyan"];
  const text = options.escape === true ? escapeTerminalLine(line) : line;
  return `${paint(linePrefix(origin, options.showStream))} ${text}`;
}
