import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { commandLine } from "../cli/command-line.js";
import type { Env } from "../cli/env.js";
import { InterruptedError, TimeoutError, TitanError, UsageError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import { writeLine } from "../cli/io.js";
import { canonicalJson } from "../cluster/canonical.js";
import { agentsScheduledForMaintenance } from "../cluster/maintenance.js";
import type { ClusterSnapshot } from "../cluster/types.js";
import { type AppDeployResult, checkPlanHolds, deployApp } from "../deploy/deploy.js";
import { launchEnvironment } from "../deploy/environment.js";
import { writeEvent } from "../deploy/event-line.js";
import type { DeployEvent } from "../deploy/events.js";
import { holdLocksAhead, LOCK_LEASE_MS, type LocksAhead } from "../deploy/lock.js";
import type { PlannedAgent } from "../deploy/offer-plan.js";
import { jsonView, lineView, type ProgressView, ttyView } from "../deploy/progress.js";
import { type SeenRelease, seenNewest } from "../deploy/releases.js";
import type { AppSpec } from "../manifest/types.js";
import { coverageOf, failoverWarning, lastHeldAt } from "../observe/coverage.js";
import { buildPlan, scaleInWanted } from "../plan/build.js";
import { hasChanges } from "../plan/diff.js";
import { PLAN_JSON_VERSION, planToJson } from "../plan/json.js";
import { notFittingHint, notFittingSummary } from "../plan/not-fitting.js";
import { desiredInstances, resolveRegion, runsInstances } from "../plan/regions.js";
import { renderPlan } from "../plan/render.js";
import type { AppPlan, Plan } from "../plan/types.js";
import { imageLines, imagesToJson, pinAppImages, plannedImages } from "../registry/apps.js";
import type { PinnedImage } from "../registry/pin.js";
import { describeBrokenLock } from "../state/errors.js";
import { liveness } from "../state/live-lock.js";
import type { StateStore } from "../state/types.js";
import { checkOutputReader } from "./check-output.js";
import type { Connection } from "./connect.js";
import { type DisruptionOverride, passDisruption } from "./disruption.js";
import { failedError, rolledBackError } from "./failed-release.js";
import { pendingRelease } from "./pending.js";
import { readRecoveredCluster } from "./recovered-cluster.js";
import { otherRunningSpecs } from "./running.js";

export interface ApplyOptions {
  yes: boolean;
  json: boolean;
  region?: string;
  /** `--timeout` in ms. */
  timeoutMs?: number;
  forceUnlock: boolean;
  autoRollback: boolean;
  /** `--plan FILE`: apply exactly this reviewed plan. */
  planFile?: string;
  /** What the lock and the prompt call this change: "deploy", "rollback", "scale", ... */
  verb: string;
  /** The command that resumes after an interruption, e.g. `titan deploy -f titan.yaml`. */
  resume: string;
  /** The target flags the command was given (`--context prod`), for the other commands a hint names. */
  target?: readonly string[];
  /** Agents to empty (`titan drain`): nothing new lands there and what runs there moves elsewhere. */
  draining?: ReadonlySet<string>;
  /** A last step once every app is where the plan put it (`titan drain` marks the agents for maintenance). */
  followUp?: FollowUp;
  /** `--override-disruption REASON`: replace instances despite an app's disruption windows and `max_per_hour`. */
  overrideDisruption?: string;
  /** `--dry-run`: every check up to the confirmation, then stop. */
  dryRun?: boolean;
  /** Lines shown above the plan (text only) when it changes something: what the change is (a rollback's from → to). */
  preface?: readonly string[];
  /** Each app's image that runs now, by app, for the images block to show what it replaces (a rollback). */
  replacingImages?: ReadonlyMap<string, string>;
  /**
   * Each app's newest release as the command read it to derive the app's spec from its releases (`scale`,
   * `restart`, `rollback`, `stop`, `drain`): the plan is carried out only while it is still the newest. Without it
   * (a manifest's specs) each app's newest release is read just before the cluster's state.
   */
  plannedFrom?: ReadonlyMap<string, SeenRelease>;
  /** Told each app's release once its deploy holds the lock and has recorded (or resumed) it. */
  onRelease?: (app: string, release: number) => void;
  /** Told once the rollout ends, before its outcome is shown (the `done` event, the summary, an error). */
  onEnding?: () => void;
}

export interface FollowUp {
  /** Said in the plan's confirmation after the apps, e.g. "bring agent-2 down for maintenance". */
  describe: string;
  /**
   * Once the change is confirmed, before any app changes (`titan drain` schedules the agents' maintenance). The
   * locks of every app that changes are held by then: no `titan supervise` acts on those apps any more.
   */
  before?(): Promise<void>;
  run(): Promise<void>;
}

/**
 * The loop every changing command shares: read the cluster, plan, show the plan, confirm, then deploy each app
 * that changes with the rollout engine, and turn the outcome into the exit code.
 */
export async function applyApps(
  env: Env,
  conn: Connection,
  apps: readonly AppSpec[],
  options: ApplyOptions,
): Promise<number> {
  const { io } = env;
  const saved = options.planFile === undefined ? undefined : await readSavedPlan(env, options.planFile);
  const region = options.region ?? conn.target.region;
  const launches = (app: AppSpec) => runsInstances(app, region);
  if (saved !== undefined && options.planFile !== undefined)
    checkPlanPinned(options.planFile, saved, apps.filter(launches));
  // Images are pinned before anything is read or changed; a reviewed plan's digests are kept exactly.
  const pinned = await pinAppImages(env, conn.target.cluster, apps, saved?.images, launches);
  // A release recorded after this (a teammate's) is one the plan may not have seen: it refuses the plan.
  const appNames = apps.map((app) => app.name);
  const plannedFrom = options.plannedFrom ?? (await newestReleases(conn.store, appNames));
  // --timeout bounds the wait for the master's agents too: what it took is taken from the deploy's time.
  const waitStarted = env.clock.now();
  const snapshot = await readRecoveredCluster(
    env,
    conn.source,
    options.timeoutMs === undefined ? {} : { deadline: waitStarted + options.timeoutMs },
  );
  const waited = env.clock.now() - waitStarted;
  // Agents scheduled for maintenance are emptied as the master's inverse offers ask; drained ones likewise.
  const scheduled = await agentsScheduledForMaintenance(conn.cluster, env.signal);
  const draining = new Set([...(options.draining ?? []), ...scheduled]);
  // Only `titan drain` names agents to empty: its plan's apps are what it moves, not a manifest's.
  const drain = options.draining !== undefined;
  const plan = await planFor(pinned.apps, snapshot, conn, { ...options, draining }, saved, drain);
  for (const warning of plan.warnings) writeLine(io.err, `${io.errColor.yellow("warning:")} ${warning}`);
  const changing = await appsToDeploy(conn.store, plan);
  if (options.json)
    writeEvent(
      io.out,
      { type: "plan", plan: { ...planToJson(plan), images: imagesToJson(pinned.images) } },
      env.clock.now(),
    );
  else {
    // A change that changes nothing is said to change nothing, and no more (no "rolling back" to what runs).
    if (!plan.fits || changing.length > 0) for (const line of options.preface ?? []) writeLine(io.out, line);
    for (const line of imageLines(pinned.images, options.replacingImages)) writeLine(io.out, line);
    for (const line of renderPlan(plan, io.color)) writeLine(io.out, line);
  }
  if (!plan.fits) throw doesNotFitError([plan], options.json);
  if (changing.length === 0 && options.followUp === undefined) {
    // An adoption with nothing to change is the whole change (--adopt asked for it).
    if (options.dryRun !== true) await conn.recordAdoptions();
    if (options.json) writeEvent(io.out, { type: "nothing_to_do" }, env.clock.now());
    else writeLine(io.err, `Nothing to do: every instance already runs what ${askedBy(options.verb)}.`);
    return ExitCode.Ok;
  }
  // A teammate's change since the spec or the cluster was read makes the plan shown stale: not offered, nor carried out.
  await checkPlansHold(conn.store, changing, plannedFrom, plan.region);
  const disruptionOverride = passDisruption(env, changing, options.overrideDisruption);
  await checkSecretsReadable(env, changing);
  const names = changing.map((a) => a.spec.name);
  if (options.dryRun === true) return endDryRun(env, options, names);
  for (const warning of await unheldFrameworks(env, conn, names))
    writeLine(io.err, `${io.errColor.yellow("warning:")} ${warning}`);
  if (!(await confirm(env, options, names))) {
    // Declining is an answer, not an error or an interruption (as `nomad job stop` and `kubectl delete -i`).
    if (options.json) writeEvent(io.out, { type: "declined" }, env.clock.now());
    writeLine(
      io.err,
      `Nothing changed: the ${options.verb}${names.length > 0 ? ` of ${names.join(", ")}` : ""} was declined.`,
    );
    return ExitCode.Ok;
  }
  await conn.recordAdoptions();
  const locksAhead =
    options.followUp?.before === undefined ? undefined : await lockAhead(env, conn, names, options);
  let results: AppDeployResult[];
  try {
    // With every lock held nobody records a release meanwhile: a teammate's change made while the prompt waited is
    // caught here, before the first step (a drain's maintenance) rather than after it.
    if (locksAhead !== undefined) await checkPlansHold(conn.store, changing, plannedFrom, plan.region);
    await options.followUp?.before?.();
    const view = await progressView(env, options.json);
    // --timeout bounds the whole change, however many apps it deploys one after another.
    const deadline =
      options.timeoutMs === undefined ? {} : { deadline: env.clock.now() + options.timeoutMs - waited };
    try {
      results = await deployChanging(
        env,
        conn,
        { plan, snapshot, changing },
        {
          ...options,
          draining,
          plannedFrom,
          ...deadline,
          ...(disruptionOverride === undefined ? {} : { disruptionOverride }),
          ...(locksAhead === undefined ? {} : { locksAhead }),
        },
        (e) => {
          if (e.type === "done") options.onEnding?.();
          view.event(e);
          if (e.type === "release") options.onRelease?.(e.app, e.release);
        },
      );
    } finally {
      options.onEnding?.();
      view.stop();
    }
  } finally {
    await locksAhead?.releaseRest();
  }
  if (!options.json) printSummary(env, results);
  const code = outcomeCode(results, options, env.signal.aborted);
  await options.followUp?.run();
  return code;
}

/**
 * The locks of every app that changes, taken before the change's first step (`titan drain` schedules maintenance,
 * which the master answers with inverse offers to each app's framework): a `titan supervise` holding one of those
 * apps steps aside before it would move the same instances, and each app is then moved by its own deploy, in turn.
 * A lock held by another titan refuses the whole change, with nothing done yet.
 */
async function lockAhead(
  env: Env,
  conn: Connection,
  apps: readonly string[],
  options: Pick<ApplyOptions, "verb" | "forceUnlock">,
): Promise<LocksAhead> {
  const owner = { user: conn.user, host: hostname(), pid: process.pid };
  return holdLocksAhead(conn.store, apps, (app) => ({ ...owner, purpose: `${options.verb} ${app}` }), {
    leaseMs: LOCK_LEASE_MS,
    force: options.forceUnlock,
    onBreak: (app, broken) =>
      writeLine(
        env.io.err,
        `${env.io.errColor.yellow("warning:")} ${describeBrokenLock(app, broken, env.clock.now())}`,
      ),
  });
}

/** What a region's deploy carries out: its plan, the state it was made from, and the apps that change. */
export interface PlannedChange {
  plan: Plan;
  snapshot: ClusterSnapshot;
  changing: readonly AppPlan[];
}

/** Deploys the changing apps one after another, stopping at the first that does not end deployed. */
export async function deployChanging(
  env: Env,
  conn: Connection,
  { plan, snapshot, changing }: PlannedChange,
  options: Pick<ApplyOptions, "verb" | "resume" | "forceUnlock" | "autoRollback" | "draining" | "target"> & {
    /** When to stop waiting (epoch ms, from `--timeout`): one deadline for every app. */
    deadline?: number;
    lagging?: readonly string[];
    disruptionOverride?: DisruptionOverride;
    /** The command an app's release records instead of `resume` (what finishes a rollback of one region). */
    resumeOf?: ReadonlyMap<string, string>;
    /** The multi-region rollout the releases are part of. */
    rollout?: string;
    /** Each app's newest release when it was planned: a deploy does not carry out a plan made stale. */
    plannedFrom?: ReadonlyMap<string, SeenRelease>;
    /** The region a multi-region deploy names before each warning, as before each of its progress lines. */
    regionLabel?: string;
    /** Locks taken before the change's first step: each app's deploy uses its own. */
    locksAhead?: LocksAhead;
  },
  emit: (event: DeployEvent) => void,
): Promise<AppDeployResult[]> {
  const { io } = env;
  const label = options.regionLabel === undefined ? "" : `${options.regionLabel}: `;
  const results: AppDeployResult[] = [];
  for (const appPlan of changing) {
    if (env.signal.aborted) break;
    const app = appPlan.spec.name;
    const known = (snapshot.titanTasks[app] ?? []).filter(
      (t) => t.region === undefined || plan.region === null || t.region === plan.region,
    );
    results.push(
      await deployApp(
        {
          spec: appPlan.spec,
          desired: appPlan.diff.desired,
          digest: appPlan.diff.digest,
          known,
          purpose: options.verb,
          command: options.resumeOf?.get(app) ?? options.resume,
          finishRollback: commandLine(["titan", "rollback", app, ...(options.target ?? [])]),
          ...(options.rollout === undefined ? {} : { rollout: options.rollout }),
          ...(options.plannedFrom?.has(app) === true ? { plannedFrom: options.plannedFrom.get(app) } : {}),
          planned: plannedAgents(appPlan),
          cluster: { agents: snapshot.agents, known },
          ...(options.draining === undefined || options.draining.size === 0
            ? {}
            : { evacuate: [...options.draining] }),
          ...(options.lagging === undefined || options.lagging.length === 0
            ? {}
            : { lagging: options.lagging }),
          ...(options.disruptionOverride?.apps.has(app) === true
            ? { disruptionOverride: options.disruptionOverride.reason }
            : {}),
        },
        {
          cluster: conn.cluster,
          store: conn.store,
          now: () => env.clock.now(),
          signal: env.signal,
          emit,
          warn: (line) => writeLine(io.err, `${io.errColor.yellow("warning:")} ${label}${line}`),
          ...(env.debug ? { log: (line: string) => writeLine(io.err, io.errColor.dim(line)) } : {}),
          framework: { ...conn.framework, user: appPlan.spec.user ?? conn.framework.user },
          owner: { user: conn.user, host: hostname(), pid: process.pid },
          region: plan.region,
          vars: env.vars,
          seed: plan.seed,
          checkOutput: checkOutputReader(conn.cluster),
          forceUnlock: options.forceUnlock,
          autoRollback: options.autoRollback,
          ...(options.locksAhead === undefined ? {} : { locksAhead: options.locksAhead }),
          ...(conn.target.cluster.containerizer === undefined
            ? {}
            : { containerizer: conn.target.cluster.containerizer }),
          ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        },
      ),
    );
    const last = results.at(-1);
    if (last && last.outcome !== "deployed") break;
  }
  return results;
}

/**
 * The apps the deploy acts on: those whose plan changes something, and those whose last release is still pending
 * (a deploy stopped after every launch went out leaves nothing to change, yet its outcome is unknown): resuming
 * waits for their health gates and records the outcome. A pending release of another spec than the plan's (an
 * interrupted rollback, say) is not resumed but superseded by a release of the spec that runs, as `titan plan` says.
 * Which of the two happens is said by the deploy once it holds the app's lock (the `resume` and `supersede` events):
 * until then the release may be another titan's, still running, and the lock refuses this deploy.
 */
export async function appsToDeploy(store: StateStore, plan: Plan): Promise<AppPlan[]> {
  const chosen: AppPlan[] = [];
  for (const app of plan.apps)
    if (hasChanges(app.diff) || (await pendingRelease(store, app.spec.name)) !== undefined) chosen.push(app);
  return chosen;
}

/** Each app's newest release as it is now, to make a plan from. */
export async function newestReleases(
  store: StateStore,
  apps: readonly string[],
): Promise<Map<string, SeenRelease>> {
  const newest = new Map<string, SeenRelease>();
  for (const app of apps) newest.set(app, seenNewest(await store.releases(app)));
  return newest;
}

/** Refuses the plan when another titan changed one of its changing apps since it was read (`checkPlanHolds`). */
async function checkPlansHold(
  store: StateStore,
  changing: readonly AppPlan[],
  plannedFrom: ReadonlyMap<string, SeenRelease>,
  region: string | null,
): Promise<void> {
  for (const { spec } of changing) {
    const seen = plannedFrom.get(spec.name);
    if (seen !== undefined) await checkPlanHolds(store, spec.name, seen, region);
  }
}

/**
 * Apps no supervisor covers whose framework nothing has held for most of its failover timeout: this deploy holds
 * it again, but only while it runs. Never fails the deploy.
 */
async function unheldFrameworks(env: Env, conn: Connection, apps: readonly string[]): Promise<string[]> {
  const now = env.clock.now();
  const timeoutMs = conn.framework.failoverTimeoutSeconds * 1000;
  try {
    const reports = await conn.store.supervisorReports();
    const warnings: string[] = [];
    for (const app of apps) {
      const covered = coverageOf(app, reports, liveness(now)).leader !== undefined;
      const held = lastHeldAt(app, await conn.store.releases(app), await conn.store.progress(app), reports);
      const warning = failoverWarning(app, held, timeoutMs, covered, now);
      if (warning !== undefined) warnings.push(warning);
    }
    return warnings;
  } catch {
    return [];
  }
}

/** The agent the plan showed for each instance it launches or replaces: the deploy carries that out. */
function plannedAgents(app: AppPlan): Map<number, PlannedAgent> {
  return new Map(
    app.placements
      .filter((p) => p.region === app.diff.region)
      .map((p) => [p.instance, { agentId: p.agentId, hostname: p.hostname }] as const),
  );
}

export async function planFor(
  apps: readonly AppSpec[],
  snapshot: ClusterSnapshot,
  conn: Connection,
  options: ApplyOptions,
  saved: SavedPlan | undefined,
  drain = false,
): Promise<Plan> {
  const region = options.region ?? conn.target.region;
  const resuming = await unfinishedStops(conn.store, apps, resolveRegion(apps, region));
  const running = await otherRunningSpecs(conn.store, snapshot, apps);
  const base = {
    apps,
    snapshot,
    source: conn.source.describe(),
    taskUser: conn.framework.user,
    scaleIn: scaleInWanted(undefined, conn.target.local),
    ...(running.length === 0 ? {} : { running }),
    ...(options.draining === undefined ? {} : { draining: options.draining }),
    ...(region === undefined ? {} : { region }),
    ...(resuming.size === 0 ? {} : { resuming }),
    ...(drain ? { drain } : {}),
  };
  if (options.planFile === undefined || saved === undefined) return buildPlan(base);
  const plan = buildPlan({ ...base, seed: saved.seed });
  if (plan.fingerprint !== saved.fingerprint) {
    checkSameApps(options.planFile, saved, plan);
    throw new TitanError(`the cluster or the manifests changed since ${options.planFile} was made`, {
      exitCode: ExitCode.Usage,
      hint: `review a fresh plan (titan plan --out ${options.planFile}) and deploy that one`,
    });
  }
  // The fingerprint covers what the plan was made from; what was reviewed is the file's placements.
  if (saved.placements !== undefined && !samePlacements(saved.placements, plan))
    throw new UsageError(
      `${options.planFile} was changed after titan plan wrote it: its placements are not the ones its fingerprint gives`,
      `review a fresh plan (titan plan --out ${options.planFile}) and deploy that one`,
    );
  return plan;
}

/**
 * Apps that should run no instance here and whose last release is still pending (a `titan stop` interrupted after
 * its kills went out): the plan has nothing to change for them, yet the deploy must resume them to record the end.
 */
async function unfinishedStops(
  store: StateStore,
  apps: readonly AppSpec[],
  region: string | null,
): Promise<Set<string>> {
  const unfinished = new Set<string>();
  for (const app of apps) {
    if (desiredInstances(app, region) > 0) continue;
    if ((await pendingRelease(store, app.name)) !== undefined) unfinished.add(app.name);
  }
  return unfinished;
}

/**
 * A plan saved without pinned images (`titan plan --no-resolve`, or from a `--snapshot`) can never be carried
 * out: a deploy runs only images pinned to digests, and pinning them now would change the plan. `apps` are those
 * that launch something (an app that runs no instance has nothing pinned, by `titan plan` either).
 */
function checkPlanPinned(file: string, saved: SavedPlan, apps: readonly AppSpec[]): void {
  const planned = (app: AppSpec) => saved.apps === undefined || saved.apps.includes(app.name);
  const unpinned = apps
    .filter((app) => app.image !== undefined && planned(app) && !saved.images.some((i) => i.app === app.name))
    .map((app) => app.name);
  if (unpinned.length === 0) return;
  throw new UsageError(
    `${file} pins no image digest for ${unpinned.join(", ")} (made with --no-resolve, or from a --snapshot): a deploy runs only images pinned to digests`,
    `make the plan against the cluster with its registry reachable: \`titan plan … --out ${file}\`, then deploy it`,
  );
}

/** A saved plan of other apps than this deploy's (another `--app`, another manifest) is refused by name. */
function checkSameApps(file: string, saved: SavedPlan, plan: Plan): void {
  if (saved.apps === undefined) return;
  const names = [...new Set(plan.apps.map((app) => app.spec.name))];
  const same = names.length === saved.apps.length && names.every((name) => saved.apps?.includes(name));
  if (same) return;
  throw new UsageError(
    `${file} plans ${saved.apps.join(", ") || "no app"}, and this deploy names ${names.join(", ")}`,
    "deploy with the manifests and --app flags the plan was made with, or make a fresh plan with `titan plan --out`",
  );
}

export interface SavedPlan {
  seed: number;
  fingerprint: string;
  images: PinnedImage[];
  /** The apps it plans, when the document lists them. */
  apps?: string[];
  /** Where it places each instance, as the document says (checked against the plan its fingerprint gives). */
  placements?: unknown;
}

function samePlacements(saved: unknown, plan: Plan): boolean {
  return canonicalJson(saved) === canonicalJson(planToJson(plan).placements);
}

export async function readSavedPlan(env: Env, file: string): Promise<SavedPlan> {
  const path = isAbsolute(file) ? file : resolve(env.cwd, file);
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? "not JSON";
    throw new UsageError(
      `cannot read the plan ${file} (${reason})`,
      "write one with `titan plan --out FILE`",
    );
  }
  const plan = document as { seed?: unknown; fingerprint?: unknown };
  if (typeof plan.seed !== "number" || typeof plan.fingerprint !== "string")
    throw new UsageError(
      `${file} is not a plan saved by \`titan plan --out\``,
      "write one with `titan plan --out FILE`",
    );
  // Read as this titan's, another version's plan would be refused as edited after review, which it was not.
  const version = (document as { version?: unknown }).version;
  if (version !== PLAN_JSON_VERSION)
    throw new UsageError(
      `${file} is ${typeof version === "number" ? `a version ${version} plan` : "a plan of no version"}; this titan carries out version ${PLAN_JSON_VERSION} plans`,
      `review a fresh plan (titan plan --out ${file}) and deploy that one`,
    );
  const apps = plannedApps(document);
  const placements = (document as { placements?: unknown }).placements;
  return {
    seed: plan.seed,
    fingerprint: plan.fingerprint,
    images: plannedImages(document),
    ...(apps === undefined ? {} : { apps }),
    ...(placements === undefined ? {} : { placements }),
  };
}

