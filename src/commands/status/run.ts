import type { Env } from "../../cli/env.js";
import { TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import { escapeTerminal } from "../../cli/terminal-text.js";
import type { TitanTask } from "../../cluster/types.js";
import { loadUserConfig, type TargetFlags } from "../../config/index.js";
import { spannedRegions } from "../../config/resolve.js";
import type { ClusterTarget } from "../../config/target.js";
import type { GetState } from "../../mesos/types/operator.js";
import {
  type AppStatus,
  otherReleasesOf,
  statusJson,
  statusLine,
  verdictOf,
} from "../../observe/app-status.js";
import { coverageOf } from "../../observe/coverage.js";
import { groupByApp } from "../../observe/group.js";
import { localClusterStart, lostToRestart, restartNote } from "../../observe/local-restart.js";
import { recoveringAgents } from "../../observe/recovering.js";
import { describeLag, type RegionLag, regionLags } from "../../observe/region-lag.js";
import { REGION_HOLD_MS, showInRegionOrder } from "../../observe/region-order.js";
import { instancesIn } from "../../plan/regions.js";
import { checkAppName } from "../../release/app-release.js";
import { parseTimeout } from "../../release/timeout.js";
import { unknownAppError, unknownAppIn } from "../../release/unknown-app.js";
import { newestDeployed } from "../../state/deployed.js";
import { liveness } from "../../state/live-lock.js";
import { MISSING_STORE_HINT, missingStore, missingStoreNote } from "../../state/missing.js";
import type { Release, StateStore, SupervisorReport } from "../../state/types.js";
import { listedTasks, readTitanState } from "../ps/state.js";
import { targetRelease } from "../ps/target.js";
import { checkRegionSeen, regionsNamed } from "../regions/span.js";
import type { StatusOptions } from "./command.js";
import { type End, readDeployWait, throwForEnds, throwForUnstarted, waitForDeploys } from "./wait.js";

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
    await readAndClose(env, opts, regions);
    if (opts.json) writeLine(env.io.out, JSON.stringify({ apps: [] }, null, 2));
    else writeLine(env.io.err, noAppsLine(known.missing));
    return ExitCode.Ok;
  }
  const ends = opts.wait
    ? await waitForDeploys(env, apps, opts, regions, timeoutMs)
    : new Map<string, End[]>();
  // Such an app may be one titan knows nothing else of (its first deploy): its answer is how that deploy ended.
  for (const app of apps) throwForUnstarted(app, ends.get(app) ?? []);
  if (regions.length > 0) {
    const code = await statusOfRegions(env, apps, opts, regions, everyApp);
    for (const app of apps) throwForEnds(app, ends.get(app) ?? []);
    return code;
  }
  // Every app is read before anything is printed: an unknown one is an error, not a half-printed answer.
  const answers: Answer[] = [];
  const target = await env.target(opts);
  try {
    const view = await readView(env, target);
    for (const app of apps) answers.push(await answer(env, target, view, app, opts));
  } finally {
    await target.close();
  }
  if (opts.json) {
    const [only] = answers;
    const document =
      answers.length === 1 && only !== undefined && !everyApp
        ? only.json
        : { apps: answers.map((a) => a.json) };
    writeLine(env.io.out, JSON.stringify(document, null, 2));
  } else for (const a of answers) for (const line of a.lines) writeLine(env.io.out, line);
  for (const app of apps) throwForEnds(app, ends.get(app) ?? []);
  return ExitCode.Ok;
}

/**
 * Closes the command's targets (each region's, or the one cluster's) and with them its store connections; the one
 * cluster is read first, as when apps are shown: a cluster that cannot be read (the local cluster
 * not running) is an error whether or not the store holds an app, as it is for `ps` (a context that spans regions
 * is not read: its regions' lines would say which one cannot be).
 */
async function readAndClose(env: Env, opts: StatusOptions, regions: readonly string[]): Promise<void> {
  const flags = regions.length > 0 ? regions.map((region) => ({ ...opts, region })) : [opts];
  await Promise.all(
    flags.map(async (f) => {
      const target = await env.target(f);
      try {
        if (regions.length === 0) await readTitanState(await target.client(), env.signal);
      } finally {
        await target.close();
      }
    }),
  );
}

