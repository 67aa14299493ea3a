/** One region of a multi-region deploy: connect and plan it, deploy its changes, or roll them back. */
import { commandLine, targetWords } from "../../cli/command-line.js";
import type { Env } from "../../cli/env.js";
import { writeLine } from "../../cli/io.js";
import { agentsScheduledForMaintenance } from "../../cluster/maintenance.js";
import { OwnedSource } from "../../cluster/owned-source.js";
import type { AppDeployResult } from "../../deploy/deploy.js";
import type { DeployEvent } from "../../deploy/events.js";
import { describeChange, rollbackTarget, type SeenRelease } from "../../deploy/releases.js";
import type { RegionResult } from "../../deploy/waves.js";
import type { AppSpec } from "../../manifest/types.js";
import { runsInstances } from "../../plan/regions.js";
import type { AppPlan, Plan } from "../../plan/types.js";
import { pinAppImages } from "../../registry/apps.js";
import type { PinnedImage } from "../../registry/pin.js";
import {
  type ApplyOptions,
  appsToDeploy,
  deployChanging,
  newestReleases,
  type PlannedChange,
  planFor,
} from "../../release/apply.js";
import { type ConnectFlags, type Connection, connect } from "../../release/connect.js";
import type { DisruptionOverride } from "../../release/disruption.js";
import { type RecoveredWait, readRecoveredCluster } from "../../release/recovered-cluster.js";
import { LockHeldError } from "../../state/errors.js";
import { liveLock } from "../../state/live-lock.js";

export interface PreparedRegion extends PlannedChange {
  region: string;
  conn: Connection;
  images: PinnedImage[];
  /** Agents of the region scheduled for maintenance: the deploy moves its instances off them. */
  draining: ReadonlySet<string>;
  /** Each app's newest release in the region just before its cluster was read for the plan. */
  plannedFrom: ReadonlyMap<string, SeenRelease>;
  /** Records the frameworks `--adopt` took over in the region, once the deploy goes ahead. */
  recordAdoptions(): Promise<void>;
}

/** A region reached: its connection, its cluster's state, and each app's newest release read just before it. */
export interface ReachedRegion {
  conn: Connection;
  snapshot: PlannedChange["snapshot"];
  plannedFrom: ReadonlyMap<string, SeenRelease>;
}

/**
 * Connects to the region's cluster and reads its state as the master gives it: this is where an unreachable
 * region shows. Which framework owns which app is applied afterwards (planRegion), so another framework running
 * the app is its own error, never mistaken for an unreachable region.
 */
export async function reachRegion(
  env: Env,
  flags: ConnectFlags,
  region: string,
  wait: RecoveredWait = {},
): Promise<ReachedRegion> {
  const conn = await connect(env, { ...flags, region });
  try {
    const live = await conn.target.source();
    // Read first: a release recorded after it (a teammate's) may be one the cluster's state did not show yet.
    const plannedFrom = await newestReleases(conn.store, flags.apps ?? []);
    return { conn, snapshot: await readRecoveredCluster(env, live, { ...wait, region }), plannedFrom };
  } catch (error) {
    await conn.close();
    throw error;
  }
}

/** Pins the images in the region's registry and plans the region; `changing` are the apps its deploy acts on. */
export async function planRegion(
  env: Env,
  reached: ReachedRegion,
  region: string,
  apps: readonly AppSpec[],
  json: boolean,
  ownership: { adopt: boolean; dryRun: boolean },
): Promise<PreparedRegion> {
  const { conn } = reached;
  const owned = new OwnedSource(
    { describe: () => conn.source.describe(), read: async () => reached.snapshot },
    conn.store,
    {
      apps: apps.map((a) => a.name),
      onForeign: ownership.adopt ? "adopt" : "refuse",
      preview: ownership.dryRun,
      note: (line) => writeLine(env.io.err, line),
    },
  );
  const snapshot = await owned.read(env.signal);
  const pinned = await pinAppImages(env, conn.target.cluster, apps, [], (app) => runsInstances(app, region));
  // As a single-region deploy: agents scheduled for maintenance are emptied as their inverse offers ask.
  const draining = await agentsScheduledForMaintenance(conn.cluster, env.signal);
  const options: ApplyOptions = {
    yes: true,
    json,
    forceUnlock: false,
    autoRollback: true,
    verb: "deploy",
    resume: "",
    region,
    draining,
  };
  const plan: Plan = await planFor(pinned.apps, snapshot, conn, options, undefined);
  const changing: AppPlan[] = plan.fits ? await appsToDeploy(conn.store, plan) : [];
  return {
    region,
    conn,
    plan,
    snapshot,
    changing,
    images: pinned.images,
    draining,
    plannedFrom: reached.plannedFrom,
    recordAdoptions: () => owned.recordAdoptions(),
  };
}

/**
 * Refuses a rollout while another deploy holds the lock of one of its apps in any of its regions, before the
 * first wave, as a single-region deploy is refused: otherwise the rollout would start, then fail that region
 * halfway and apply on_failure to the regions it had already changed.
 */
