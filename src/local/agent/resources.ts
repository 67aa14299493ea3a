import { agentPools, poolsToJson } from "../pools.js";
import type { AgentResources, RangeJson, ResourceJson } from "./api.js";

/** The agent's resources as mesos.v1.Resource objects, entry by entry as its pools keep them (reservations, disks). */
export function agentResourceList(resources: AgentResources): ResourceJson[] {
  return poolsToJson(agentPools(resources), { refinement: true });
}

/** Mesos' legacy range text: "[31000-31004, 31006-32000]". */
export function formatRanges(ranges: readonly RangeJson[]): string {
  return `[${ranges.map((r) => `${r.begin}-${r.end}`).join(", ")}]`;
}

/** Mesos' legacy set text: "{a, b}". */
export function formatSet(items: readonly string[]): string {
  return `{${items.join(", ")}}`;
}

/** Rounds as Mesos' fixed-point scalars do (three decimals). */
function roundScalar(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The flat resource object of the legacy JSON endpoints: cpus, gpus, mem and disk always present, other scalars as
 * numbers, ranges and sets as text (src/common/http.cpp `model(const Resources&)`).
 */
export function flatResources(resources: readonly ResourceJson[]): Record<string, number | string> {
  const scalars: Record<string, number> = { cpus: 0, gpus: 0, mem: 0, disk: 0 };
  const ranges = new Map<string, RangeJson[]>();
  const sets = new Map<string, string[]>();
  for (const resource of resources) {
    if (resource.type === "SCALAR") {
      scalars[resource.name] = roundScalar((scalars[resource.name] ?? 0) + (resource.scalar?.value ?? 0));
    } else if (resource.type === "RANGES") {
      ranges.set(resource.name, [...(ranges.get(resource.name) ?? []), ...(resource.ranges?.range ?? [])]);
    } else if (resource.type === "SET") {
      sets.set(resource.name, [...(sets.get(resource.name) ?? []), ...(resource.set?.item ?? [])]);
    }
  }
  const flat: Record<string, number | string> = { ...scalars };
  for (const [name, list] of ranges) flat[name] = formatRanges(mergeRanges(list));
  for (const [name, items] of sets) flat[name] = formatSet(items);
  return flat;
}

/** Sorts and coalesces overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly RangeJson[]): RangeJson[] {
  const sorted = [...ranges].sort((a, b) => a.begin - b.begin);
  const merged: RangeJson[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && range.begin <= last.end + 1) last.end = Math.max(last.end, range.end);
    else merged.push({ begin: range.begin, end: range.end });
  }
  return merged;
}
