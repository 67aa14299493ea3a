import { canonicalJson } from "../cluster/canonical.js";
import type { AppSpec } from "../manifest/types.js";
import { pinnedDigest } from "../registry/launch-reference.js";
import type { Release, ReleaseOutcome, StateStore } from "../state/types.js";

/** The spec as it defines a release: where it was declared does not matter. */
export function specKey(spec: AppSpec): string {
  const { source, ...rest } = spec;
  void source;
  return canonicalJson(rest);
}

/** Whether two releases carry out the same spec (a drain's or a resumed deploy's release of the running one). */
export function sameSpec(a: Release, b: Release): boolean {
  return a.manifestDigest === b.manifestDigest && specKey(a.spec) === specKey(b.spec);
}

/**
 * Whether a deploy of `spec` (digest `digest`) resumes the pending release `pending` under its number rather than
 * superseding it: the same digest and the same spec (a count the digest does not cover counts too).
 */
export function resumes(pending: Release, spec: AppSpec, digest: string): boolean {
  return pending.manifestDigest === digest && specKey(pending.spec) === specKey(spec);
}

/**
 * Whether two specs differ in their instance counts only (a `titan scale` of the same spec): the same digest, and
 * the same spec once the counts are left out.
 */
export function differsInCountOnly(pending: Release, spec: AppSpec, digest: string): boolean {
  const uncounted = (s: AppSpec): string => {
    const { instances, regions, ...rest } = s;
    void instances;
    return specKey({ ...rest, instances: 0, ...(regions === undefined ? {} : { regions: {} }) } as AppSpec);
  };
  return (
    pending.manifestDigest === digest &&
    specKey(pending.spec) !== specKey(spec) &&
    uncounted(pending.spec) === uncounted(spec)
  );
}

/**
 * The release a deploy of `spec` carries out: the last one again when it is still pending with the same spec
 * (a deploy that was interrupted is resumed under its own number, so its task ids stay the same), else a new one.
 * A pending release that is not resumed is marked superseded, and returned as `superseded`. The notes are what the
 * new release records of how it was deployed.
 */
export async function releaseFor(
  store: StateStore,
  spec: AppSpec,
  digest: string,
  user: string,
  notes: {
    lagging?: readonly string[];
    disruptionOverride?: string;
    command?: string;
    rollout?: string;
  } = {},
): Promise<{ release: Release; reused: boolean; superseded?: Release }> {
  const releases = await store.releases(spec.name);
  const last = releases.at(-1);
  let superseded: Release | undefined;
  if (last && last.outcome === "pending") {
    if (resumes(last, spec, digest)) return { release: last, reused: true };
    superseded = await store.finishRelease(
      spec.name,
      last.number,
      "superseded",
      "a later deploy replaced it before it finished",
    );
  }
  const release = await store.addRelease({
    app: spec.name,
    ...(spec.image === undefined ? {} : { image: spec.image }),
    ...(spec.image === undefined || pinnedDigest(spec.image) === undefined
      ? {}
      : { imageDigest: pinnedDigest(spec.image) }),
    manifestDigest: digest,
    spec,
    user,
    ...(notes.lagging === undefined || notes.lagging.length === 0 ? {} : { lagging: [...notes.lagging] }),
    ...(notes.disruptionOverride === undefined ? {} : { disruptionOverride: notes.disruptionOverride }),
    ...(notes.command === undefined || notes.command === "" ? {} : { command: notes.command }),
    ...(notes.rollout === undefined ? {} : { rollout: notes.rollout }),
  });
  return { release, reused: false, ...(superseded === undefined ? {} : { superseded }) };
}

/**
 * An app's newest release as a command read it to make its plan: its number (0: the app had none) and outcome. The
 * plan holds only while the newest release is still that one, as it was: a newer one, or the same one finished
 * since (a teammate's change that was under way), is a change the plan did not see and would undo.
 */
export interface SeenRelease {
  number: number;
  outcome?: ReleaseOutcome;
}

/** The newest of an app's releases (oldest first), as seen now. */
export function seenNewest(releases: readonly Release[]): SeenRelease {
  const newest = releases.at(-1);
  return newest === undefined ? { number: 0 } : { number: newest.number, outcome: newest.outcome };
}

/** The app's newest release when it is not the one `seen` (a change made since), else undefined. */
export function changedSince(seen: SeenRelease, releases: readonly Release[]): Release | undefined {
  const newest = releases.at(-1);
  if (newest === undefined || (newest.number === seen.number && newest.outcome === seen.outcome))
    return undefined;
  return newest;
}

/** A release as a change someone made: `release 5, deployed, by bo, \`titan deploy …\``. */
export function describeChange(release: Release): string {
  const by = release.command === undefined ? release.user : `${release.user}, \`${release.command}\``;
  return `release ${release.number}, ${release.outcome}, by ${by}`;
}

/** The release that ran before `release`: the newest deployed one of another number. */
export function releaseBefore(releases: readonly Release[], release: Release): Release | undefined {
  return [...releases].reverse().find((r) => r.outcome === "deployed" && r.number !== release.number);
}

/**
 * What a release that fails its gates rolls back to: the release that ran before it. None when that one runs the
 * very spec and count of the failing one (a drain's moves, a re-deploy of the running spec): going back would
 * change nothing, and going further back would put a spec on the cluster that nobody asked for.
 */
export function autoRollbackTarget(releases: readonly Release[], failing: Release): Release | undefined {
  const before = releaseBefore(releases, failing);
  return before === undefined || sameSpec(before, failing) ? undefined : before;
}

/** What a rollback of a region (on_failure: rollback_all) goes back to: the newest deployed release with another number and digest. */
export function rollbackTarget(releases: readonly Release[], failing: Release): Release | undefined {
  return [...releases]
    .reverse()
    .find(
      (r) =>
        r.outcome === "deployed" &&
        r.number !== failing.number &&
        r.manifestDigest !== failing.manifestDigest,
    );
}
