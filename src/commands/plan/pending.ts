import { resumes } from "../../deploy/releases.js";
import type { AppSpec } from "../../manifest/types.js";
import type { Plan } from "../../plan/types.js";
import { pendingRelease } from "../../release/pending.js";
import type { Release, StateStore } from "../../state/types.js";

/**
 * What `titan deploy` of these manifests does with each app's release that did not finish, said by `titan plan`
 * so the plan shows all the deploy carries out: it resumes one of the same spec (waits for its gates, records the
 * outcome), and supersedes one of another.
 */
export function pendingNotes(plan: Plan, pending: ReadonlyMap<string, Release>): string[] {
  const notes: string[] = [];
  const where = plan.region === null ? "" : ` in ${plan.region}`;
  for (const app of plan.apps) {
    const release = pending.get(app.spec.name);
    if (release === undefined) continue;
    const started = release.command === undefined ? "" : ` (\`${release.command}\`)`;
    const head = `release ${release.number} of ${app.spec.name}${where} did not finish${started}`;
    notes.push(
      resumes(release, app.spec, app.diff.digest)
        ? `${head}: titan deploy resumes it, waits for its gates and records the outcome`
        : `${head}: titan deploy supersedes it with this manifest's spec`,
    );
  }
  return notes;
}

/** Each app's release that did not finish, as a deploy finds it. */
export async function pendingOf(store: StateStore, apps: readonly AppSpec[]): Promise<Map<string, Release>> {
  const found = await Promise.all(
    apps.map(async (app) => [app.name, await pendingRelease(store, app.name)] as const),
  );
  return new Map(found.flatMap(([app, release]) => (release === undefined ? [] : [[app, release] as const])));
}
