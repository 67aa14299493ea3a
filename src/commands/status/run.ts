import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { readTitanTasks } from "../../cluster/live-source.js";
import { type AppStatus, statusJson, statusLine, verdictOf } from "../../observe/app-status.js";
import { groupByApp } from "../../observe/group.js";
import { checkAppName } from "../deploy/app-release.js";
import { readTitanState } from "../ps/state.js";
import { desiredIn, targetRelease } from "../ps/target.js";
import { unknownAppError } from "../unknown-app.js";
import type { StatusOptions } from "./command.js";

/** `titan status APP`: one line (or one JSON document) saying whether the app is OK. */
export async function runStatus(env: Env, app: string, opts: StatusOptions): Promise<number> {
  checkAppName(app);
  const target = await env.target(opts);
  const releases = await (await target.store()).releases(app);
  const { state, master } = await readTitanState(await target.client(), env.signal).finally(() =>
    target.close(),
  );
  const gone = new Set(
    (state.get_frameworks?.completed_frameworks ?? []).flatMap((f) =>
      f.framework_info.id === undefined ? [] : [f.framework_info.id.value],
    ),
  );
  const tasks = readTitanTasks(state, master).tasks.filter(
    (t) =>
      t.app === app &&
      !gone.has(t.frameworkId) &&
      (target.region === undefined || t.region === undefined || t.region === target.region),
  );
  if (releases.length === 0 && tasks.length === 0) throw unknownAppError(app);
  const group = groupByApp(tasks, { only: [app] })[0];
  const wanted = targetRelease(releases);
  const release = [...releases].reverse().find((r) => r.outcome === "deployed");
  const lastDeploy = releases.at(-1);
  const base = {
    app,
    running: group?.running ?? 0,
    healthy: group?.healthy ?? 0,
    ...(wanted === undefined ? {} : { desired: desiredIn(wanted, target.region) }),
    ...(release === undefined ? {} : { release }),
    ...(lastDeploy === undefined ? {} : { lastDeploy }),
  };
  const status: AppStatus = { ...base, verdict: verdictOf(base) };
  if (opts.json) writeLine(env.io.out, JSON.stringify(statusJson(status), null, 2));
  else writeLine(env.io.out, statusLine(status, env.clock.now()));
  return 0;
}
