import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { writeLine } from "../../cli/io.js";
import { shortDigest } from "../../cluster/digest.js";
import { applyToApp } from "../../release/app-command.js";
import { checkAppName, runningRelease } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";
import { unknownAppError } from "../../release/unknown-app.js";
import type { Release, StateStore } from "../../state/types.js";

export async function runRollback(
  env: Env,
  app: string,
  flags: ApplyFlags & { to?: string },
): Promise<number> {
  checkAppName(app);
  const to = flags.to === undefined ? undefined : parseRelease(flags.to);
  const resume = `titan rollback ${app}${to === undefined ? "" : ` --to ${to}`}`;
  return applyToApp(env, { ...flags, apps: [app] }, "rollback", resume, async (store) => {
    const { running, target } = await rollbackTarget(store, app, to);
    if (flags.json !== true) writeLine(env.io.out, describeRollback(app, running, target));
    return target.spec;
  });
}

function parseRelease(text: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new UsageError(`--to ${JSON.stringify(text)} is not a release number`, "see `titan releases APP`");
  return Number(text);
}

/**
 * `--to N`, or the deployed release before the running one. Same-digest releases count: `scale` and `stop`
 * change only the instance count, which the manifest digest does not cover, and rolling back must undo them.
 */
export function pickRollbackTarget(
  releases: readonly Release[],
  running: Release,
  to: number | undefined,
): Release | undefined {
  if (to !== undefined) return releases.find((r) => r.number === to);
  return [...releases].reverse().find((r) => r.number < running.number && r.outcome === "deployed");
}

async function rollbackTarget(
  store: StateStore,
  app: string,
  to: number | undefined,
): Promise<{ running: Release; target: Release }> {
  const releases = await store.releases(app);
  if (releases.length === 0) throw unknownAppError(app);
  const running = await runningRelease(store, app);
  const target = pickRollbackTarget(releases, running, to);
  if (target === undefined) {
    throw to === undefined
      ? new UsageError(
          `${app} has no deployed release before release ${running.number} to roll back to`,
          `see \`titan releases ${app}\``,
        )
      : new UsageError(`${app} has no release ${to}`, `see \`titan releases ${app}\``);
  }
  return { running, target };
}

/** The preview line above the plan: from what to what, count and spec included. */
export function describeRollback(app: string, running: Release, target: Release): string {
  const side = (r: Release): string =>
    `release ${r.number} (${r.spec.instances} instance${r.spec.instances === 1 ? "" : "s"}, ${r.image ?? "command"}, spec ${shortDigest(r.manifestDigest)})`;
  return `Rolling ${app} back from ${side(running)} to ${side(target)}, deployed as a new release.`;
}
