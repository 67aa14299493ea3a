import { UsageError } from "../cli/errors.js";
import { type SeenRelease, seenNewest } from "../deploy/releases.js";
import { APP_NAME_RULE, isAppName } from "../manifest/app-name.js";
import type { AppSpec } from "../manifest/types.js";
import { resumeCommand } from "../observe/deploy-wait.js";
import { newestDeployed } from "../state/deployed.js";
import type { Release, StateStore } from "../state/types.js";
import { unknownAppError } from "./unknown-app.js";

export function checkAppName(app: string): void {
  if (!isAppName(app))
    throw new UsageError(`"${app}" is not an app name`, `app names are ${APP_NAME_RULE}, e.g. \`api\``);
}

/** An app's releases, read once, and the one that runs now. */
export interface AppReleases {
  releases: readonly Release[];
  /** The newest deployed release. */
  running: Release;
}

/** The app's releases and the one that runs now: the newest deployed one. */
export async function appReleases(store: StateStore, app: string): Promise<AppReleases> {
  checkAppName(app);
  const releases = await store.releases(app);
  if (releases.length === 0) throw unknownAppError(app);
  const running = newestDeployed(releases);
  if (!running)
    throw new UsageError(`no release of ${app} was deployed successfully`, `see \`titan releases ${app}\``);
  return { releases, running };
}

/**
 * A spec a command derived from an app's releases, and the newest of them as it read them: the change is carried out
 * only while that is still the app's newest release (a teammate's release recorded since refuses it).
 */
export interface DerivedSpec {
  spec: AppSpec;
  from: SeenRelease;
}

/** `spec`, derived from the app's releases as read. */
export function derivedSpec(releases: readonly Release[], spec: AppSpec): DerivedSpec {
  return { spec, from: seenNewest(releases) };
}

/** The newest release when it is still pending (and so came after the running one). */
export function pendingAfter({ releases }: AppReleases): Release | undefined {
  const newest = releases.at(-1);
  return newest?.outcome === "pending" ? newest : undefined;
}

/** The spec with a new instance count, in the region given when the app names regions. */
export function withInstances(spec: AppSpec, count: number, region: string | undefined): AppSpec {
  if (!spec.regions) return { ...spec, instances: count };
  const regions = Object.keys(spec.regions);
  const only = regions.length === 1 ? regions[0] : undefined;
  const which = region ?? only;
  if (which === undefined)
    throw new UsageError(`${spec.name} runs in several regions (${regions.join(", ")})`, "pass --region");
  const next = { ...spec.regions, [which]: count };
  return { ...spec, regions: next, instances: Object.values(next).reduce((a, b) => a + b, 0) };
}

/**
 * A `scale` or `restart` builds on the running release's spec. When the newest release deploys another spec and did
 * not finish (a deploy running, or interrupted halfway), that would supersede it and put the running spec back on the
 * instances it already replaced: refused, naming both, so the unfinished release is finished or rolled back first.
 * (A pending release of the same spec — a `scale` to another count, a resumed move — is simply superseded.)
 */
export function refuseOverUnfinished(app: AppReleases, verb: string): void {
  const { running } = app;
  const last = pendingAfter(app);
  if (last === undefined || last.manifestDigest === running.manifestDigest) return;
  throw new UsageError(
    `release ${last.number} of ${running.app} deploys another spec and did not finish (a deploy running or interrupted): ${verb} would supersede it with release ${running.number}'s spec`,
    finishFirstHint(running.app, last),
  );
}

/** How to get an unfinished release out of the way: resume it with the command that made it, or roll it back. */
export function finishFirstHint(app: string, unfinished: Release): string {
  return `finish it first: re-run \`${resumeCommand(unfinished)}\` (\`titan status ${app}\` says where it stands), or undo it with \`titan rollback ${app}\``;
}
