import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  FALLBACK_UNITS,
  type ProcStat,
  parseAuxvUnits,
  parseProcStat,
  processTable,
  processTreeUsage,
  procUnits,
  readProcessTable,
} from "../../../src/local/agent/proc-usage.js";

/** A /proc/<pid>/stat line with the given fields 1-4, 14, 15, 20 and 24; the others are plausible constants (22, the start, 3964120). */
function statLine(f: {
  pid: number;
  comm: string;
  state?: string;
  ppid: number;
  utime?: number;
  stime?: number;
  threads?: number;
  rss?: number;
}): string {
  const fields = [
    f.state ?? "S",
    f.ppid,
    f.pid, // pgrp
    f.pid, // session
    0, // tty_nr
    -1, // tpgid
    4194560, // flags
    120, // minflt
    7, // cminflt
    0, // majflt
    0, // cmajflt
    f.utime ?? 0,
    f.stime ?? 0,
    55, // cutime: a reaped child's, never counted
    66, // cstime
    20, // priority
    0, // nice
    f.threads ?? 1,
    0, // itrealvalue
    3964120, // starttime
    3133440, // vsize
    f.rss ?? 0,
    "18446744073709551615", // rsslim
  ];
  return `${f.pid} (${f.comm}) ${fields.join(" ")}\n`;
}

describe("parseProcStat", () => {
  it("reads a real line of /proc/<pid>/stat", () => {
    const line =
      "8380 (cat) R 8372 8372 6450 0 -1 4194304 100 0 0 0 3 1 0 0 20 0 1 0 3964120 3133440 407 18446744073709551615 94541700120576 94541700140457 140725960299952 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    expect(parseProcStat(line)).toEqual({
      pid: 8380,
      comm: "cat",
      state: "R",
      ppid: 8372,
      utimeTicks: 3,
      stimeTicks: 1,
      threads: 1,
      startTicks: 3964120,
      rssPages: 407,
    });
  });

  it("reads the fields after the last ')' when the name has spaces and parentheses", () => {
    const line = statLine({
      pid: 42,
      comm: "my (odd) ) name",
      ppid: 7,
      utime: 250,
      stime: 30,
      threads: 9,
      rss: 1000,
    });
    expect(parseProcStat(line)).toEqual({
      pid: 42,
      comm: "my (odd) ) name",
      state: "S",
      ppid: 7,
      utimeTicks: 250,
      stimeTicks: 30,
      threads: 9,
      startTicks: 3964120,
      rssPages: 1000,
    });
    expect(parseProcStat(statLine({ pid: 5, comm: ") S 1 2 3", ppid: 1 }))?.ppid).toBe(1);
    expect(parseProcStat(statLine({ pid: 5, comm: "", ppid: 1, state: "Z" }))?.state).toBe("Z");
  });

  it("refuses what is not a stat line", () => {
    expect(parseProcStat("")).toBeUndefined();
    expect(parseProcStat("12 cat R 1 2 3")).toBeUndefined();
    expect(parseProcStat("12 (cat) R 1 2 3")).toBeUndefined();
    expect(
      parseProcStat("x (cat) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"),
    ).toBeUndefined();
    expect(parseProcStat(statLine({ pid: 3, comm: "a", ppid: 1 }).replace(" S ", " ?? "))).toBeUndefined();
  });
});

describe("processTreeUsage", () => {
  const units = { clockTicks: 100, pageSize: 4096 };
  const stat = (pid: number, ppid: number, extra: Partial<ProcStat> = {}): ProcStat => ({
    pid,
    comm: `p${pid}`,
    state: "S",
    ppid,
    utimeTicks: 0,
    stimeTicks: 0,
    threads: 1,
    startTicks: 0,
    rssPages: 0,
    ...extra,
  });

  it("sums the root and every descendant, and nothing else", () => {
    const table = processTable([
      stat(1, 0, { utimeTicks: 1_000_000, rssPages: 99_999 }),
      stat(10, 1, { utimeTicks: 150, stimeTicks: 20, threads: 3, rssPages: 100 }),
      stat(11, 10, { utimeTicks: 50, stimeTicks: 5, rssPages: 50 }),
      stat(12, 11, { utimeTicks: 1, stimeTicks: 1, threads: 2, rssPages: 10, state: "Z" }),
      stat(13, 10, { rssPages: 1 }),
      stat(20, 1, { utimeTicks: 7777, rssPages: 7777 }),
    ]);
    const usage = processTreeUsage(table, 10, units);
    expect(usage).toEqual({
      processes: 4,
      threads: 7,
      userSeconds: expect.closeTo(2.01, 9),
      systemSeconds: expect.closeTo(0.26, 9),
      rssBytes: 161 * 4096,
    });
    expect(processTreeUsage(table, 13, units)).toEqual({
      processes: 1,
      threads: 1,
      userSeconds: 0,
      systemSeconds: 0,
      rssBytes: 4096,
    });
  });

  it("has nothing for a root that is gone, and counts each process once", () => {
    expect(processTreeUsage(processTable([stat(10, 1)]), 11, units)).toBeUndefined();
    // A snapshot taken across pid reuse can name a descendant as the root's parent.
    const looped = processTable([stat(10, 11, { utimeTicks: 100 }), stat(11, 10, { utimeTicks: 100 })]);
    expect(processTreeUsage(looped, 10, units)?.processes).toBe(2);
    expect(processTreeUsage(looped, 10, units)?.userSeconds).toBe(2);
  });

  it("converts with the given units", () => {
    const table = processTable([stat(10, 1, { utimeTicks: 250, stimeTicks: 500, rssPages: 3 })]);
    expect(processTreeUsage(table, 10, { clockTicks: 250, pageSize: 65536 })).toMatchObject({
      userSeconds: 1,
      systemSeconds: 2,
      rssBytes: 3 * 65536,
    });
  });
});

