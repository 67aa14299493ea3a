/** The rollout's waves must name exactly the app's regions, each once. */
import { didYouMean } from "../cli/suggest.js";
import type { AppFields } from "./fields.js";
import type { At } from "./kit.js";
import { entryOf } from "./node.js";

export function checkRollout(app: Partial<AppFields>, at: At): void {
  const rollout = app.rollout;
  if (rollout === undefined) return;
  if (app.regions === undefined) {
    if (entryOf(at.node, "regions") === undefined)
      at.report(
        ["rollout"],
        "rollout needs `regions`: it orders a deploy through the app's regions",
        "name the regions with their counts, e.g. regions: { us-east: 2, eu-west: 2 }",
      );
    return;
  }
  const named = Object.keys(app.regions);
  const seen = new Map<string, string>();
  for (const [w, wave] of (rollout.waves ?? []).entries()) {
    for (const [i, region] of wave.entries()) {
      const where = `waves[${w}][${i}]`;
      const first = seen.get(region);
      if (first !== undefined) {
        at.report(
          ["rollout", "waves", w, i],
          `region \`${region}\` is in two waves (${first} and ${where})`,
          "deploy each region in one wave",
        );
        continue;
      }
      seen.set(region, where);
      if (!named.includes(region)) {
        const near = didYouMean(region, named);
        at.report(
          ["rollout", "waves", w, i],
          `region \`${region}\` is not one of the app's regions (${named.join(", ")})`,
          near
            ? `did you mean \`${near}\`?`
            : "add it to `regions` with its instance count, or remove it here",
        );
      }
    }
  }
  if (rollout.waves === undefined) return;
  const missing = named.filter((region) => !seen.has(region));
  if (missing.length > 0) {
    at.report(
      ["rollout", "waves"],
      `no wave deploys ${missing.map((r) => `\`${r}\``).join(", ")}`,
      "put every region of `regions` in one wave",
    );
  }
}
