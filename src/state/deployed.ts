import type { Release } from "./types.js";

/** The release an app runs now: its newest one that a deploy finished as deployed. */
export function newestDeployed(releases: readonly Release[] | undefined): Release | undefined {
  return [...(releases ?? [])].reverse().find((r) => r.outcome === "deployed");
}
