/**
 * Which apps of a plan would take running instances down on purpose while their disruption windows are closed.
 * Replacing (a new release, a restart, a roll back) and moving (a drain, agents scheduled for maintenance) count;
 * starting instances and stopping surplus ones (scaling in, `titan stop`) do not: they are what was asked for.
 */
import { hourlyReplacements } from "../manifest/types.js";
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
  const windows = c.windows.map(describeWindow).join("; ");
  return `${appInRegion(c)} replaces ${runningInstances(c.replacing)} outside its disruption window${c.windows.length === 1 ? "" : "s"} (${windows})`;
}

/** "api", or "api (us-east)" in a plan of a region. */
export function appInRegion(c: { app: string; region: string | null }): string {
  return c.region === null ? c.app : `${c.app} (${c.region})`;
}

function runningInstances(n: number): string {
  return n === 1 ? "1 running instance" : `${n} running instances`;
}

/** "it opens Mon 09:00 Europe/Berlin, in 2h30m". */
export function describeOpensAt(c: ClosedWindow, now: number): string {
  if (c.opensAt === undefined) return "no window ever opens";
  const wait = Math.ceil((c.opensAt - now) / 60_000) * 60_000;
  return `the next opens ${describeOpening(c.windows, c.opensAt)}, in ${formatDuration(wait)}`;
}

/** An app whose replacements its hourly limit paces. */
export interface PacedReplacement {
  app: string;
  region: string | null;
  replacing: number;
  perHour: number;
}

/** The apps of a plan that replace running instances under `disruption.max_per_hour`. */
export function pacedReplacements(apps: readonly AppPlan[]): PacedReplacement[] {
  return apps.flatMap(({ spec, diff }) => {
    const perHour = hourlyReplacements(spec, diff.desired);
    if (perHour === undefined || diff.replace.length === 0) return [];
    return [{ app: spec.name, region: diff.region, replacing: diff.replace.length, perHour }];
  });
}

/** "api (us-east): 3 running instances". */
export function describePaced(p: PacedReplacement): string {
  return `${appInRegion(p)}: ${runningInstances(p.replacing)}`;
}

/**
 * The plan with what the app's disruption budget does to a deploy made now: a warning for each app it would be
 * refused for (windows closed), and a note for each whose replacements max_per_hour spreads over hours.
 */
export function withDisruptionWarnings(plan: Plan, now: number): Plan {
  const closed = closedWindows(plan.apps, now).map(
    (c) =>
      `${describeClosed(c)}; ${describeOpensAt(c, now)}: \`titan deploy\` refuses it until then without --override-disruption`,
  );
  const paced = pacedReplacements(plan.apps)
    .filter((p) => p.replacing > p.perHour)
    .map(
      (p) =>
        `${describePaced(p)} replaced at max_per_hour ${p.perHour}: the rollout waits for the budget and takes at least ${Math.ceil(p.replacing / p.perHour) - 1}h (more if replacements of the last hour count)`,
    );
  if (closed.length === 0 && paced.length === 0) return plan;
  return { ...plan, warnings: [...plan.warnings, ...closed, ...paced] };
}
