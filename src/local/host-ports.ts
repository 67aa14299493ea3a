import { createServer } from "node:net";
import type { RangeJson } from "./agent/api.js";
import { claimedPorts } from "./port-claims.js";

/**
 * Host ports for the agents' `ports` resource. All local agents share this machine with whatever else runs on it
 * (another user's local cluster and its tasks, above all), so a range is only handed out when nothing listens in
 * it.
 */

/** Below the kernel's own ephemeral range (Linux: 32768 and up), where clients pick their ports. */
const LOW = 20_000;
const HIGH = 32_000;
const MAX_REPORTED = 5;

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The first few ports of `ranges` something listens on (empty when all are free). */
export async function portsInUse(ranges: readonly RangeJson[]): Promise<number[]> {
  const busy: number[] = [];
  for (const range of ranges) {
    for (let port = range.begin; port <= range.end && busy.length < MAX_REPORTED; port++) {
      if (!(await portIsFree(port))) busy.push(port);
    }
  }
  return busy;
}

/**
 * A block of `count` consecutive ports nothing listens on and no other local cluster claims (port-claims.ts),
 * avoiding `avoid`; undefined when none is found.
 */
export async function freePortBlock(
  count: number,
  avoid: readonly RangeJson[],
  random: () => number = Math.random,
): Promise<RangeJson | undefined> {
  // Another local cluster's agents' ranges too: nothing listens in them until their tasks do.
  const taken = [...avoid, ...claimedPorts()];
  for (let attempt = 0; attempt < 50; attempt++) {
    const begin = LOW + Math.floor(random() * (HIGH - LOW - count));
    const end = begin + count - 1;
    if (taken.some((r) => begin <= r.end && r.begin <= end)) continue;
    if ((await portsInUse([{ begin, end }])).length === 0) return { begin, end };
  }
  return undefined;
}
