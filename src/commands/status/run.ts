import { hostname } from "node:os";
import type { Env } from "../../cli/env.js";
import { InterruptedError, TimeoutError, TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { loadUserConfig } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import { type AppStatus, statusJson, statusLine, verdictOf } from "../../observe/app-status.js";
import { coverageOf } from "../../observe/coverage.js";
import { type DeployWait, deployWait } from "../../observe/deploy-wait.js";
import { groupByApp } from "../../observe/group.js";
import { describeLag, regionLags } from "../../observe/region-lag.js";
import { sleep } from "../../observe/sleep.js";
import { checkAppName } from "../../release/app-release.js";
import { parseTimeout } from "../../release/timeout.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { processAlive } from "../../state/file-store.js";
import type { Release, StateStore } from "../../state/types.js";
import { readTitanState } from "../ps/state.js";
import { desiredIn, targetRelease } from "../ps/target.js";
import type { StatusOptions } from "./command.js";

/** `titan status APP`: one line (or one JSON document) saying whether the app is OK; one per region of a context that spans regions. */
export async function runStatus(env: Env, app: string, opts: StatusOptions): Promise<number> {
  checkAppName(app);
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  if (timeoutMs !== undefined && !opts.wait)
    throw new UsageError("--timeout only goes with --wait", "add --wait, or drop --timeout");
  const { config } = await loadUserConfig(env);
  const regions = spannedRegions(config, opts, env.vars);
  const ends = opts.wait ? await waitForDeploy(env, app, opts, regions, timeoutMs) : [];
  const code = await answer(env, app, opts, regions);
  throwForEnds(app, ends);
  return code;
}

async function answer(
  env: Env,
  app: string,
  opts: StatusOptions,
  regions: readonly string[],
): Promise<number> {
  if (regions.length > 0) return statusOfRegions(env, app, opts, regions);
  const { status, releases, tasks } = await statusIn(env, await env.target(opts), app);
  if (releases.length === 0 && tasks === 0) throw unknownAppError(app);
  if (opts.json) writeLine(env.io.out, JSON.stringify(statusJson(status), null, 2));
  else writeLine(env.io.out, statusLine(status, env.clock.now()));
  return 0;
}

const WAIT_POLL_MS = 1000;

/** How a waited-for deploy ended in one target (a region, or the one cluster). */
type End = { where: string; state: DeployWait };

/**
 * Polls each target's state store until the app's newest release is no longer being deployed: ended (any outcome)
 * or abandoned (pending, but no deploy holds the lock). What the deploy says it waits for goes to stderr as it
 * changes. Ctrl-C stops the waiting, not the deploy.
 */
async function waitForDeploy(
  env: Env,
  app: string,
  opts: StatusOptions,
  regions: readonly string[],
  timeoutMs: number | undefined,
): Promise<End[]> {
  const targets = await Promise.all(
    (regions.length > 0 ? regions : [undefined]).map(async (region) => {
      const target = await env.target(region === undefined ? opts : { ...opts, region });
      return { where: region === undefined ? "" : `${region}: `, target, store: await target.store() };
    }),
  );
  const live = { hostname: hostname(), isAlive: processAlive };
  const started = env.clock.now();
  const said = new Map<string, string>();
  try {
    for (;;) {
      const now = env.clock.now();
      const ends = await Promise.all(
        targets.map(async ({ where, store }) => {
          const [releases, progress, lock] = await Promise.all([
            store.releases(app),
            store.progress(app).catch(() => undefined),
            store.currentLock(app).catch(() => undefined),
          ]);
          return { where, state: deployWait({ releases, progress, lock }, { ...live, now }) };
        }),
      );
      if (ends.every((e) => e.state.kind === "none")) throw unknownAppError(app);
      const running = ends.flatMap((e) =>
        e.state.kind === "running" ? [{ where: e.where, state: e.state }] : [],
      );
      if (running.length === 0) return ends;
      for (const { where, state } of running) {
        const line = `${where}${app}: release ${state.release} deploying${state.waiting === undefined ? "" : `: waiting for ${state.waiting.for}`}`;
        if (said.get(where) !== line) writeLine(env.io.err, line);
        said.set(where, line);
      }
      if (timeoutMs !== undefined && now - started >= timeoutMs)
        throw new TimeoutError(
          `${app}: release ${running[0]?.state.release} is still deploying after --timeout ${opts.timeout}`,
          `the deploy goes on; \`titan status ${app} --wait\` waits again`,
        );
      if (!(await sleep(WAIT_POLL_MS, env.signal)))
        throw new InterruptedError(
          "stopped waiting; the deploy goes on",
          `\`titan status ${app} --wait\` waits again`,
        );
    }
  } finally {
    await Promise.all(targets.map(({ target }) => target.close()));
  }
}

/** After the answer: a deploy that did not end well exits as that deploy did. */
function throwForEnds(app: string, ends: readonly End[]): void {
  for (const { where, state } of ends) {
    if (state.kind === "abandoned")
      throw new TitanError(
        `${where}release ${state.release} of ${app} is pending, but no deploy carries it out: ${state.why}`,
        {
          exitCode: ExitCode.Interrupted,
          hint: "run `titan deploy` again to resume it",
        },
      );
  }
  for (const { where, state } of ends) {
    if (state.kind !== "ended") continue;
    const { number, outcome, detail } = state.release;
    const why = detail === undefined ? "" : `: ${detail}`;
    if (outcome === "failed")
      throw new TitanError(`${where}release ${number} of ${app} failed${why}`, {
        exitCode: ExitCode.DeployFailed,
        hint: `see \`titan releases ${app}\``,
      });
    if (outcome === "rolled_back")
      throw new TitanError(`${where}release ${number} of ${app} was rolled back${why}`, {
        exitCode: ExitCode.RolledBack,
        hint: `see \`titan releases ${app}\``,
      });
  }
}

async function statusIn(
  env: Env,
  target: ClusterTarget,
  app: string,
): Promise<{ status: AppStatus; releases: Release[]; tasks: number }> {
  const store = await target.store();
  const releases = await store.releases(app);
  const reports = await store.supervisorReports().catch(() => undefined);
  const { state, titanTasks } = await readTitanState(await target.client(), env.signal).finally(() =>
    target.close(),
  );
  const gone = new Set(
    (state.get_frameworks?.completed_frameworks ?? []).flatMap((f) =>
      f.framework_info.id === undefined ? [] : [f.framework_info.id.value],
    ),
  );
  const tasks = titanTasks.tasks.filter(
    (t) =>
      t.app === app &&
      !gone.has(t.frameworkId) &&
      (target.region === undefined || t.region === undefined || t.region === target.region),
  );
  const group = groupByApp(tasks, { only: [app] })[0];
  const wanted = targetRelease(releases);
  const release = [...releases].reverse().find((r) => r.outcome === "deployed");
  const lastDeploy = releases.at(-1);
  const waiting = lastDeploy?.outcome === "pending" ? await waitOf(store, app, lastDeploy.number) : undefined;
  const base = {
    app,
    running: group?.running ?? 0,
    healthy: group?.healthy ?? 0,
    ...(wanted === undefined ? {} : { desired: desiredIn(wanted, target.region) }),
    ...(release === undefined ? {} : { release }),
    ...(lastDeploy === undefined ? {} : { lastDeploy }),
    ...(reports === undefined ? {} : { coverage: coverageOf(app, reports, env.clock.now()) }),
    ...(waiting === undefined ? {} : { waiting }),
  };
  return { status: { ...base, verdict: verdictOf(base) }, releases, tasks: tasks.length };
}

/** What the deploy of a pending release last said it waits for, from its progress record (best effort). */
async function waitOf(store: StateStore, app: string, release: number): Promise<AppStatus["waiting"]> {
  const progress = await store.progress(app).catch(() => undefined);
  if (progress?.release !== release || progress.phase === "interrupted" || progress.phase === "finished")
    return undefined;
  return progress.waiting;
}

/** One line per region, then the regions that lag a release the others run; an unreachable region says so (exit 1). */
async function statusOfRegions(
  env: Env,
  app: string,
  opts: StatusOptions,
  regions: readonly string[],
): Promise<number> {
  const answers = await Promise.all(
    regions.map(async (region) => {
      try {
        return { region, ...(await statusIn(env, await env.target({ ...opts, region }), app)) };
      } catch (error) {
        if (!(error instanceof TitanError) || env.signal.aborted) throw error;
        return { region, error: error.message };
      }
    }),
  );
  if (answers.every((a) => "status" in a && a.releases.length === 0 && a.tasks === 0))
    throw unknownAppError(app);
  const lags = regionLags(
    app,
    new Map(answers.map((a) => [a.region, "releases" in a ? a.releases : undefined])),
  );
  const now = env.clock.now();
  if (opts.json) {
    const document = {
      app,
      regions: answers.map((a) =>
        "status" in a ? { region: a.region, ...statusJson(a.status) } : { region: a.region, error: a.error },
      ),
      lagging: lags.map((l) => ({
        region: l.region,
        release: l.release,
        of_region: l.ahead,
        since: new Date(l.since).toISOString(),
      })),
    };
    writeLine(env.io.out, JSON.stringify(document, null, 2));
  } else {
    for (const a of answers)
      writeLine(
        env.io.out,
        "status" in a ? `${a.region}: ${statusLine(a.status, now)}` : `${a.region}: unavailable: ${a.error}`,
      );
    for (const lag of lags) writeLine(env.io.out, `lagging: ${describeLag(lag)}`);
  }
  return answers.some((a) => "error" in a) ? ExitCode.Runtime : ExitCode.Ok;
}
