import type { Scalars } from "./types.js";

/**
 * Resources are kept as integers in thousandths (cpus to Mesos' 3 decimals, mem/disk to 1/1000 MB) so that fit
 * checks are exact: no float drift can over-commit an agent after thousands of subtractions.
 */
export const UNITS_PER = 1000;

export interface Units {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
}

/**
 * The smallest request a manifest accepts, in units (src/manifest/limits.ts: cpus 0.001, mem 1 MB, no disk):
 * advice never suggests less.
 */
export const SMALLEST_REQUEST: Readonly<Units> = { cpus: 1, mem: 1000, disk: 0, gpus: 0 };

export const DIMENSIONS = ["cpus", "mem", "disk", "gpus"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export function toUnits(s: Scalars): Units {
  return { cpus: units(s.cpus), mem: units(s.mem), disk: units(s.disk), gpus: units(s.gpus) };
}

export function units(value: number): number {
  return Math.round((Number.isFinite(value) ? value : 0) * UNITS_PER);
}

export function fromUnits(value: number): number {
  return value / UNITS_PER;
}

/** A resource amount as people read it: cpus with up to 3 decimals, the rest rounded to whole numbers. */
export function formatAmount(dimension: Dimension, value: number): string {
  if (dimension === "cpus") return String(Math.round(value * 1000) / 1000);
  return String(Math.round(value));
}
