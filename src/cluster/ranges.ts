import type { PortRange } from "../placement/types.js";

/** Sorts, merges overlapping and adjacent ranges, and drops empty ones. */
export function normaliseRanges(ranges: readonly PortRange[]): PortRange[] {
  if (ranges.length <= 1)
    return ranges.filter((r) => r.end >= r.begin).map((r) => ({ begin: r.begin, end: r.end }));
  const sorted = ranges.filter((r) => r.end >= r.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  const merged: PortRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ begin: r.begin, end: r.end });
  }
  return merged;
}

/** `from` minus every port in `remove`. */
export function subtractRanges(from: readonly PortRange[], remove: readonly PortRange[]): PortRange[] {
  let result = normaliseRanges(from);
  for (const cut of normaliseRanges(remove)) {
    const next: PortRange[] = [];
    for (const r of result) {
      if (cut.end < r.begin || cut.begin > r.end) {
        next.push(r);
        continue;
      }
      if (cut.begin > r.begin) next.push({ begin: r.begin, end: cut.begin - 1 });
      if (cut.end < r.end) next.push({ begin: cut.end + 1, end: r.end });
    }
    result = next;
  }
  return result;
}

export function unionRanges(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  return normaliseRanges([...a, ...b]);
}

export function countPorts(ranges: readonly PortRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.begin + 1), 0);
}

export function portsToRanges(ports: readonly number[]): PortRange[] {
  return normaliseRanges(ports.map((p) => ({ begin: p, end: p })));
}

/** Every port in the ranges, ascending. Only for the few ports a task holds. */
export function rangesToPorts(ranges: readonly PortRange[]): number[] {
  const ports: number[] = [];
  for (const r of normaliseRanges(ranges)) for (let p = r.begin; p <= r.end; p++) ports.push(p);
  return ports;
}

/**
 * Parses the legacy endpoints' range text, `[31000-31004, 31006-32000]`. Returns undefined when the text is not
 * in that form.
 */
export function parseRangeText(text: string): PortRange[] | undefined {
  const body = text.trim();
  if (!body.startsWith("[") || !body.endsWith("]")) return undefined;
  const inner = body.slice(1, -1).trim();
  if (inner === "") return [];
  const ranges: PortRange[] = [];
  for (const part of inner.split(",")) {
    const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    if (!match) return undefined;
    ranges.push({ begin: Number(match[1]), end: Number(match[2]) });
  }
  return normaliseRanges(ranges);
}

export function formatRanges(ranges: readonly PortRange[]): string {
  return `[${ranges.map((r) => `${r.begin}-${r.end}`).join(", ")}]`;
}
