import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { specKey } from "../../deploy/releases.js";
import type { AppSpec } from "../../manifest/types.js";
import { runsInstances } from "../../plan/regions.js";
import { applyToApp, NothingToChange } from "../../release/app-command.js";
import {
  type AppReleases,
  appReleases,
  derivedSpec,
  pendingAfter,
  refuseOverUnfinished,
} from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";
import type { Release } from "../../state/types.js";

/** The label that makes a restart a new release: every task's digest changes, so every instance is replaced. */
export const RESTART_LABEL = "titan.restarted-at";

export async function runRestart(env: Env, app: string, flags: ApplyFlags): Promise<number> {
  const at = new Date(env.clock.now()).toISOString();
  return applyToApp(
    env,
    { ...flags, apps: [app] },
    "restart",
    ["titan", "restart", app],
    async (store, conn) => {
      const releases = await appReleases(store, app);
      const release = releases.running;
      const region = flags.region ?? conn.target.region;
      const unfinished = unfinishedRestart(releases);
      if (unfinished !== undefined) {
        const begun = unfinished.spec.labels?.[RESTART_LABEL];
        if (flags.json !== true)
          writeLine(
            env.io.err,
            `Resuming the restart of ${app} begun at ${begun} (release ${unfinished.number}).`,
          );
        return derivedSpec(releases.releases, unfinished.spec);
      }
      if (!runsInstances(release.spec, region)) return stoppedApp(app, release);
      refuseOverUnfinished(releases, "restarting");
      return derivedSpec(releases.releases, {
        ...release.spec,
        labels: { ...release.spec.labels, [RESTART_LABEL]: at },
      });
    },
  );
}

/** A stopped app has no instance to replace: a restart is not how it starts again (as `kubectl rollout restart`). */
function stoppedApp(app: string, running: Release): NothingToChange {
  return new NothingToChange(
    `Nothing to do: ${app} is stopped (release ${running.number} runs no instances), so there is nothing to restart; start it with \`titan scale ${app} N\` or \`titan deploy\` of its manifest.`,
    "stopped",
  );
}

/**
 * The newest release when it is a restart of the running one that did not finish (interrupted, killed): re-running
 * `titan restart` resumes it under its own number, so the instances it already replaced are not replaced again.
 */
function unfinishedRestart(app: AppReleases): Release | undefined {
  const last = pendingAfter(app);
  if (last === undefined || last.spec.labels?.[RESTART_LABEL] === undefined) return undefined;
  return sameButRestart(last.spec, app.running.spec) ? last : undefined;
}

function sameButRestart(restarted: AppSpec, running: AppSpec): boolean {
  const withoutRestart = (spec: AppSpec): string => {
    const { [RESTART_LABEL]: at, ...others } = spec.labels ?? {};
    void at;
    return specKey({ ...spec, labels: others });
  };
  return withoutRestart(restarted) === withoutRestart(running);
}
