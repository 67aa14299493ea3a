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

export function claimsDir(): string {
  return join(tmpdir(), "titan-local-ports");
}

/** Claims `ranges` for this process; the returned function gives them up. */
export function claimPorts(ranges: readonly RangeJson[], pid = process.pid): () => void {
  const dir = claimsDir();
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    return () => {};
  }
  if (!trustedDir(dir)) return () => {};
  const file = join(dir, String(pid));
  const write = (): void => {
    // O_EXCL with O_CREAT never follows a link another user may have planted under this name.
    const fd = openSync(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o644,
    );
    try {
      writeSync(fd, `${JSON.stringify(ranges)}\n`);
    } finally {
      closeSync(fd);
    }
  };
  try {
    removeEntry(file);
    write();
  } catch {
    // Best effort: without a claim the cluster still runs, and the ranges were free when they were picked.
    return () => {};
  }
  return () => removeEntry(file);
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

/** The ranges claimed by other live processes. */
export function claimedPorts(): RangeJson[] {
  const dir = claimsDir();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const ranges: RangeJson[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid) continue;
    const file = join(dir, name);
    if (!isAlive(pid)) {
      removeEntry(file);
      continue;
    }
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
