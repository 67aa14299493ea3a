import { readFileSync } from "node:fs";

/** A CPU profile as `node --cpu-prof` writes it (the fields read here). */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfilePart {
  part: string;
  ms: number;
}

/**
 * The parts of `titan plan`, by the source files that make them up, most specific first. A sample counts for the
 * first part any frame of its stack belongs to, wherever that frame stands: the helpers of src/cluster (canonical
 * JSON, port ranges) run for the digest and for the simulated cluster as well as for reading the snapshot, so the
 * frame nearest the sample does not say which part it is doing.
 */
const PARTS: ReadonlyArray<{ part: string; urls: readonly string[] }> = [
  // Scale-in advice calls placement: its time is its own.
  { part: "scale-in advice", urls: ["/src/placement/scale-in"] },
  { part: "placement", urls: ["/src/placement/"] },
  { part: "manifest loading", urls: ["/src/manifest/", "/node_modules/yaml/"] },
  { part: "the inputs digest", urls: ["/src/plan/fingerprint"] },
  { part: "rollout check", urls: ["/src/plan/rollout"] },
  {
    part: "output (render, JSON)",
    urls: ["/src/plan/render", "/src/plan/json", "/src/plan/format", "/src/cli/"],
  },
  { part: "diff, plan assembly", urls: ["/src/plan/"] },
  { part: "reading the snapshot", urls: ["/src/cluster/", "/src/mesos/"] },
  // The command's own code sits under every part; it counts only where nothing else does.
  { part: "output (render, JSON)", urls: ["/src/commands/"] },
];

const OTHER = "other (start-up, module loading, file I/O)";
const GARBAGE_COLLECTION = "garbage collection";

function rankOf(url: string): number {
  for (let rank = 0; rank < PARTS.length; rank++)
    if ((PARTS[rank] as (typeof PARTS)[number]).urls.some((u) => url.includes(u))) return rank;
  return PARTS.length;
}

/** Where a CPU profile's time goes, by part of titan, most first. */
export function summariseProfile(profile: CpuProfile): ProfilePart[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOfNode = new Map<number, string>();
  const partOf = (id: number): string => {
    const known = partOfNode.get(id);
    if (known !== undefined) return known;
    let part: string;
    if (byId.get(id)?.callFrame.functionName === "(garbage collector)") part = GARBAGE_COLLECTION;
    else {
      let best = PARTS.length;
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
        best = Math.min(best, rankOf(byId.get(at)?.callFrame.url ?? ""));
      part = PARTS[best]?.part ?? OTHER;
    }
    partOfNode.set(id, part);
    return part;
  };
  const totals = new Map<string, number>();
  profile.samples.forEach((id, k) => {
    const part = partOf(id);
    totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[k] ?? 0) / 1000);
  });
  return [...totals].map(([part, ms]) => ({ part, ms })).sort((a, b) => b.ms - a.ms);
}

export function summariseProfileFile(file: string): ProfilePart[] {
  return summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
}
