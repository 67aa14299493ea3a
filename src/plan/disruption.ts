/**
 * Which apps of a plan would take running instances down on purpose while their disruption windows are closed.
 * Replacing (a new release, a restart, a roll back) and moving (a drain, agents scheduled for maintenance) count;
 * starting instances and stopping surplus ones (scaling in, `titan stop`) do not: they are what was asked for.
 */
import { formatDuration } from "../manifest/units.js";
import {
  type DisruptionWindow,
  describeOpening,
  describeWindow,
  isOpen,
  nextOpening,
} from "../manifest/windows.js";
import type { AppPlan, Plan } from "./types.js";

export interface ClosedWindow {
  app: string;
  region: string | null;
  /** Running instances the change would replace or move. */
  replacing: number;
  windows: readonly DisruptionWindow[];
  /** When the next window opens; undefined when none ever does. */
  opensAt?: number;
}

export function closedWindows(apps: readonly AppPlan[], now: number): ClosedWindow[] {
  const closed: ClosedWindow[] = [];
  for (const { spec, diff } of apps) {
    const windows = spec.disruption?.windows;
    if (windows === undefined || diff.replace.length === 0 || isOpen(windows, now)) continue;
    const opensAt = nextOpening(windows, now);
    closed.push({
      app: spec.name,
      region: diff.region,
      replacing: diff.replace.length,
      windows,
      ...(opensAt === undefined ? {} : { opensAt }),
    });
  }
  return closed;
}

/** "api (us-east) replaces 3 running instances outside its disruption windows (mon-fri 09:00-17:00 UTC)". */
export function describeClosed(c: ClosedWindow): string {
  const where = closedWhere(c);
  const instances = c.replacing === 1 ? "1 running instance" : `${c.replacing} running instances`;
  const windows = c.windows.map(describeWindow).join("; ");
  return `${where} replaces ${instances} outside its disruption window${c.windows.length === 1 ? "" : "s"} (${windows})`;
}

/** "api", or "api (us-east)" in a plan of a region. */
export function closedWhere(c: ClosedWindow): string {
  return c.region === null ? c.app : `${c.app} (${c.region})`;
}

/** "it opens Mon 09:00 Europe/Berlin, in 2h30m". */
export function describeOpensAt(c: ClosedWindow, now: number): string {
  if (c.opensAt === undefined) return "no window ever opens";
  const wait = Math.ceil((c.opensAt - now) / 60_000) * 60_000;
  return `the next opens ${describeOpening(c.windows, c.opensAt)}, in ${formatDuration(wait)}`;
}

/** The plan with a warning for each app a deploy made now would be refused for. */
export function withWindowWarnings(plan: Plan, now: number): Plan {
  const closed = closedWindows(plan.apps, now);
  if (closed.length === 0) return plan;
  const warnings = closed.map(
    (c) =>
      `${describeClosed(c)}; ${describeOpensAt(c, now)}: \`titan deploy\` refuses it until then without --override-window`,
  );
  return { ...plan, warnings: [...plan.warnings, ...warnings] };
}
