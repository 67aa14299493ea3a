import type { Env } from "../../cli/env.js";
import { InterruptedError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { teardownFramework } from "../../deploy/teardown.js";
import { applyToApp } from "../deploy/app-command.js";
import { checkAppName } from "../deploy/app-release.js";
import type { ApplyFlags } from "../deploy/options.js";

export async function runStop(
  env: Env,
  app: string,
  flags: ApplyFlags & { purge?: boolean },
): Promise<number> {
  checkAppName(app);
  const code = await applyToApp(
    env,
    { ...flags, apps: [app] },
    "stop",
    `titan stop ${app}`,
    async (store) => {
      const releases = await store.releases(app);
      const last = releases.at(-1);
      if (!last)
        throw new UsageError(`titan has no releases of ${app}`, "nothing of it was deployed with titan");
      return {
        ...last.spec,
        instances: 0,
        ...(last.spec.regions ? { regions: zero(last.spec.regions) } : {}),
      };
    },
  );
  if (code !== ExitCode.Ok || flags.purge !== true) return code;
  await purge(env, app, flags);
  return ExitCode.Ok;
}

function zero(regions: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.keys(regions).map((r) => [r, 0]));
}

async function purge(env: Env, app: string, flags: ApplyFlags): Promise<void> {
  if (flags.yes !== true) {
    if (!env.io.canPrompt)
      throw new UsageError(`refusing to purge ${app} without confirmation`, "re-run with --yes");
    const ok = await env
      .prompter()
      .confirm(
        `Remove the Mesos framework of ${app} and every record titan keeps of it (its releases)?`,
        false,
      );
    if (!ok) throw new InterruptedError("purge cancelled; the app is stopped and its records kept");
  }
  const { connect } = await import("../deploy/connect.js");
  const conn = await connect(env, flags);
  try {
    const frameworkId = await conn.store.frameworkId(app);
    if (frameworkId !== undefined)
      await teardownFramework(conn.cluster, app, frameworkId, conn.framework, env.signal);
    await conn.store.forgetApp(app);
    writeLine(env.io.err, `Purged ${app}: its framework is torn down and its releases are forgotten.`);
  } finally {
    await conn.close();
  }
}
