import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { MAX_INSTANCES } from "../../manifest/limits.js";
import { applyToApp } from "../../release/app-command.js";
import { appReleases, derivedSpec, refuseOverUnfinished, withInstances } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";

export async function runScale(env: Env, app: string, countText: string, flags: ApplyFlags): Promise<number> {
  // The same range as `instances:` in a manifest.
  const count = /^\d{1,9}$/.test(countText) ? Number(countText) : Number.NaN;
  if (!(count <= MAX_INSTANCES))
    throw new UsageError(
      `${JSON.stringify(countText)} is not a number of instances from 0 to ${MAX_INSTANCES}`,
      `e.g. titan scale ${app} 3`,
    );
  return applyToApp(
    env,
    { ...flags, apps: [app] },
    "scale",
    ["titan", "scale", app, String(count)],
    async (store) => {
      const releases = await appReleases(store, app);
      refuseOverUnfinished(releases, "scaling");
      return derivedSpec(releases.releases, withInstances(releases.running.spec, count, flags.region));
    },
  );
}
