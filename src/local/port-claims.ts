import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RangeJson } from "./agent/api.js";
import { isAlive } from "./control.js";

/**
 * The agents' host port ranges of the local clusters running on this machine, whatever their state directories:
 * each cluster process claims its ranges in a file named by its pid in one directory of the system's temporary
 * directory, so a cluster started with `--port 0` beside another never hands out the other's ports (nothing
 * listens in a range until a task does, so a free range is not an unclaimed one). A claim of a process that is
 * gone counts for nothing and is removed.
 */
const MAX_CLAIM_BYTES = 64 * 1024;
/** The name a claim is written under before it replaces the process's claim. */
const PENDING = ".pending";

export function claimsDir(): string {
  return join(tmpdir(), "titan-local-ports");
}

/** Claims `ranges` for this process; the returned function gives them up. */
export function claimPorts(ranges: readonly RangeJson[], pid = process.pid): () => void {
  const file = writeClaim(ranges, pid);
  return file === undefined ? () => {} : () => removeEntry(file);
}

/**
 * Claims `ranges` for this process, beside the ranges it `holds` already, unless another live process claims any of
 * them: true when they are this process's now. The claim is written before the others are read, so of two processes
 * claiming overlapping ranges at the same instant the one that reads last sees the other's claim: at most one keeps
 * them (both may give up, and pick again). Given up, the claim goes back to what it held. A claim that cannot be
 * written at all is no reason to refuse: claims are best effort.
 */
export function claimPortsFirst(
  ranges: readonly RangeJson[],
  pid = process.pid,
  holds: readonly RangeJson[] = [],
): boolean {
  const file = writeClaim([...holds, ...ranges], pid);
  if (file === undefined) return true;
  if (!overlaps(ranges, claimedPorts(pid))) return true;
  if (holds.length === 0) removeEntry(file);
  else writeClaim(holds, pid);
  return false;
}

/** Gives up this process's claim, once the cluster's own process holds the same ranges. */
export function releasePorts(pid = process.pid): void {
  removeEntry(join(claimsDir(), String(pid)));
}

/** Writes the claim file of `pid`, replacing its earlier claim at once; its path, or undefined when it cannot. */
function writeClaim(ranges: readonly RangeJson[], pid: number): string | undefined {
  const dir = claimsDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return undefined;
  }
  if (!trustedDir(dir)) return undefined;
  const file = join(dir, String(pid));
  const next = `${file}${PENDING}`;
  try {
    removeEntry(next);
    // O_EXCL with O_CREAT never follows a link another user may have planted under this name.
    const fd = openSync(
      next,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeSync(fd, `${JSON.stringify(ranges)}\n`);
    } finally {
      closeSync(fd);
    }
    // The claim is replaced, never missing for a moment: a rename takes the name's place in one step, and in a
    // sticky directory it cannot take the place of another user's entry.
    renameSync(next, file);
  } catch {
    // Best effort: without a claim the cluster still runs, and the ranges were free when they were picked.
    removeEntry(next);
    return undefined;
  }
  return file;
}

/**
 * Whether claims may be written in `dir`: a real directory (not a link elsewhere) that is this user's, or one
 * shared with the sticky bit (as /tmp is), where no other user can remove or replace this process's claim.
 */
function trustedDir(dir: string): boolean {
  try {
    const stat = lstatSync(dir);
    if (!stat.isDirectory()) return false;
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid === uid && (stat.mode & 0o1777) !== 0o1777) chmodSync(dir, 0o1777);
    return (lstatSync(dir).mode & 0o1000) !== 0;
  } catch {
    return false;
  }
}

function removeEntry(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already, or not ours to remove (another user's, or a directory planted under the name).
  }
}

/** The ranges claimed by other live processes than `self`. */
export function claimedPorts(self = process.pid): RangeJson[] {
  const dir = claimsDir();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const ranges: RangeJson[] = [];
  for (const name of names) {
    const match = /^(\d+)(\.pending)?$/.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    const file = join(dir, name);
    if (!isAlive(pid)) {
      removeEntry(file);
      continue;
    }
    // A claim being written is not one yet: its process reads the others only once it has renamed it.
    if (pid === self || match[2] !== undefined) continue;
    ranges.push(...readClaim(file));
  }
  return ranges;
}

/** A claim's ranges; anything but a small plain file (a link, a FIFO another user planted) counts for nothing. */
function readClaim(file: string): RangeJson[] {
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    let text: string;
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size > MAX_CLAIM_BYTES) return [];
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (r): r is RangeJson =>
        typeof r === "object" &&
        r !== null &&
        Number.isInteger((r as RangeJson).begin) &&
        Number.isInteger((r as RangeJson).end),
    );
  } catch {
    return [];
  }
}

export function overlaps(a: readonly RangeJson[], b: readonly RangeJson[]): boolean {
  return a.some((x) => b.some((y) => x.begin <= y.end && y.begin <= x.end));
}
