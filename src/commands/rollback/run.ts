import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { shortDigest } from "../../cluster/digest.js";
import { sameSpec } from "../../deploy/releases.js";
import { instancesIn } from "../../plan/regions.js";
import { applyToApp, Previewed } from "../../release/app-command.js";
import { appReleases, checkAppName, derivedSpec } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";
import type { Release, StateStore } from "../../state/types.js";

export async function runRollback(
  env: Env,
  app: string,
  flags: ApplyFlags & { to?: string },
): Promise<number> {
  checkAppName(app);
  const to = flags.to === undefined ? undefined : parseRelease(flags.to);
  const resume = ["titan", "rollback", app, ...(to === undefined ? [] : ["--to", String(to)])];
  return applyToApp(env, { ...flags, apps: [app] }, "rollback", resume, async (store, conn) => {
    const { releases, from, target } = await rollbackTarget(store, app, to);
    const region = flags.region ?? conn.target.region;
    return new Previewed(
      derivedSpec(releases, target.spec),
      [describeRollback(app, from, target, region)],
      from.image ?? "command",
    );
  });
}

function parseRelease(text: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new UsageError(`--to ${JSON.stringify(text)} is not a release number`, "see `titan releases APP`");
  return Number(text);
}

/**
 * `--to N`; else, when the newest release did not end deployed and may have left instances of its spec (it failed
 * with `--no-auto-rollback`, or a deploy of it was interrupted), the running release, which undoes it; else the
 * deployed release before the running one. Same-digest releases count: `scale` and `stop` change only the instance
 * count, which the manifest digest does not cover, and rolling back must undo them. An interrupted rollback is
 * resumed.
 */
export function pickRollbackTarget(
  releases: readonly Release[],
  running: Release,
  to: number | undefined,
): Release | undefined {
  if (to !== undefined) return releases.find((r) => r.number === to);
  const before = [...releases].reverse().find((r) => r.number < running.number && r.outcome === "deployed");
  const newest = unfinishedAfter(releases, running);
  if (newest === undefined) return before;
  return newest.outcome === "pending" && before !== undefined && isRollbackTo(newest, before)
    ? before
    : running;
}

/**
 * Whether a pending release is an interrupted `titan rollback` to `target`: by the command it recorded, or, for a
 * release recorded without one, by carrying the target's spec.
 */
function isRollbackTo(pending: Release, target: Release): boolean {
  if (pending.command !== undefined) return pending.command.startsWith("titan rollback ");
  return sameSpec(pending, target);
}

/** The newest release when it came after the running one and failed or is still pending. */
function unfinishedAfter(releases: readonly Release[], running: Release): Release | undefined {
  const newest = releases.at(-1);
  if (newest === undefined || newest.number <= running.number) return undefined;
  return newest.outcome === "failed" || newest.outcome === "pending" ? newest : undefined;
}

async function rollbackTarget(
  store: StateStore,
  app: string,
  to: number | undefined,
): Promise<{ releases: readonly Release[]; from: Release; target: Release }> {
  const { releases, running } = await appReleases(store, app);
  const target = pickRollbackTarget(releases, running, to);
  if (target === undefined) {
    throw to === undefined
      ? new UsageError(
          `${app} has no deployed release before release ${running.number} to roll back to`,
          `see \`titan releases ${app}\``,
        )
      : new UsageError(`${app} has no release ${to}`, `see \`titan releases ${app}\``);
  }
  // Undoing a failed or unfinished release starts from it, not from the release that ran before it.
  const from = target === running ? (unfinishedAfter(releases, running) ?? running) : running;
  return { releases, from, target };
}

/**
 * The preview line above the plan: from what to what, count and spec included. Worded as what the plan does, not
 * as under way: it is shown before the confirmation, and before the master has taken anything.
 */
export function describeRollback(app: string, from: Release, target: Release, region?: string): string {
  const side = (r: Release): string => {
    const count = instancesIn(r.spec, region);
    return `release ${r.number} (${r.outcome === "deployed" ? "" : `${r.outcome}, `}${count} instance${count === 1 ? "" : "s"}, ${r.image ?? "command"}, spec ${shortDigest(r.manifestDigest)})`;
  };
  return `Rollback of ${app} from ${side(from)} to ${side(target)}, to be deployed as a new release.`;
}