export async function checkUnlocked(
  env: Env,
  prepared: readonly PreparedRegion[],
  force: boolean,
): Promise<void> {
  if (force) return;
  const now = env.clock.now();
  for (const { region, conn, changing } of prepared)
    for (const { spec } of changing) {
      const lock = await liveLock(conn.store, spec.name, now);
      if (lock !== undefined) throw new LockHeldError(spec.name, lock, now, region);
    }
}

/** What the region's app deploys ended with, as one region outcome. */
export function regionResult(region: string, results: readonly AppDeployResult[], now: number): RegionResult {
  const bad = results.find((r) => r.outcome !== "deployed" || r.lockLost !== undefined);
  if (bad === undefined) return { region, outcome: "deployed", finishedAt: now };
  const reason = bad.lockLost === undefined ? bad.reason : `the deploy lock of ${bad.app} was lost`;
  const outcome = bad.lockLost !== undefined ? "failed" : bad.outcome;
  const cause = bad.lockLost === undefined && "cause" in bad ? bad.cause : undefined;
  return {
    region,
    outcome,
    ...(reason === undefined ? {} : { reason: `${bad.app}: ${reason}` }),
    ...(cause === undefined ? {} : { cause }),
  };
}

/** When the region's apps last finished a deployed release: a wave already done soaks from then. */
export async function lastFinished(conn: Connection, apps: readonly string[]): Promise<number> {
  let latest = 0;
  for (const app of apps) {
    const deployed = (await conn.store.releases(app)).filter((r) => r.outcome === "deployed");
    latest = Math.max(latest, deployed.at(-1)?.finishedAt ?? 0);
  }
  return latest;
}

export interface RegionRun {
  verb: string;
  /** The command that resumes the rollout: each release records it. */
  resume: string;
  /** The deploy's --context, said again in the commands that finish a region's unfinished rollback. */
  context?: string;
  /** The rollout's digest (src/deploy/waves.ts rolloutDigest): the releases it makes record it. */
  rollout?: string;
  forceUnlock: boolean;
  autoRollback: boolean;
  /** When to stop waiting (epoch ms, from `--timeout`): one deadline for the whole rollout. */
  deadline?: number;
  lagging: readonly string[];
  /** Recorded with the releases of the apps the disruption-window gate let through because of it. */
  disruptionOverride?: DisruptionOverride;
  emit: (event: DeployEvent, region: string) => void;
}

/** An app's release this rollout deployed in a region: what rollback_all rolls back. */
export interface DeployedRelease {
  app: string;
  release: number;
}

/**
 * Deploys the region's changing apps; a thrown error (a lock held elsewhere, a lost master) fails the region only.
 * `deployed` are the releases this rollout put in the region: those of this run, and those an earlier run of the
 * same rollout deployed (a re-run resumes it), which the region's plan keeps unchanged.
 */
export async function deployRegion(
  env: Env,
  prepared: PreparedRegion,
  run: RegionRun,
): Promise<{ result: RegionResult; deployed: DeployedRelease[] }> {
  const { region, conn } = prepared;
  const earlier = await deployedEarlier(prepared, run.rollout);
  if (prepared.changing.length === 0) {
    const finishedAt = await lastFinished(
      conn,
      prepared.plan.apps.map((a) => a.spec.name),
    );
    const byRollout = earlier.length === 0 ? {} : { deployedEarlier: true };
    return { result: { region, outcome: "unchanged", finishedAt, ...byRollout }, deployed: earlier };
  }
  try {
    const options = {
      ...run,
      draining: prepared.draining,
      plannedFrom: prepared.plannedFrom,
      target: targetWords({ region, context: run.context }),
      regionLabel: region,
    };
    const apps = await deployChanging(env, conn, prepared, options, (event) => run.emit(event, region));
    const deployed = [
      ...earlier,
      ...apps.filter((a) => a.outcome === "deployed").map((a) => ({ app: a.app, release: a.release })),
    ];
    if (
      env.signal.aborted &&
      apps.every((a) => a.outcome === "deployed") &&
      apps.length < prepared.changing.length
    )
      return { result: { region, outcome: "interrupted" }, deployed };
    return { result: regionResult(region, apps, env.clock.now()), deployed };
  } catch (error) {
    if (env.signal.aborted) return { result: { region, outcome: "interrupted" }, deployed: earlier };
    const reason = error instanceof Error ? error.message : String(error);
    // Another titan deploys the app here now (it took the lock since the rollout started): its work is not undone.
    if (error instanceof LockHeldError)
      return { result: { region, outcome: "superseded", reason }, deployed: earlier };
    return { result: { region, outcome: "failed", reason }, deployed: earlier };
  }
}

/**
 * The region as superseded when another deploy recorded a newer release of one of the apps this rollout deployed
 * there: the soak vouched for this rollout's release, which no longer runs there.
 */
export async function supersededSince(
  prepared: PreparedRegion,
  deployed: readonly DeployedRelease[],
): Promise<RegionResult | undefined> {
  for (const { app, release } of deployed) {
    const newest = (await prepared.conn.store.releases(app)).at(-1);
    if (newest === undefined || newest.number === release) continue;
    const reason = `${app} changed in ${prepared.region} after this rollout deployed it (${describeChange(newest)})`;
    return { region: prepared.region, outcome: "superseded", reason };
  }
  return undefined;
}

