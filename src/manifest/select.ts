import { UsageError } from "../cli/errors.js";
import { didYouMean } from "../cli/suggest.js";
import type { AppSpec, Manifest } from "./types.js";

/**
 * The apps of `manifest` that `names` pick (`--app`), in the manifests' order; every app when none is named. The
 * whole manifest has been validated already: picking one app of a file never hides a mistake in another.
 */
export function selectApps(manifest: Manifest, names: readonly string[]): Manifest {
  if (names.length === 0) return manifest;
  const known = manifest.apps.map((app) => app.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    const near = didYouMean(name, known);
    throw new UsageError(
      `--app ${name}: the manifests (${manifest.files.join(", ")}) name no app ${name}`,
      near === undefined ? `they name: ${listed(known)}` : `did you mean --app ${near}?`,
    );
  }
  const picked = new Set(names);
  const apps: AppSpec[] = manifest.apps.filter((app) => picked.has(app.name));
  return { ...manifest, apps };
}

const LISTED = 10;

function listed(names: readonly string[]): string {
  if (names.length <= LISTED) return names.join(", ");
  return `${names.slice(0, LISTED).join(", ")} … (${names.length} in all; \`titan validate\` lists them)`;
}
