/** stout's duration units (duration.hpp `Duration::parse`), in milliseconds. */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  secs: 1000,
  mins: 60_000,
  hrs: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

/**
 * A Mesos duration flag's value as the master writes it (`10mins`, `90secs`, `1.5hrs`) in milliseconds; undefined
 * for anything else.
 */
export function parseMesosDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/.exec(text.trim());
  if (match === null) return undefined;
  const size = UNITS[match[2] ?? ""];
  return size === undefined ? undefined : Number(match[1]) * size;
}
