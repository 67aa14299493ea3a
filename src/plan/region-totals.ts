/** A plan over several regions: each region's counts side by side, a total, and the regions that could not be read. */
import { renderTable } from "../cli/table.js";
import type { Plan } from "./types.js";

/** One region of a multi-region plan: its plan, or why its cluster could not be read. */
export type RegionPlan =
  | { region: string; cluster: string; plan: Plan }
  | { region: string; cluster: string; unreachable: string };

export interface RegionCounts {
  launch: number;
  replace: number;
  stop: number;
  keep: number;
}

export function countsOf(plan: Plan): RegionCounts {
  const counts = { launch: 0, replace: 0, stop: 0, keep: 0 };
  for (const { diff } of plan.apps) {
    counts.launch += diff.launch.length;
    counts.replace += diff.replace.length;
    counts.stop += diff.stop.length;
    counts.keep += diff.keep.length;
  }
  return counts;
}

export function totalOf(regions: readonly RegionPlan[]): RegionCounts {
  const total = { launch: 0, replace: 0, stop: 0, keep: 0 };
  for (const r of regions) {
    if (!("plan" in r)) continue;
    const c = countsOf(r.plan);
    total.launch += c.launch;
    total.replace += c.replace;
    total.stop += c.stop;
    total.keep += c.keep;
  }
  return total;
}

function verdict(r: RegionPlan): string {
  if (!("plan" in r)) return "unreachable";
  if (!r.plan.fits) return "does not fit";
  return r.plan.changes ? "changes" : "no changes";
}

/** The side-by-side table: one row per region, then the total; an unreachable region says so in every cell it can. */
export function renderRegionTotals(regions: readonly RegionPlan[]): string[] {
  const rows = regions.map((r) => {
    if (!("plan" in r)) return [r.region, r.cluster, "-", "-", "-", "-", verdict(r)];
    const c = countsOf(r.plan);
    return [r.region, r.cluster, `+${c.launch}`, `~${c.replace}`, `-${c.stop}`, `=${c.keep}`, verdict(r)];
  });
  const t = totalOf(regions);
  const unreachable = regions.filter((r) => !("plan" in r)).length;
  const summary = unreachable === 0 ? "" : `${unreachable} unreachable`;
  rows.push(["total", "", `+${t.launch}`, `~${t.replace}`, `-${t.stop}`, `=${t.keep}`, summary]);
  const lines = renderTable(["REGION", "CLUSTER", "LAUNCH", "REPLACE", "STOP", "KEEP", "PLAN"], rows).split(
    "\n",
  );
  for (const r of regions) {
    if (!("plan" in r))
      lines.push(`region ${r.region} (cluster ${r.cluster}) could not be reached: ${r.unreachable}`);
  }
  return lines;
}

/** Exit-code inputs: an unreachable region wins, then anything that does not fit, then changes. */
export function regionsVerdict(regions: readonly RegionPlan[]): {
  unreachable: boolean;
  fits: boolean;
  changes: boolean;
} {
  const plans = regions.flatMap((r) => ("plan" in r ? [r.plan] : []));
  return {
    unreachable: plans.length < regions.length,
    fits: plans.every((p) => p.fits),
    changes: plans.some((p) => p.changes),
  };
}
