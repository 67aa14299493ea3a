/**
 * Disruption windows (Titus's `timeWindows`): the weekly hours, in a time zone, when titan may take running
 * instances of an app down on purpose. Pure: every function takes the instant it is asked about.
 */

export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface DisruptionWindow {
  /** The days a window starts on; one that ends past midnight runs into the next day. */
  days: readonly Weekday[];
  /** Minutes after local midnight: start inclusive, end exclusive (0–1440). An end at or before the start is the next day's. */
  startMinute: number;
  endMinute: number;
  /** An IANA time zone, e.g. Europe/Berlin or UTC. */
  timeZone: string;
}

const MINUTE = 60_000;
const DAY_MINUTES = 24 * 60;

/** "09:00-17:00" (24:00 ends a day) → minutes; undefined when it is not such a range. */
export function parseHours(text: string): { startMinute: number; endMinute: number } | undefined {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [sh, sm, eh, em] = match.slice(1).map(Number) as [number, number, number, number];
  if (sm > 59 || em > 59 || sh > 23 || eh > 24 || (eh === 24 && em > 0)) return undefined;
  return { startMinute: sh * 60 + sm, endMinute: eh * 60 + em };
}

/** Whether the runtime knows the time zone (Node carries the IANA database). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface LocalTime {
  /** 0 = Sunday. */
  weekday: number;
  minute: number;
  /** The wall-clock time read as if it were UTC, in ms: the instant plus the zone's offset. */
  wallMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function localTime(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant))
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0 } = parts;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute);
  return { weekday: new Date(wallMs).getUTCDay(), minute: hour * 60 + minute, wallMs };
}

/** The instant a wall-clock time of the zone falls on (a time skipped by a clock change lands just after it). */
function instantOf(wallMs: number, timeZone: string): number {
  let guess = wallMs;
  for (let i = 0; i < 3; i++) {
    const offset = localTime(guess, timeZone).wallMs - Math.floor(guess / MINUTE) * MINUTE;
    const next = wallMs - offset;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}

function inWindow(w: DisruptionWindow, local: LocalTime): boolean {
  const starts = (day: number): boolean => w.days.includes(WEEKDAYS[day] as Weekday);
  if (w.endMinute > w.startMinute)
    return starts(local.weekday) && local.minute >= w.startMinute && local.minute < w.endMinute;
  // Past midnight: the evening of a listed day, or the small hours after one.
  return (
    (starts(local.weekday) && local.minute >= w.startMinute) ||
    (starts((local.weekday + 6) % 7) && local.minute < w.endMinute)
  );
}

/** Whether any of the windows holds the instant. */
export function isOpen(windows: readonly DisruptionWindow[], instant: number): boolean {
  return windows.some((w) => inWindow(w, localTime(instant, w.timeZone)));
}

/** The next instant after `instant` at which a window opens; undefined when none ever does. */
export function nextOpening(windows: readonly DisruptionWindow[], instant: number): number | undefined {
  let best: number | undefined;
  for (const w of windows) {
    const today = localTime(instant, w.timeZone);
    const midnight = today.wallMs - today.minute * MINUTE;
    // Eight days ahead covers a window on one weekday only, starting earlier today.
    for (let d = 0; d <= 8; d++) {
      const day = (today.weekday + d) % 7;
      if (!w.days.includes(WEEKDAYS[day] as Weekday)) continue;
      const wall = instantOf(midnight + (d * DAY_MINUTES + w.startMinute) * MINUTE, w.timeZone);
      // A start the clocks skip (spring forward) opens at the first minute after the change.
      const start = inWindow(w, localTime(wall, w.timeZone)) ? wall : firstOpenMinute(w, wall);
      if (start > instant && (best === undefined || start < best)) best = start;
    }
  }
  return best;
}

/** The first minute within three hours after `from` that the window holds (past a change of clocks). */
function firstOpenMinute(w: DisruptionWindow, from: number): number {
  for (let m = 1; m <= 180; m++) {
    const at = from + m * MINUTE;
    if (inWindow(w, localTime(at, w.timeZone))) return at;
  }
  return from;
}

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** "mon-fri", "sat,sun", "every day": runs of consecutive days (Monday first) as ranges. */
export function describeDays(days: readonly Weekday[]): string {
  const order = [1, 2, 3, 4, 5, 6, 0].filter((d) => days.includes(WEEKDAYS[d] as Weekday));
  if (order.length === 7) return "every day";
  const runs: number[][] = [];
  const position = (d: number): number => (d + 6) % 7;
  for (const d of order) {
    const run = runs.at(-1);
    if (run !== undefined && position(run.at(-1) ?? d) + 1 === position(d)) run.push(d);
    else runs.push([d]);
  }
  return runs
    .map((run) => {
      const first = WEEKDAYS[run[0] ?? 0];
      const last = WEEKDAYS[run.at(-1) ?? 0];
      return run.length === 1 ? first : run.length === 2 ? `${first},${last}` : `${first}-${last}`;
    })
    .join(",");
}

/** As written in the manifest, e.g. "mon-fri 09:00-17:00 Europe/Berlin". */
export function describeWindow(w: DisruptionWindow): string {
  return `${describeDays(w.days)} ${hhmm(w.startMinute)}-${hhmm(w.endMinute)} ${w.timeZone}`;
}

/** An opening as its first window's zone tells it: "Mon 09:00 Europe/Berlin". */
export function describeOpening(windows: readonly DisruptionWindow[], instant: number): string {
  const zone = windows.find((w) => isOpen([w], instant))?.timeZone ?? windows[0]?.timeZone ?? "UTC";
  const local = localTime(instant, zone);
  return `${DAY_NAMES[local.weekday]} ${hhmm(local.minute)} ${zone}`;
}
