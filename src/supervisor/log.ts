export type LogLevel = "debug" | "info" | "warn" | "error";

/** The supervisor's log: one line per event on stdout, as text or as JSON lines. */
export interface SupervisorLog {
  debug(app: string | undefined, message: string, fields?: Record<string, unknown>): void;
  info(app: string | undefined, message: string, fields?: Record<string, unknown>): void;
  warn(app: string | undefined, message: string, fields?: Record<string, unknown>): void;
  error(app: string | undefined, message: string, fields?: Record<string, unknown>): void;
}

export interface LogOptions {
  json: boolean;
  /** Also debug lines (`--debug`). */
  debug: boolean;
  now: () => number;
  write: (line: string) => void;
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) || value === "" ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? "null";
}

/**
 * Text: `2026-12-02T08:00:00.000Z info  web launch task=web.3.2.4 instance=2` (logfmt-style fields, values
 * quoted when they hold spaces). JSON: `{"time":"…","level":"info","app":"web","msg":"launch","task":…}`.
 * Journald and container runtimes add their own timestamps; the line keeps its own for files and pipes.
 */
export function supervisorLog(options: LogOptions): SupervisorLog {
  const line =
    (level: LogLevel) =>
    (app: string | undefined, message: string, fields: Record<string, unknown> = {}): void => {
      if (level === "debug" && !options.debug) return;
      const time = new Date(options.now()).toISOString();
      if (options.json) {
        const record = { time, level, ...(app === undefined ? {} : { app }), msg: message, ...fields };
        options.write(JSON.stringify(record));
        return;
      }
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => ` ${k}=${textValue(v)}`)
        .join("");
      options.write(`${time} ${level.padEnd(5)} ${app === undefined ? "" : `${app} `}${message}${extra}`);
    };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}