describe("readProcessTable", () => {
  it("skips entries that are not processes and processes that vanished before their stat was read", () => {
    const root = mkdtempSync(join(tmpdir(), "titan-proc-"));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    for (const pid of [1, 10, 11, 12]) mkdirSync(join(root, String(pid)));
    writeFileSync(join(root, "1", "stat"), statLine({ pid: 1, comm: "init", ppid: 0 }));
    writeFileSync(join(root, "10", "stat"), statLine({ pid: 10, comm: "sh", ppid: 1, utime: 5 }));
    // 11 exited between readdir and read: its directory is there, its stat is not.
    writeFileSync(join(root, "12", "stat"), statLine({ pid: 12, comm: "loop", ppid: 10, utime: 95 }));
    mkdirSync(join(root, "self"));
    writeFileSync(join(root, "uptime"), "1 2\n");
    const table = readProcessTable(root);
    expect([...table.byPid.keys()].sort((a, b) => a - b)).toEqual([1, 10, 12]);
    expect(processTreeUsage(table, 10, FALLBACK_UNITS)?.userSeconds).toBe(1);
    expect(readProcessTable(join(root, "missing")).byPid.size).toBe(0);
  });

  it("finds this process and its parent in the real /proc", () => {
    const table = readProcessTable();
    expect(table.byPid.get(process.pid)?.ppid).toBe(process.ppid);
    expect(table.children.get(process.ppid)).toContain(process.pid);
    const mine = processTreeUsage(table, process.pid, procUnits());
    expect(mine?.processes).toBeGreaterThanOrEqual(1);
    expect(mine?.threads).toBeGreaterThanOrEqual(1);
    expect(mine?.rssBytes).toBeGreaterThan(0);
  });
});

describe("procUnits", () => {
  it("reads the clock tick rate and page size from an auxiliary vector", () => {
    const words = (pairs: Array<[number, number]>, size: 4 | 8, le: boolean) => {
      const buffer = Buffer.alloc(pairs.length * 2 * size);
      pairs.flat().forEach((word, i) => {
        if (size === 8) {
          if (le) buffer.writeBigUInt64LE(BigInt(word), i * 8);
          else buffer.writeBigUInt64BE(BigInt(word), i * 8);
        } else if (le) buffer.writeUInt32LE(word, i * 4);
        else buffer.writeUInt32BE(word, i * 4);
      });
      return buffer;
    };
    const vector: Array<[number, number]> = [
      [33, 1234],
      [6, 16384],
      [17, 250],
      [0, 0],
      [17, 1],
    ];
    expect(parseAuxvUnits(words(vector, 8, true), 8, true)).toEqual({ clockTicks: 250, pageSize: 16384 });
    expect(parseAuxvUnits(words(vector, 4, false), 4, false)).toEqual({ clockTicks: 250, pageSize: 16384 });
    expect(parseAuxvUnits(words([[6, 0]], 8, true), 8, true)).toEqual(FALLBACK_UNITS);
    expect(parseAuxvUnits(Buffer.alloc(3), 8, true)).toEqual(FALLBACK_UNITS);
  });

  it("agrees with getconf CLK_TCK and PAGESIZE", () => {
    const getconf = (name: string) => Number(execFileSync("getconf", [name], { encoding: "utf8" }).trim());
    expect(procUnits()).toEqual({ clockTicks: getconf("CLK_TCK"), pageSize: getconf("PAGESIZE") });
  });
});
