import { readdirSync, readFileSync } from "node:fs";
import { endianness } from "node:os";
import { join } from "node:path";

/**
 * Resource usage of a process tree read from /proc, the way Mesos' posix/cpu and posix/mem isolators measure a
 * container (src/slave/containerizer/mesos/isolators/posix.hpp `usage` → src/usage/usage.cpp `usage`): every process
 * whose parent chain leads to the container's root process (stout's `os::pstree`, built from each process' ppid),
 * user and system CPU time from `utime`/`stime` of /proc/<pid>/stat in clock ticks, resident memory as `rss` pages
 * times the page size (stout's linux `os::process`). Children a process has already reaped (`cutime`/`cstime`) are
 * not counted, as in Mesos.
 */

/** The fields of one /proc/<pid>/stat line that the usage needs (proc(5) numbering in comments). */
export interface ProcStat {
  /** (1) */
  pid: number;
  /** (2) the executable name, without its parentheses; it may itself contain spaces and parentheses. */
  comm: string;
  /** (3) R, S, D, Z, T, … */
  state: string;
  /** (4) */
  ppid: number;
  /** (14) user time in clock ticks. */
  utimeTicks: number;
  /** (15) system time in clock ticks. */
  stimeTicks: number;
  /** (20) */
  threads: number;
  /** (22) when the process started, in clock ticks since boot. */
  startTicks: number;
  /** (24) resident set size in pages. */
  rssPages: number;
}

/**
 * Parses one /proc/<pid>/stat line; undefined when it is not one. The name in field 2 can hold anything a process
 * names itself (spaces, ")"), so the fields after it are read from the last ")".
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const pid = integer(line.slice(0, open).trim());
  // rest[0] is field 3.
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const field = (n: number): number | undefined => integer(rest[n - 3]);
  const state = rest[0];
  const ppid = field(4);
  const utimeTicks = field(14);
  const stimeTicks = field(15);
  const threads = field(20);
  const startTicks = field(22);
  const rssPages = field(24);
  if (
    pid === undefined ||
    state === undefined ||
    !/^[A-Za-z]$/.test(state) ||
    ppid === undefined ||
    utimeTicks === undefined ||
    stimeTicks === undefined ||
    threads === undefined ||
    startTicks === undefined ||
    rssPages === undefined
  )
    return undefined;
  return {
    pid,
    comm: line.slice(open + 1, close),
    state,
    ppid,
    utimeTicks,
    stimeTicks,
    threads,
    startTicks,
    rssPages,
  };
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What turns /proc's units into seconds and bytes: sysconf(_SC_CLK_TCK) and the page size. */
export interface ProcUnits {
  clockTicks: number;
  pageSize: number;
}

/** Linux's USER_HZ and the usual page size, for a system whose auxiliary vector cannot be read. */
export const FALLBACK_UNITS: ProcUnits = { clockTicks: 100, pageSize: 4096 };

/** The auxiliary vector's tags for the page size and the clock tick rate (<linux/auxvec.h>). */
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

/**
 * Reads the clock tick rate and page size from an auxiliary vector (/proc/self/auxv: pairs of native words, tag then
 * value, ending with tag 0), which is where the C library's sysconf(_SC_CLK_TCK) and getpagesize() take them from.
 * A missing or zero entry keeps the fallback.
 */
export function parseAuxvUnits(auxv: Buffer, wordBytes: 4 | 8, littleEndian: boolean): ProcUnits {
  const units = { ...FALLBACK_UNITS };
  const read = (offset: number): number => {
    if (wordBytes === 8)
      return Number(littleEndian ? auxv.readBigUInt64LE(offset) : auxv.readBigUInt64BE(offset));
    return littleEndian ? auxv.readUInt32LE(offset) : auxv.readUInt32BE(offset);
  };
  for (let offset = 0; offset + 2 * wordBytes <= auxv.length; offset += 2 * wordBytes) {
    const tag = read(offset);
    if (tag === 0) break;
    const value = read(offset + wordBytes);
    if (tag === AT_CLKTCK && value > 0) units.clockTicks = value;
    if (tag === AT_PAGESZ && value > 0) units.pageSize = value;
  }
  return units;
}

const ARCHES_WITH_4_BYTE_WORDS = new Set(["arm", "ia32", "mips", "mipsel", "ppc"]);
let cachedUnits: ProcUnits | undefined;

/** This system's units, read once from /proc/self/auxv. */
export function procUnits(): ProcUnits {
  if (cachedUnits !== undefined) return cachedUnits;
  try {
    const wordBytes = ARCHES_WITH_4_BYTE_WORDS.has(process.arch) ? 4 : 8;
    cachedUnits = parseAuxvUnits(readFileSync("/proc/self/auxv"), wordBytes, endianness() === "LE");
  } catch {
    cachedUnits = FALLBACK_UNITS;
  }
  return cachedUnits;
}

/** Every process of the system at one moment, with each process' children (from the ppids). */
export interface ProcessTable {
  byPid: ReadonlyMap<number, ProcStat>;
  children: ReadonlyMap<number, readonly number[]>;
}

export function processTable(stats: readonly ProcStat[]): ProcessTable {
  const byPid = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  for (const stat of stats) {
    byPid.set(stat.pid, stat);
    const siblings = children.get(stat.ppid);
    if (siblings === undefined) children.set(stat.ppid, [stat.pid]);
    else siblings.push(stat.pid);
  }
  return { byPid, children };
}

/**
 * Reads /proc/<pid>/stat of every process (as stout's `os::processes` lists them, one /proc entry per process, not
 * per thread). A process that exits between the listing and the read is left out, never an error.
 */
export function readProcessTable(procRoot = "/proc"): ProcessTable {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return processTable([]);
  }
  const stats: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let line: string;
    try {
      line = readFileSync(join(procRoot, name, "stat"), "utf8");
    } catch {
      continue;
    }
    const stat = parseProcStat(line);
    if (stat !== undefined) stats.push(stat);
  }
  return processTable(stats);
}

/** The summed usage of one process tree. */
export interface TreeUsage {
  processes: number;
  threads: number;
  userSeconds: number;
  systemSeconds: number;
  rssBytes: number;
}

/**
 * The usage of `root` and all its descendants, summed breadth-first as src/usage/usage.cpp `usage` walks the tree;
 * undefined when `root` is not in the table (it has ended: Mesos' `os::pstree` then fails and the isolator reports
 * nothing).
 */
export function processTreeUsage(table: ProcessTable, root: number, units: ProcUnits): TreeUsage | undefined {
  if (!table.byPid.has(root)) return undefined;
  const usage: TreeUsage = { processes: 0, threads: 0, userSeconds: 0, systemSeconds: 0, rssBytes: 0 };
  const seen = new Set<number>();
  const queue = [root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const stat = table.byPid.get(next);
    // A snapshot taken while pids are reused could loop; each process counts once.
    if (stat === undefined || seen.has(next)) continue;
    seen.add(next);
    usage.processes += 1;
    usage.threads += stat.threads;
    usage.userSeconds += stat.utimeTicks / units.clockTicks;
    usage.systemSeconds += stat.stimeTicks / units.clockTicks;
    usage.rssBytes += stat.rssPages * units.pageSize;
    for (const child of table.children.get(next) ?? []) if (child !== next) queue.push(child);
  }
  return usage;
}