/** The names of the apps a saved plan covers, in its order; undefined for a document that does not list them. */
function plannedApps(document: unknown): string[] | undefined {
  const apps = (document as { apps?: unknown } | null)?.apps;
  if (!Array.isArray(apps)) return undefined;
  const names: string[] = [];
  for (const entry of apps) {
    const name = (entry as { app?: unknown } | null)?.app;
    if (typeof name !== "string") return undefined;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Reads, and forgets, the secrets the deploy of each changing app will read: one that cannot be read fails the
 * change (and its --dry-run) before the confirmation, the same way it would fail the deploy.
 */
export async function checkSecretsReadable(env: Env, changing: readonly AppPlan[]): Promise<void> {
  for (const app of changing) await launchEnvironment(app.spec, app.diff.desired, env.vars, env.signal);
}

/** A change whose plan does not fit: exit 4, pointing at the plan just printed, which says why and what would fit. */
export function doesNotFitError(plans: readonly Plan[], json: boolean): TitanError {
  return new TitanError(notFittingSummary(plans), {
    exitCode: ExitCode.DoesNotFit,
    hint: `${notFittingHint(json)}; \`titan plan\` shows it again without changing anything`,
  });
}

/** Where a `--dry-run` stops: at the confirmation the change would ask for, saying what it would carry out. */
export function endDryRun(
  env: Env,
  options: Pick<ApplyOptions, "json" | "verb" | "followUp">,
  apps: readonly string[],
  where = apps.join(", "),
): number {
  if (options.json) writeEvent(env.io.out, { type: "dry_run", apps }, env.clock.now());
  writeLine(
    env.io.err,
    `Dry run: nothing changed. Without --dry-run, titan would now ${action(options, where)} as planned above.`,
  );
  return ExitCode.Ok;
}

/** What a change does, e.g. `drain web, api and bring agent-4 down for maintenance`; the follow-up alone when no app moves. */
/** What a change that changes nothing was asked by: a deploy's manifests, or the app command itself. */
function askedBy(verb: string): string {
  return verb === "deploy" ? "the manifest says" : `this ${verb} asks for`;
}

function action(options: Pick<ApplyOptions, "verb" | "followUp">, where: string): string {
  const followUp = options.followUp?.describe;
  if (where === "") return followUp ?? options.verb;
  return followUp === undefined ? `${options.verb} ${where}` : `${options.verb} ${where} and ${followUp}`;
}

/** Whether to go ahead: true with --yes or a "yes" at the prompt, false when the user declines. */
export async function confirm(
  env: Env,
  options: Pick<ApplyOptions, "yes" | "verb" | "followUp">,
  apps: readonly string[],
): Promise<boolean> {
  if (options.yes) return true;

  if (!env.io.canPrompt) {
    throw new UsageError(
      `refusing to ${options.verb} without confirmation: ${env.io.whyNoPrompt ?? "no prompt can be shown"}`,
      "review the plan above and re-run with --yes",
    );
  }
  return env.prompter().confirm(`${capitalise(action(options, apps.join(", ")))} as planned above?`, false);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export async function progressView(env: Env, json: boolean): Promise<ProgressView> {
  const now = (): number => env.clock.now();
  if (json) return jsonView(env.io.out, now);
  // A spinner needs a real terminal stream (cursor movement), not just one that says it is a TTY.
  const terminal = env.io.err as { cursorTo?: unknown };
  if (env.io.isStderrTTY && typeof terminal.cursorTo === "function")
    return ttyView(env.io.err, env.io.errColor);
  return lineView(env.io.err, env.io.errColor, now);
}

export function printSummary(env: Env, results: readonly AppDeployResult[]): void {
  const c = env.io.color;
  for (const result of results) {
    if (!("instances" in result)) continue;
    const headline =
      result.outcome === "deployed"
        ? c.green(
            result.instances.length === 0
              ? `${result.app}: release ${result.release} deployed, no instances run (stopped)`
              : `${result.app}: release ${result.release} deployed`,
          )
        : result.outcome === "rolled_back"
          ? c.yellow(
              `${result.app}: release ${result.release} rolled back to release ${result.rolledBackTo ?? "?"}`,
            )
          : c.red(`${result.app}: release ${result.release} failed`);
    writeLine(env.io.out, headline);
    for (const i of result.instances) {
      const ports = i.ports.length > 0 ? `:${i.ports.join(",")}` : "";
      writeLine(env.io.out, `  ${result.app}[${i.instance}]  ${i.task}  ${i.host || "?"}${ports}`);
    }
  }
}

function outcomeCode(results: readonly AppDeployResult[], options: ApplyOptions, aborted: boolean): number {
  for (const result of results) {
    if (result.lockLost !== undefined) throw result.lockLost;
    switch (result.outcome) {
      case "interrupted": {
        const rolling = result.rollingBack;
        if (rolling !== undefined) {
          const rollback = commandLine(["titan", "rollback", result.app, ...(options.target ?? [])]);
          throw new InterruptedError(
            `${options.verb} of ${result.app} interrupted while rolling release ${result.release} back to release ${rolling.to} (${rolling.reason}); the cluster keeps what runs`,
            `finish the rollback with \`${rollback}\`; re-running \`${options.resume}\` deploys release ${result.release} again`,
          );
        }
        throw new InterruptedError(
          `${options.verb} of ${result.app} interrupted: release ${result.release} is partly rolled out and the cluster keeps what runs`,
          `re-run \`${options.resume}\` to resume; the lock is released`,
        );
      }
      case "timed_out":
        if (result.rollingBack !== undefined) {
          const rollback = commandLine(["titan", "rollback", result.app, ...(options.target ?? [])]);
          throw new TimeoutError(
            `${options.verb} of ${result.app} did not finish before --timeout while rolling release ${result.release} back to release ${result.rollingBack.to} (${result.rollingBack.reason}); what runs keeps running`,
            `finish the rollback with \`${rollback}\`; re-running \`${options.resume}\` deploys release ${result.release} again`,
          );
        }
        throw new TimeoutError(
          `${options.verb} of ${result.app} did not finish before --timeout; what runs keeps running`,
          `re-run \`${options.resume}\` to continue, or \`titan releases ${result.app}\` to see where it stands`,
        );
      case "failed":
        throw failedError(result, options.verb, options.target);
      case "rolled_back":
        throw rolledBackError(result, options.target);
      default:
        break;
    }
  }
  if (aborted)
    throw new InterruptedError(`${options.verb} interrupted`, `re-run \`${options.resume}\` to resume`);
  return ExitCode.Ok;
}
