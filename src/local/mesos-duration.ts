/** Mesos' units, smallest first, in milliseconds (stout's duration.hpp). */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["ms", 1],
  ["secs", 1000],
  ["mins", 60_000],
  ["hrs", 3_600_000],
  ["days", 86_400_000],
  ["weeks", 604_800_000],
];

/**
 * A duration of whole milliseconds as a Mesos master writes a Duration flag (stout's `operator<<` for Duration): in
 * the largest unit it reaches, or the unit below when only that one gives a whole number, with up to 15 significant
 * digits: 30000 → "30secs", 90000 → "90secs", 150 → "150ms".
 */
export function mesosDuration(ms: number): string {
  let bucket = 0;
  for (let i = 1; i < UNITS.length; i++) if (ms >= (UNITS[i]?.[1] ?? Number.POSITIVE_INFINITY)) bucket = i;
  const [unit, size] = UNITS[bucket] ?? ["ms", 1];
  const below = UNITS[bucket - 1];
  if (below !== undefined && ms % size !== 0 && ms % below[1] === 0) return `${ms / below[1]}${below[0]}`;
  return `${Number((ms / size).toPrecision(15))}${unit}`;
}
