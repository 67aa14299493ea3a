import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimedPorts, claimPorts, claimPortsFirst, claimsDir } from "../../src/local/port-claims.js";

// The claims live in a directory every user of the machine may write to: another user can plant names in it.
describe("the shared directory of local clusters' port claims", () => {
  let base: string;
  let savedTmp: string | undefined;

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "titan-claims-"));
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = base;
  });

  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(base, { recursive: true, force: true });
  });

  it("never writes through a link planted under a cluster's pid", () => {
    const victim = join(base, "victim");
    writeFileSync(victim, "precious\n");
    mkdirSync(claimsDir(), { recursive: true });
    const pid = 9_999_990;
    symlinkSync(victim, join(claimsDir(), String(pid)));
    const release = claimPorts([{ begin: 31000, end: 31999 }], pid);
    release();
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
  });

  it("claims nothing in a claims directory that is a link to somewhere else", () => {
    const elsewhere = join(base, "elsewhere");
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, claimsDir());
    const release = claimPorts([{ begin: 31000, end: 31999 }], process.ppid);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(statSync(elsewhere).mode & 0o7777).toBe(0o700);
    release();
  });

  it("reads past a directory planted under a dead pid instead of failing", () => {
    mkdirSync(join(claimsDir(), "999999001"), { recursive: true });
    expect(() => claimedPorts()).not.toThrow();
  });

  it("reads past a FIFO planted under a live pid instead of waiting on it", () => {
    mkdirSync(claimsDir(), { recursive: true });
    execFileSync("mkfifo", [join(claimsDir(), String(process.ppid))]);
    expect(claimedPorts()).toEqual([]);
  });

  it("claims first or not at all: a range another live process claims is given up, its own claim removed", () => {
    const range = [{ begin: 31000, end: 31999 }];
    expect(claimPortsFirst(range, process.ppid)).toBe(true);
    try {
      expect(claimPortsFirst([{ begin: 31500, end: 31600 }], process.pid)).toBe(false);
      expect(readdirSync(claimsDir()).sort()).toEqual([String(process.ppid)]);
      expect(claimPortsFirst([{ begin: 32000, end: 32100 }], process.pid)).toBe(true);
    } finally {
      claimPorts([], process.ppid)();
      claimPorts([], process.pid)();
    }
  });

  it("adds to what a process holds claim first, and given up, the claim goes back to what it held", () => {
    const held = [{ begin: 21000, end: 21009 }];
    expect(claimPortsFirst([{ begin: 31000, end: 31999 }], process.ppid)).toBe(true);
    try {
      expect(claimPortsFirst([{ begin: 31500, end: 31509 }], process.pid, held)).toBe(false);
      const own = join(claimsDir(), String(process.pid));
      expect(JSON.parse(readFileSync(own, "utf8"))).toEqual(held);
      expect(claimPortsFirst([{ begin: 22000, end: 22009 }], process.pid, held)).toBe(true);
      expect(JSON.parse(readFileSync(own, "utf8"))).toEqual([...held, { begin: 22000, end: 22009 }]);
    } finally {
      claimPorts([], process.ppid)();
      claimPorts([], process.pid)();
    }
  });

  it("counts a claim still being written for nothing", () => {
    mkdirSync(claimsDir(), { recursive: true });
    writeFileSync(join(claimsDir(), `${process.ppid}.pending`), '[{"begin":31000,"end":31999}]\n');
    expect(claimedPorts()).toEqual([]);
  });

  it("sees the claim of another live process", () => {
    const release = claimPorts([{ begin: 31000, end: 31999 }], process.ppid);
    try {
      expect(claimedPorts()).toEqual([{ begin: 31000, end: 31999 }]);
    } finally {
      release();
    }
  });
});
