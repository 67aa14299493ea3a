import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { canonicalJson } from "../../cluster/canonical.js";
import type { AppSpec } from "../../manifest/types.js";
import { applyToApp } from "../../release/app-command.js";
import { refuseOverUnfinished, runningRelease } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";
import type { Release, StateStore } from "../../state/types.js";

/** The label that makes a restart a new release: every task's digest changes, so every instance is replaced. */
export const RESTART_LABEL = "titan.restarted-at";

export async function runRestart(env: Env, app: string, flags: ApplyFlags): Promise<number> {
  const at = new Date(env.clock.now()).toISOString();
  return applyToApp(env, { ...flags, apps: [app] }, "restart", ["titan", "restart", app], async (store) => {
    const release = await runningRelease(store, app);
    const unfinished = await unfinishedRestart(store, release);
    if (unfinished !== undefined) {
      const begun = unfinished.spec.labels?.[RESTART_LABEL];
      if (flags.json !== true)
        writeLine(
          env.io.err,
          `Resuming the restart of ${app} begun at ${begun} (release ${unfinished.number}).`,
        );
      return unfinished.spec;
    }
    await refuseOverUnfinished(store, release, "restarting");
    return { ...release.spec, labels: { ...release.spec.labels, [RESTART_LABEL]: at } };
  });
}

/**
 * The newest release when it is a restart of the running one that did not finish (interrupted, killed): re-running
 * `titan restart` resumes it under its own number, so the instances it already replaced are not replaced again.
 */
async function unfinishedRestart(store: StateStore, running: Release): Promise<Release | undefined> {
  const last = (await store.releases(running.app)).at(-1);
  if (last === undefined || last.outcome !== "pending" || last.number < running.number) return undefined;
  if (last.spec.labels?.[RESTART_LABEL] === undefined) return undefined;
  return sameButRestart(last.spec, running.spec) ? last : undefined;
}

function sameButRestart(restarted: AppSpec, running: AppSpec): boolean {
  const withoutRestart = ({ source, labels, ...rest }: AppSpec): string => {
    void source;
    const { [RESTART_LABEL]: at, ...others } = labels ?? {};
    void at;
    return canonicalJson({ ...rest, labels: others });
  };
  return withoutRestart(restarted) === withoutRestart(running);
}