/**
 * Every app the context's state store holds releases of (each region's, for a context that spans regions), in name
 * order. A region whose store cannot be read adds none: its line for each app says why. The stores stay open for
 * the rest of the command, which reads them again.
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
    } catch (error) {
      await target.close();
      throw error;
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

/** One app's answer on a single cluster: its line and its JSON document. */
interface Answer {
  lines: string[];
  json: unknown;
}

async function answer(
  env: Env,
  target: ClusterTarget,
  view: ClusterView,
  app: string,
  opts: StatusOptions,
): Promise<Answer> {
  const { status, releases, tasks } = await statusOf(env, target, view, app, opts);
  if (releases.length === 0 && tasks === 0) throw await unknownAppIn(view.store, app);
  const json = statusJson(status, env.clock.now(), target.region);
  return { lines: [statusLine(status, env.clock.now())], json };
}

/** One app on one cluster: its status, its releases, and how many of its tasks the cluster lists. */
interface AppOnCluster {
  status: AppStatus;
  releases: Release[];
  tasks: number;
}

/** What `status` reads of a cluster once for all the apps it shows: its store, supervisors and titan's tasks. */
interface ClusterView {
  store: StateStore;
  /** When the local cluster started, for the local context. */
  localStart: number | undefined;
  reports: SupervisorReport[] | undefined;
  state: GetState;
  tasks: TitanTask[];
}

async function readView(env: Env, target: ClusterTarget): Promise<ClusterView> {
  const store = await target.observedStore();
  const reports = await store.supervisorReports().catch(() => undefined);
  const { state, titanTasks } = await readTitanState(await target.client(), env.signal);
  const localStart = target.local ? await localClusterStart(env) : undefined;
  return { store, reports, state, tasks: titanTasks.tasks, localStart };
}

async function statusOf(
  env: Env,
  target: ClusterTarget,
  view: ClusterView,
  app: string,
  flags: TargetFlags,
): Promise<AppOnCluster> {
  const { store, reports, state } = view;
  const releases = await store.releases(app);
  await checkRegionSeen(env, flags, target.region, regionsNamed(view.tasks, [releases]));
  const tasks = listedTasks(state, view.tasks, target.region).filter((t) => t.app === app);
  const coverage = reports === undefined ? undefined : coverageOf(app, reports, liveness(env.clock.now()));
  const group = groupByApp(tasks, {
    only: [app],
    ...(coverage === undefined ? {} : { coverage: new Map([[app, coverage]]) }),
  })[0];
  const restarting = [...(group?.restarting?.values() ?? []), ...(group?.restartingUnlisted ?? [])].sort(
    (a, b) => a.instance - b.instance,
  );
  const wanted = targetRelease(releases);
  const release = newestDeployed(releases);
  const desired = wanted === undefined ? undefined : instancesIn(wanted.spec, target.region);
  const lost = lostToRestart(view.localStart, release, desired, group?.running ?? 0);
  const recovering = recoveringAgents(state);
  const lastDeploy = releases.at(-1);
  const wait =
    lastDeploy?.outcome === "pending"
      ? await readDeployWait(store, app, releases, env.clock.now())
      : undefined;
  const base = {
    app,
    running: group?.running ?? 0,
    ...((group?.stopping ?? 0) === 0 ? {} : { stopping: group?.stopping }),
    healthy: group?.healthy ?? 0,
    ...(desired === undefined ? {} : { desired }),
    ...(release === undefined ? {} : { release }),
    ...(lastDeploy === undefined ? {} : { lastDeploy }),
    ...(coverage === undefined ? {} : { coverage }),
    ...(restarting.length === 0 ? {} : { restarting }),
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
    ...(lost === undefined ? {} : { note: restartNote(lost) }),
    ...(recovering === 0 ? {} : { recoveringAgents: recovering }),
  };
  return { status: { ...base, verdict: verdictOf(base) }, releases, tasks: tasks.length };
}

/** One region's answer for every app shown, or why the region could not be read. */
type RegionAnswer = { region: string; apps: Map<string, AppOnCluster> } | { region: string; error: string };

/** Every app's status in one region, read with one GET_STATE; an unreachable region is an answer saying why. */
async function readRegion(
  env: Env,
  opts: StatusOptions,
  region: string,
  apps: readonly string[],
): Promise<RegionAnswer> {
  try {
    const target = await env.target({ ...opts, region });
    try {
      const view = await readView(env, target);
      const answers = new Map<string, AppOnCluster>();
      for (const app of apps) answers.set(app, await statusOf(env, target, view, app, opts));
      return { region, apps: answers };
    } finally {
      await target.close();
    }
  } catch (error) {
    if (!(error instanceof TitanError) || env.signal.aborted) throw error;
    return { region, error: error.message };
  }
}

