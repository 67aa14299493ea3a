import type { Env } from "../../cli/env.js";
import { applyToApp } from "../../release/app-command.js";
import { runningRelease } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";

/** The label that makes a restart a new release: every task's digest changes, so every instance is replaced. */
export const RESTART_LABEL = "titan.restarted-at";

export async function runRestart(env: Env, app: string, flags: ApplyFlags): Promise<number> {
  const at = new Date(env.clock.now()).toISOString();
  return applyToApp(env, { ...flags, apps: [app] }, "restart", `titan restart ${app}`, async (store) => {
    const release = await runningRelease(store, app);
    return { ...release.spec, labels: { ...release.spec.labels, [RESTART_LABEL]: at } };
  });
}
