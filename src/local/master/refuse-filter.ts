import { isObject } from "../json.js";

const DEFAULT_REFUSE_SECONDS = 5;
const MAX_REFUSE_SECONDS = 365 * 24 * 3600;

/**
 * How long declined resources (or a declined inverse offer) stay filtered, from a call's `Filters`, as the
 * hierarchical allocator reads `refuse_seconds` (src/master/allocator/mesos/hierarchical.cpp, recoverResources and
 * updateInverseOffer): 5 s when absent, negative or not a number a Duration can hold; at most 365 days, so an
 * infinite value is a year.
 */
export function refuseSecondsOf(filters: unknown): number {
  const raw =
    isObject(filters) && typeof filters.refuse_seconds === "number" ? filters.refuse_seconds : undefined;
  if (raw === undefined || Number.isNaN(raw) || raw < 0) return DEFAULT_REFUSE_SECONDS;
  return Math.min(raw, MAX_REFUSE_SECONDS);
}