/** Whether a region's answer knows the app: a release in its store, or a task on its cluster. */
function knowsApp(answer: RegionAnswer, app: string): boolean {
  if ("error" in answer) return false;
  const found = answer.apps.get(app);
  return found !== undefined && (found.releases.length > 0 || found.tasks > 0);
}

/** An app that every region answered for without knowing it is an error, not lines of zeros. */
function checkKnown(apps: readonly string[], answers: readonly RegionAnswer[]): void {
  for (const app of apps)
    if (answers.every((a) => "apps" in a && !knowsApp(a, app))) throw unknownAppError(app);
}

function lagsOf(app: string, answers: readonly RegionAnswer[]): RegionLag[] {
  return regionLags(
    app,
    new Map(answers.map((a) => [a.region, "apps" in a ? a.apps.get(app)?.releases : undefined])),
  );
}

/**
 * Per app, one line per region, then the regions that lag a release the others run; an unreachable region says so
 * (exit 1). Every region is read at once. As text, the regions in within the hold are shown in region order and a
 * region that answers later (a master that hangs answers only when its deadline passes) after them, so that it
 * hides nothing else; a lag learned from it is said there. JSON is one document, written once every region answered.
 */
async function statusOfRegions(
  env: Env,
  apps: readonly string[],
  opts: StatusOptions,
  regions: readonly string[],
  everyApp: boolean,
): Promise<number> {
  const reads = regions.map((region) => readRegion(env, opts, region, apps));
  const answers = opts.json ? await Promise.all(reads) : await showLines(env, apps, reads);
  if (opts.json) {
    checkKnown(apps, answers);
    const documents = apps.map((app) => regionsJson(app, answers, env.clock.now()));
    const [only] = documents;
    const document = documents.length === 1 && only !== undefined && !everyApp ? only : { apps: documents };
    writeLine(env.io.out, JSON.stringify(document, null, 2));
  }
  return answers.some((a) => "error" in a) ? ExitCode.Runtime : ExitCode.Ok;
}

function regionsJson(app: string, answers: readonly RegionAnswer[], now: number): unknown {
  return {
    app,
    regions: answers.map((a) => {
      const found = "apps" in a ? a.apps.get(app) : undefined;
      return found !== undefined
        ? { region: a.region, ...statusJson(found.status, now, a.region) }
        : { region: a.region, error: "error" in a ? a.error : "not read" };
    }),
    lagging: lagsOf(app, answers).map((l) => ({
      region: l.region,
      release: l.release,
      of_region: l.ahead,
      since: new Date(l.since).toISOString(),
    })),
  };
}

/** The regions' lines, written as the regions answer (see statusOfRegions). */
function showLines(
  env: Env,
  apps: readonly string[],
  reads: ReadonlyArray<Promise<RegionAnswer>>,
): Promise<RegionAnswer[]> {
  const shown = new Set<string>();
  const lagsSaid = new Set<string>();
  return showInRegionOrder(reads, {
    holdMs: REGION_HOLD_MS,
    enough: (known) => apps.every((app) => known.some((k) => knowsApp(k.value, app))),
    show: (batch, known) => {
      const answers = known.map((k) => k.value);
      if (known.length === reads.length) checkKnown(apps, answers);
      for (const { value } of batch) shown.add(value.region);
      const now = env.clock.now();
      const lines: string[] = [];
      for (const app of apps) {
        for (const { value } of batch) lines.push(regionLine(value, app, now));
        for (const lag of lagsOf(app, answers)) {
          const key = `${lag.app}\0${lag.region}`;
          if (lagsSaid.has(key) || !shown.has(lag.region)) continue;
          lagsSaid.add(key);
          lines.push(`lagging: ${escapeTerminal(describeLag(lag))}`);
        }
      }
      if (lines.length > 0) writeLine(env.io.out, lines.join("\n"));
    },
  });
}

function regionLine(answer: RegionAnswer, app: string, now: number): string {
  if ("error" in answer) return `${answer.region}: unavailable: ${escapeTerminal(answer.error)}`;
  const found = answer.apps.get(app);
  return found === undefined
    ? `${answer.region}: unavailable: not read`
    : `${answer.region}: ${statusLine(found.status, now)}`;
}
