import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import type { Release, StateStore } from "../../state/types.js";
import { applyToApp } from "../deploy/app-command.js";
import { checkAppName, runningRelease } from "../deploy/app-release.js";
import type { ApplyFlags } from "../deploy/options.js";

export async function runRollback(
  env: Env,
  app: string,
  flags: ApplyFlags & { to?: string },
): Promise<number> {
  checkAppName(app);
  const to = flags.to === undefined ? undefined : parseRelease(flags.to);
  const resume = `titan rollback ${app}${to === undefined ? "" : ` --to ${to}`}`;
  return applyToApp(
    env,
    { ...flags, apps: [app] },
    "rollback",
    resume,
    async (store) => (await rollbackTarget(store, app, to)).spec,
  );
}

function parseRelease(text: string): number {
  if (!/^\d{1,9}$/.test(text))
    throw new UsageError(`--to ${JSON.stringify(text)} is not a release number`, "see `titan releases APP`");
  return Number(text);
}

/** `--to N`, or the last deployed release whose spec differs from the running one. */
async function rollbackTarget(store: StateStore, app: string, to: number | undefined): Promise<Release> {
  const releases = await store.releases(app);
  if (to !== undefined) {
    const wanted = releases.find((r) => r.number === to);
    if (!wanted) throw new UsageError(`${app} has no release ${to}`, `see \`titan releases ${app}\``);
    return wanted;
  }
  const running = await runningRelease(store, app);
  const earlier = [...releases]
    .reverse()
    .find(
      (r) =>
        r.number < running.number && r.outcome === "deployed" && r.manifestDigest !== running.manifestDigest,
    );
  if (!earlier)
    throw new UsageError(
      `${app} has no earlier deployed release to roll back to`,
      `see \`titan releases ${app}\``,
    );
  return earlier;
}
