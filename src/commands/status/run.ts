import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import {
  type AppStatus,
  otherReleasesOf,
  statusJson,
  statusLine,
  verdictOf,
} from "../../observe/app-status.js";
import { coverageOf } from "../../observe/coverage.js";
import { groupByApp } from "../../observe/group.js";
import { describeLag, regionLags } from "../../observe/region-lag.js";
import { instancesIn } from "../../plan/regions.js";
import { checkAppName } from "../../release/app-release.js";
import { parseTimeout } from "../../release/timeout.js";
import { unknownAppError, unknownAppOn } from "../../release/unknown-app.js";
import { newestDeployed } from "../../state/deployed.js";
import { liveness } from "../../state/live-lock.js";
import { MISSING_STORE_HINT, missingStore, missingStoreNote } from "../../state/missing.js";
import type { Release } from "../../state/types.js";
import { readTitanState } from "../ps/state.js";
import { targetRelease } from "../ps/target.js";
import { checkRegionSeen, regionsNamed } from "../regions/span.js";
import type { StatusOptions } from "./command.js";
import { type End, readDeployWait, throwForEnds, waitForDeploys } from "./wait.js";

/**
 * `titan status APP…`: one line (or one JSON document) per app saying whether it is OK; one per region of a context
 * that spans regions. With --wait, first waits for every app's running deploy, then exits as the first listed app
 * whose deploy did not end deployed.
 */
export async function runStatus(env: Env, names: readonly string[], opts: StatusOptions): Promise<number> {
  for (const app of names) checkAppName(app);
  const timeoutMs = opts.timeout === undefined ? undefined : parseTimeout(opts.timeout);
  if (timeoutMs !== undefined && !opts.wait)
    throw new UsageError("--timeout only goes with --wait", "add --wait, or drop --timeout");
  const { config } = await loadUserConfig(env);
  const regions = spannedRegions(config, opts, env.vars);
  const everyApp = names.length === 0;
  const known = everyApp ? await knownApps(env, opts, regions) : { apps: [...new Set(names)], missing: [] };
  const { apps } = known;
  if (apps.length === 0) {
    if (opts.json) writeLine(env.io.out, JSON.stringify({ apps: [] }, null, 2));
    else writeLine(env.io.err, noAppsLine(known.missing));
    return ExitCode.Ok;
  }
  const ends = opts.wait
    ? await waitForDeploys(env, apps, opts, regions, timeoutMs)
    : new Map<string, End[]>();
  // Every app is read before anything is printed: an unknown one is an error, not a half-printed answer.
  const answers: Answer[] = [];
  for (const app of apps) answers.push(await answer(env, app, opts, regions));
  if (opts.json) {
    const [only] = answers;
    const document =
      answers.length === 1 && only !== undefined && !everyApp
        ? only.json
        : { apps: answers.map((a) => a.json) };
    writeLine(env.io.out, JSON.stringify(document, null, 2));
  } else for (const a of answers) for (const line of a.lines) writeLine(env.io.out, line);
  for (const app of apps) throwForEnds(app, ends.get(app) ?? []);
  return answers.some((a) => a.code !== ExitCode.Ok) ? ExitCode.Runtime : ExitCode.Ok;
}

/**
 * Every app the context's state store holds releases of (each region's, for a context that spans regions), in name
 * order. A region whose store cannot be read adds none: its line for each app says why.
 */
async function knownApps(env: Env, opts: StatusOptions, regions: readonly string[]): Promise<KnownApps> {
  const listed = async (flags: StatusOptions): Promise<KnownApps> => {
    const target = await env.target(flags);
    try {
      const store = await target.observedStore();
      const missing = await missingStore(store);
      if (missing !== undefined) return { apps: [], missing: [missing] };
      const apps: string[] = [];
      for (const app of await store.apps()) if ((await store.releases(app)).length > 0) apps.push(app);
      return { apps, missing: [] };
    } finally {
      await target.close();
    }
  };
  if (regions.length === 0) return listed(opts);
  const perRegion = await Promise.all(
    regions.map((region) =>
      listed({ ...opts, region }).catch((error: unknown) => {
        if (!(error instanceof TitanError) || env.signal.aborted) throw error;
        return { apps: [], missing: [] };
      }),
    ),
  );
  return {
    apps: [...new Set(perRegion.flatMap((r) => r.apps))].sort(),
    missing: [...new Set(perRegion.flatMap((r) => r.missing))],
  };
}

/** The apps the stores hold releases of, and the stores (of the regions read) that do not exist. */
interface KnownApps {
  apps: string[];
  missing: string[];
}

