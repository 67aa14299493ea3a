import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { DetachedRun } from "../../observe/deploy-wait.js";
import { anyText, type Check, int, list, num, obj, opt, str } from "../../state/shape.js";

/**
 * Names the record of a detached deploy, `deploys/APP-TIME.run.json` beside its log: written by the process that
 * starts it (which process, against which state store), ended by the deploy itself with its exit code. Until the
 * deploy has recorded its release (it may first wait long for a failed-over master's agents), this record is all
 * that says a deploy of the app is on its way: `titan status APP --wait` on this machine reads it.
 */
export const DETACHED_RUN_VAR = "TITAN_DETACHED_RUN";

const SUFFIX = ".run.json";

/** The record as written (snake_case, as every JSON of titan's). */
interface RunFile {
  app: string;
  pid: number;
  host: string;
  started_at: number;
  log: string;
  output: string;
  /** The state store's places (`storePlaces`): which store the deploy records its release in. */
  stores: string[];
  region?: string;
  exit_code?: number;
  ended_at?: number;
}

const runCheck: Check = obj({
  app: str(),
  pid: int(1),
  host: anyText,
  started_at: num,
  log: anyText,
  output: anyText,
  stores: list(anyText),
  region: opt(str()),
  exit_code: opt(int(0)),
  ended_at: opt(num),
});

/** The record's path for a detached deploy whose log is `logFile` (`deploys/APP-TIME.log`). */
export function runFileFor(logFile: string): string {
  return logFile.replace(/\.log$/, SUFFIX);
}

/** Written whole, then renamed: a reader never sees half a record. */
function writeRecord(file: string, record: RunFile): void {
  const partial = `${file}.partial`;
  writeFileSync(partial, JSON.stringify(record), { mode: 0o600 });
  renameSync(partial, file);
}

function readRecord(file: string): RunFile | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    return runCheck(value, "") === undefined ? (value as RunFile) : undefined;
  } catch {
    return undefined;
  }
}

/** In the process that starts the deploy, once it has its pid. */
export function recordDetachedRun(
  file: string,
  run: {
    app: string;
    pid: number;
    startedAt: number;
    log: string;
    output: string;
    stores: readonly string[];
    region: string | undefined;
  },
): void {
  writeRecord(file, {
    app: run.app,
    pid: run.pid,
    host: hostname(),
    started_at: run.startedAt,
    log: run.log,
    output: run.output,
    stores: [...run.stores],
    ...(run.region === undefined ? {} : { region: run.region }),
  });
}

/** In the detached deploy, as it ends: its exit code, so that a wait for it exits as it did. */
export function endDetachedRun(
  vars: Readonly<Record<string, string | undefined>>,
  code: number,
  now: number,
) {
  const file = vars[DETACHED_RUN_VAR];
  if (file === undefined || file === "") return;
  const record = readRecord(file);
  if (record === undefined) return;
  try {
    writeRecord(file, { ...record, exit_code: code, ended_at: now });
  } catch {
    // The state directory went away: a wait then judges the deploy by its pid.
  }
}

/**
 * The newest detached deploy of the app started on this machine against one of the store's places (`storePlaces`)
 * and region, with what it last said on stderr; undefined when there is none.
 */
export function newestDetachedRun(
  stateDir: string,
  app: string,
  where: { stores: readonly string[]; region: string | undefined },
): DetachedRun | undefined {
  const dir = join(stateDir, "deploys");
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.startsWith(`${app}-`) && name.endsWith(SUFFIX));
  } catch {
    return undefined;
  }
  const here = hostname();
  let newest: RunFile | undefined;
  for (const name of names) {
    const record = readRecord(join(dir, name));
    if (record === undefined || record.app !== app || record.host !== here) continue;
    if (record.region !== where.region) continue;
    if (!record.stores.some((place) => where.stores.includes(place))) continue;
    if (newest === undefined || record.started_at > newest.started_at) newest = record;
  }
  if (newest === undefined) return undefined;
  const said = lastSaid(newest.log);
  return {
    pid: newest.pid,
    startedAt: newest.started_at,
    log: newest.log,
    ...(said === undefined ? {} : { said }),
    ...(newest.exit_code === undefined ? {} : { exitCode: newest.exit_code }),
  };
}

const TAIL_BYTES = 4096;

/** The last line the deploy wrote to its log that is not a hint (a wait says what it waits for, then a hint). */
function lastSaid(log: string): string | undefined {
  let tail: string;
  let cut: boolean;
  try {
    const fd = openSync(log, "r");
    try {
      const start = Math.max(0, fstatSync(fd).size - TAIL_BYTES);
      const buffer = Buffer.alloc(TAIL_BYTES);
      tail = buffer.subarray(0, readSync(fd, buffer, 0, TAIL_BYTES, start)).toString("utf8");
      cut = start > 0;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const lines = tail.split("\n");
  // A tail cut mid-file starts with a piece of a line.
  if (cut) lines.shift();
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("hint:"))
    .at(-1);
}
