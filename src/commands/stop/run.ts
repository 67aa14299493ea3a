import type { Env } from "../../cli/env.js";
import { UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { teardownFramework } from "../../deploy/teardown.js";
import { FrameworkRemovedError } from "../../mesos/errors.js";
import { applyToApp } from "../../release/app-command.js";
import { checkAppName, type DerivedSpec, derivedSpec } from "../../release/app-release.js";
import type { ApplyFlags } from "../../release/flags.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { newestDeployed } from "../../state/deployed.js";
import type { StateStore } from "../../state/types.js";

/** Stops every instance of each app in one plan and one confirmation; `--purge` then forgets them. */
export async function runStop(
  env: Env,
  apps: readonly string[],
  flags: ApplyFlags & { purge?: boolean },
): Promise<number> {
  const names = [...new Set(apps)];
  for (const app of names) checkAppName(app);
  const resume = ["titan", "stop", ...names];
  const code = await applyToApp(env, { ...flags, apps: names }, "stop", resume, (store) =>
    Promise.all(names.map((app) => stoppedSpec(store, app))),
  );
  if (code !== ExitCode.Ok || flags.purge !== true) return code;
  if (flags.dryRun === true) {
    writeLine(
      env.io.err,
      `Dry run: --purge would then remove the framework and records of ${names.join(", ")}.`,
    );
    return code;
  }
  if (await confirmPurge(env, names, flags)) await purge(env, names, flags);
  return ExitCode.Ok;
}

/**
 * The spec that runs, with no instances: the newest deployed release's (a failed or rolled-back release never ran
 * as a whole, and `scale` after the stop would deploy it), else the newest release's.
 */
async function stoppedSpec(store: StateStore, app: string): Promise<DerivedSpec> {
  const releases = await store.releases(app);
  const last = newestDeployed(releases) ?? releases.at(-1);
  if (!last) throw unknownAppError(app);
  return derivedSpec(releases, {
    ...last.spec,
    instances: 0,
    ...(last.spec.regions ? { regions: zero(last.spec.regions) } : {}),
  });
}

function zero(regions: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(regions).map((r) => [r, 0]));
}

async function confirmPurge(env: Env, apps: readonly string[], flags: ApplyFlags): Promise<boolean> {
  if (flags.yes === true) return true;
  const which = apps.join(", ");
  if (!env.io.canPrompt)
    throw new UsageError(
      `refusing to purge ${which} without confirmation: ${env.io.whyNoPrompt ?? "no prompt can be shown"}`,
      "re-run with --yes",
    );
  const ok = await env
    .prompter()
    .confirm(
      `Remove the Mesos framework of ${which} and every record titan keeps of it (its releases)?`,
      false,
    );
  if (!ok) writeLine(env.io.err, `Purge declined: ${which} stays stopped and its records are kept.`);
  return ok;
}

async function purge(env: Env, apps: readonly string[], flags: ApplyFlags): Promise<void> {
  const { connect } = await import("../../release/connect.js");
  const conn = await connect(env, { ...flags, apps });
  try {
    for (const app of apps) {
      const frameworkId = await conn.store.frameworkId(app);
      const gone =
        frameworkId !== undefined &&
        (await teardownFramework(conn.cluster, app, frameworkId, conn.framework, env.signal).then(
          () => false,
          (error: unknown) => {
            // Torn down already: a purge stopped between the teardown and forgetting the records, or Mesos removed
            // it after its failover timeout. What is left to do is forget.
            if (error instanceof FrameworkRemovedError) return true;
            throw error;
          },
        ));
      await conn.store.forgetApp(app);
      const how = gone ? "its framework was already removed" : "its framework is torn down";
      writeLine(env.io.err, `Purged ${app}: ${how} and its releases are forgotten.`);
    }
  } finally {
    await conn.close();
  }
}