/**
 * What `status` says when no store holds an app. An empty store is the normal start (exit 0, as for a store that
 * does not exist yet); one that does not exist is named, since a mistyped URL looks just like it.
 */
function noAppsLine(missing: readonly string[]): string {
  if (missing.length === 0)
    return "No apps: the state store of this context holds no release (titan deploy makes one).";
  return `No apps: ${missing.map(missingStoreNote).join("; ")} (${MISSING_STORE_HINT}).`;
}

/** One app's answer: its lines, its JSON document, and whether every region could be read. */
interface Answer {
  lines: string[];
  json: unknown;
  code: number;
}

async function answer(
  env: Env,
  app: string,
  opts: StatusOptions,
  regions: readonly string[],
): Promise<Answer> {
  if (regions.length > 0) return statusOfRegions(env, app, opts, regions);
  const target = await env.target(opts);
  const { status, releases, tasks } = await statusIn(env, target, app, opts);
  if (releases.length === 0 && tasks === 0) throw await unknownAppOn(target, app);
  const json = statusJson(status, target.region);
  return { lines: [statusLine(status, env.clock.now())], json, code: ExitCode.Ok };
}

/** The app's status on one target, whose connections (the store's among them) are closed once it is read. */
async function statusIn(
  env: Env,
  target: ClusterTarget,
  app: string,
  flags: TargetFlags,
): Promise<{ status: AppStatus; releases: Release[]; tasks: number }> {
  try {
    return await readStatus(env, target, app, flags);
  } finally {
    await target.close();
  }
}

async function readStatus(
  env: Env,
  target: ClusterTarget,
  app: string,
  flags: TargetFlags,
): Promise<{ status: AppStatus; releases: Release[]; tasks: number }> {
  const store = await target.observedStore();
  const releases = await store.releases(app);
  const reports = await store.supervisorReports().catch(() => undefined);
  const { state, titanTasks } = await readTitanState(await target.client(), env.signal);
  await checkRegionSeen(env, flags, target.region, regionsNamed(titanTasks.tasks, [releases]));
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
  const release = newestDeployed(releases);
  const lastDeploy = releases.at(-1);
  const wait =
    lastDeploy?.outcome === "pending"
      ? await readDeployWait(store, app, releases, env.clock.now())
      : undefined;
  const base = {
    app,
    running: group?.running ?? 0,
    healthy: group?.healthy ?? 0,
    ...(wanted === undefined ? {} : { desired: instancesIn(wanted.spec, target.region) }),
    ...(release === undefined ? {} : { release }),
    ...(lastDeploy === undefined ? {} : { lastDeploy }),
    ...(reports === undefined ? {} : { coverage: coverageOf(app, reports, liveness(env.clock.now())) }),
    ...(wait?.kind === "running" && wait.waiting !== undefined ? { waiting: wait.waiting } : {}),
    ...(wait?.kind === "abandoned" ? { interrupted: wait.why } : {}),
    ...(wait?.kind === "abandoned" && wait.rollingBack === true ? { finishing: wait.resume } : {}),
    ...(release === undefined
      ? {}
      : {
          otherReleases: otherReleasesOf(
            tasks.filter((t) => t.state === "TASK_RUNNING"),
            release,
            releases,
          ),
        }),
  };
  return { status: { ...base, verdict: verdictOf(base) }, releases, tasks: tasks.length };
}

/** One line per region, then the regions that lag a release the others run; an unreachable region says so (exit 1). */
async function statusOfRegions(
  env: Env,
  app: string,
  opts: StatusOptions,
  regions: readonly string[],
): Promise<Answer> {
  const answers = await Promise.all(
    regions.map(async (region) => {
      try {
        return { region, ...(await statusIn(env, await env.target({ ...opts, region }), app, opts)) };
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
  const json = {
    app,
    regions: answers.map((a) =>
      "status" in a
        ? { region: a.region, ...statusJson(a.status, a.region) }
        : { region: a.region, error: a.error },
    ),
    lagging: lags.map((l) => ({
      region: l.region,
      release: l.release,
      of_region: l.ahead,
      since: new Date(l.since).toISOString(),
    })),
  };
  const lines = [
    ...answers.map((a) =>
      "status" in a
        ? `${a.region}: ${statusLine(a.status, now)}`
        : `${a.region}: unavailable: ${escapeTerminal(a.error)}`,
    ),
    ...lags.map((lag) => `lagging: ${escapeTerminal(describeLag(lag))}`),
  ];
  return { lines, json, code: answers.some((a) => "error" in a) ? ExitCode.Runtime : ExitCode.Ok };
}
