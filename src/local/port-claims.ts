import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
export function claimsDir(): string {
  return join(tmpdir(), "titan-local-ports");
}

/** Claims `ranges` for this process; the returned function gives them up. */
export function claimPorts(ranges: readonly RangeJson[], pid = process.pid): () => void {
  const dir = claimsDir();
  try {
    mkdirSync(dir, { recursive: true });
    // Shared by every user's clusters, as /tmp is: each removes only its own claims (the sticky bit).
    chmodSync(dir, 0o1777);
  } catch {
    // Made by another user with the mode already set; writing below says whether it can be used.
  }
  const file = join(dir, String(pid));
  try {
    writeFileSync(file, `${JSON.stringify(ranges)}\n`, { mode: 0o644 });
  } catch {
    // Best effort: without a claim the cluster still runs, and the ranges were free when they were picked.
    return () => {};
  }
  return () => rmSync(file, { force: true });
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
      rmSync(file, { force: true });
      continue;
    }
    ranges.push(...readClaim(file));
  }
  return ranges;
}

function readClaim(file: string): RangeJson[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
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
