import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { applyToApp } from "../deploy/app-command.js";
import { runningRelease, withInstances } from "../deploy/app-release.js";
import type { ApplyFlags } from "../deploy/options.js";

export async function runScale(env: Env, app: string, countText: string, flags: ApplyFlags): Promise<number> {
  if (!/^\d{1,5}$/.test(countText))
    throw new UsageError(
      `${JSON.stringify(countText)} is not a number of instances`,
      `e.g. titan scale ${app} 3`,
    );
  const count = Number(countText);
  return applyToApp(env, { ...flags, apps: [app] }, "scale", `titan scale ${app} ${count}`, async (store) => {
    const release = await runningRelease(store, app);
    return withInstances(release.spec, count, flags.region);
  });
}