/** The region's unchanged apps whose running release an earlier run of this same rollout deployed. */
async function deployedEarlier(
  prepared: PreparedRegion,
  rollout: string | undefined,
): Promise<DeployedRelease[]> {
  if (rollout === undefined) return [];
  const changing = new Set(prepared.changing.map((a) => a.spec.name));
  const earlier: DeployedRelease[] = [];
  for (const { spec } of prepared.plan.apps) {
    if (changing.has(spec.name)) continue;
    const newest = (await prepared.conn.store.releases(spec.name)).at(-1);
    if (newest?.outcome === "deployed" && newest.rollout === rollout)
      earlier.push({ app: spec.name, release: newest.number });
  }
  return earlier;
}

/**
 * Rolls a region back to what it ran before this rollout (on_failure: rollback_all): each app deployed here goes
 * back to its newest deployed release of another spec, as a new release with the same gates (as a failing
 * release's own rollback does, so a release that re-deployed the running spec is not "reverted" to itself); an
 * app deployed here for the first time is scaled to 0 in the region. Each new release records the command that
 * finishes it, which an interrupted or timed-out rollback names; with no time left before --timeout, none starts.
 * An app whose newest release here is no longer the rollout's (a teammate deployed it since) is not rolled back
 * over theirs: the region fails, naming their release.
 */
export async function revertRegion(
  env: Env,
  prepared: PreparedRegion,
  deployed: readonly DeployedRelease[],
  run: RegionRun,
): Promise<RegionResult> {
  const { region, conn } = prepared;
  const finishing = new Map<string, string>();
  try {
    const specs: AppSpec[] = [];
    const target = targetWords({ region, context: run.context });
    for (const result of deployed) {
      const releases = await conn.store.releases(result.app);
      const current = releases.find((r) => r.number === result.release);
      if (current === undefined) continue;
      const previous = rollbackTarget(releases, current);
      specs.push(previous?.spec ?? stoppedIn(current.spec, region));
      const verb = previous === undefined ? "stop" : "rollback";
      finishing.set(result.app, commandLine(["titan", verb, result.app, ...target]));
    }
    // --timeout passed (a region timed out): a rollback started now could only be left halfway.
    if (run.deadline !== undefined && env.clock.now() >= run.deadline)
      return { region, outcome: "timed_out", reason: NOT_ROLLED_BACK, finish: [...finishing.values()] };
    const snapshot = await readRecoveredCluster(env, conn.source, {
      region,
      ...(run.deadline === undefined ? {} : { deadline: run.deadline }),
    });
    const options: ApplyOptions = {
      yes: true,
      json: false,
      forceUnlock: run.forceUnlock,
      autoRollback: run.autoRollback,
      verb: "rollback",
      resume: "",
      region,
    };
    const plan = await planFor(specs, snapshot, conn, options, undefined);
    const changing = plan.apps.filter((a) => specs.some((s) => s.name === a.spec.name));
    const apps = await deployChanging(
      env,
      conn,
      { plan, snapshot, changing },
      {
        ...asRollback(run),
        verb: "rollback",
        lagging: [],
        resumeOf: finishing,
        regionLabel: region,
        plannedFrom: new Map(deployed.map((d) => [d.app, { number: d.release, outcome: "deployed" }])),
      },
      (e) => run.emit(e, region),
    );
    const result = regionResult(region, apps, env.clock.now());
    const unfinished = [...finishing]
      .filter(([app]) => apps.find((a) => a.app === app)?.outcome !== "deployed")
      .map(([, command]) => command);
    if (result.outcome === "deployed" && unfinished.length === 0) return { region, outcome: "reverted" };
    if (result.outcome === "deployed" || env.signal.aborted)
      return { region, outcome: "interrupted", reason: ROLLING_BACK, finish: unfinished };
    if (result.outcome === "timed_out")
      return { region, outcome: "timed_out", reason: ROLLING_BACK, finish: unfinished };
    return result;
  } catch (error) {
    if (env.signal.aborted)
      return { region, outcome: "interrupted", reason: ROLLING_BACK, finish: [...finishing.values()] };
    return {
      region,
      outcome: "failed",
      reason: `rollback: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

const ROLLING_BACK = "while rolling back (on_failure: rollback_all)";
const NOT_ROLLED_BACK = "before rolling back (on_failure: rollback_all)";

/**
 * A rollback of the rollout is part of it, not another use of the override; its releases undo the rollout's, so
 * they do not carry its digest.
 */
function asRollback(run: RegionRun): Omit<RegionRun, "disruptionOverride" | "rollout"> {
  const { disruptionOverride, rollout, ...rest } = run;
  void disruptionOverride;
  void rollout;
  return rest;
}

function stoppedIn(spec: AppSpec, region: string): AppSpec {
  return { ...spec, regions: { ...spec.regions, [region]: 0 } };
}
