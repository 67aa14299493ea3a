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
  return rangeTextAsMesosWritesIt(text) ?? parseRangeTextLoosely(text);
}

const OPEN = 0x5b;
const CLOSE = 0x5d;
const DASH = 0x2d;
const COMMA = 0x2c;
const SPACE = 0x20;
const ZERO = 0x30;
/** Longer runs of digits go the general way, which reads them as `Number` does. */
const MAX_DIGITS = 15;

/**
 * The text exactly as the master writes it (`[b-e]`, items joined by `, `; a task of a snapshot has one such text
 * per resource), read without a regular expression; undefined for anything else, which `parseRangeTextLoosely`
 * then reads.
 */
function rangeTextAsMesosWritesIt(text: string): PortRange[] | undefined {
  const end = text.length - 1;
  if (end < 1 || text.charCodeAt(0) !== OPEN || text.charCodeAt(end) !== CLOSE) return undefined;
  if (end === 1) return [];
  const ranges: PortRange[] = [];
  let at = 1;
  for (;;) {
    let begin = 0;
    const beginStart = at;
    for (let c = text.charCodeAt(at); c >= ZERO && c <= ZERO + 9; c = text.charCodeAt(++at))
      begin = begin * 10 + c - ZERO;
    if (at === beginStart || at - beginStart > MAX_DIGITS || text.charCodeAt(at) !== DASH) return undefined;
    const endStart = ++at;
    let last = 0;
    for (let c = text.charCodeAt(at); c >= ZERO && c <= ZERO + 9; c = text.charCodeAt(++at))
      last = last * 10 + c - ZERO;
    if (at === endStart || at - endStart > MAX_DIGITS) return undefined;
    ranges.push({ begin, end: last });
    if (at === end) return normaliseRanges(ranges);
    if (text.charCodeAt(at) !== COMMA || text.charCodeAt(at + 1) !== SPACE) return undefined;
    at += 2;
  }
}

/** The range text with any spacing around its items and numbers. */
export function parseRangeTextLoosely(text: string): PortRange[] | undefined {
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
