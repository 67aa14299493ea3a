import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import type { TitanTask } from "../cluster/types.js";
import type { AppSpec } from "../manifest/types.js";
import { FrameworkRemovedError } from "../mesos/errors.js";
import { desiredInstances } from "../plan/regions.js";
import { describeBrokenLock } from "../state/errors.js";
import type { LockOwner, Release, StateStore } from "../state/types.js";
import { launchEnvironment, resolveEnvironment } from "./environment.js";
import type { DeployEvent } from "./events.js";
import { AppDeployment, type AppResult, type ExecutorOptions } from "./executor.js";
import { holdLock, LOCK_LEASE_MS, type LocksAhead } from "./lock.js";
import type { PlannedAgent } from "./offer-plan.js";
import {
  changedSince,
  describeChange,
  differsInCountOnly,
  releaseFor,
  type SeenRelease,
} from "./releases.js";
import type { PlanCluster } from "./replan.js";

export interface AppDeployInput {
  spec: AppSpec;
  /** Instances wanted in this region. */
  desired: number;
  digest: string;
  /** The app's tasks in the cluster state the plan was made from. */
  known: readonly TitanTask[];
  /** Why the lock is taken, e.g. "deploy" or "rollback to 3". */
  purpose: string;
  /** Where the plan put each instance it launches. */
  planned?: ReadonlyMap<number, PlannedAgent>;
  /** Regions this deploy left out (--skip-region): the new release records that they lag it. */
  lagging?: readonly string[];
  /**
   * Why this deploy takes running instances down despite the app's disruption budget (`--override-disruption`):
   * the release keeps it, and the rollout does not wait for `max_per_hour`.
   */
  disruptionOverride?: string;
  /** The cluster state the plan was made from: the rest of the rollout is placed anew from it when needed. */
  cluster?: PlanCluster;
  /** Agents to empty: the app's instances there move elsewhere behind the health gates. */
  evacuate?: readonly string[];
  /** The titan command that resumes this change (`titan stop web`): a new release records it. */
  command?: string;
  /** The command that finishes a rollback of this release left halfway (`titan rollback web --context prod`). */
  finishRollback?: string;
  /** The multi-region rollout this release is part of: a new release records it. */
  rollout?: string;
  /**
   * The app's newest release as the command read it to make its plan (the one `scale`, `restart`, `rollback`,
   * `stop` and `drain` derived the spec from; for manifests, as it was just before the cluster's state was read):
   * once the lock is held, another one, or the same one ended since, means another titan changed the app
   * meanwhile, and this plan is not carried out over it.
   */
  plannedFrom?: SeenRelease;
}

/** What a deploy passes straight on to each app's executor. */
type SharedExecutorOptions = Pick<
  ExecutorOptions,
  | "cluster"
  | "store"
  | "now"
  | "emit"
  | "warn"
  | "log"
  | "framework"
  | "region"
  | "seed"
  | "deadline"
  | "tickMs"
  | "sessionTimings"
  | "containerizer"
  | "checkOutput"
>;

export interface DeploySettings extends SharedExecutorOptions {
  signal: AbortSignal;
  owner: Omit<LockOwner, "purpose">;
  vars: Readonly<Record<string, string | undefined>>;
  forceUnlock: boolean;
  /** false turns automatic rollback off whatever the manifest says. */
  autoRollback: boolean;
  leaseMs?: number;
  /** Locks taken before this deploy (`titan drain`): the app's is used instead of taking it now. */
  locksAhead?: LocksAhead;
}

/** What happened to one app, with the lock released and the release's outcome recorded. */
export type AppDeployResult = AppResult & { app: string; lockLost?: unknown };

/** Locks the app, records (or resumes) its release, rolls it out and records the outcome. */
export async function deployApp(input: AppDeployInput, settings: DeploySettings): Promise<AppDeployResult> {
  const app = input.spec.name;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  settings.signal.addEventListener("abort", onAbort, { once: true });
  let lockLost: unknown;
  const onLost = (error: unknown): void => {
    lockLost = error;
    stop.abort();
  };
  const lock =
    settings.locksAhead?.take(app, onLost) ??
    (await holdLock(
      settings.store,
      app,
      { ...settings.owner, purpose: `${input.purpose} ${app}` },
      {
        leaseMs: settings.leaseMs ?? LOCK_LEASE_MS,
        force: settings.forceUnlock,
        onLost,
        onBreak: (broken) => settings.warn(describeBrokenLock(app, broken, settings.now())),
      },
    ));
  try {
    if (input.plannedFrom !== undefined)
      await checkPlanHolds(settings.store, app, input.plannedFrom, settings.region);
    const environment = await launchEnvironment(input.spec, input.desired, settings.vars);
    const { release, reused, superseded } = await releaseFor(
      settings.store,
      input.spec,
      input.digest,
      settings.owner.user,
      {
        ...(input.lagging === undefined ? {} : { lagging: input.lagging }),
        ...(input.disruptionOverride === undefined ? {} : { disruptionOverride: input.disruptionOverride }),
        ...(input.command === undefined ? {} : { command: input.command }),
        ...(input.rollout === undefined ? {} : { rollout: input.rollout }),
      },
    );
    // Said only now, with the lock held: a deploy refused by the lock resumes or supersedes nothing.
    if (reused) settings.emit({ type: "resume", app, release: release.number });
    if (superseded !== undefined) settings.emit(supersedeEvent(superseded, release, settings.region));
    settings.emit({ type: "release", app, release: release.number, digest: release.manifestDigest, reused });
    const releases = await settings.store.releases(app);
    const previous = await settings.store.progress(app);
    const start = (): AppDeployment =>
      new AppDeployment(
        {
          target: { spec: input.spec, release, environment },
          known: input.known,
          releases,
          autoRollback: settings.autoRollback && input.spec.update.autoRollback,
          ...(input.planned === undefined ? {} : { planned: input.planned }),
          ...(input.cluster === undefined ? {} : { cluster: input.cluster }),
          ...(input.evacuate === undefined ? {} : { evacuate: input.evacuate }),
          ...(input.disruptionOverride === undefined ? {} : { unpaced: true }),
          ...(input.finishRollback === undefined ? {} : { finishRollback: input.finishRollback }),
        },
        {
          ...settings,
          signal: stop.signal,
          desired: input.desired,
          resolveEnvironment: (spec) => resolveEnvironment(spec, settings.vars),
          mayRetake: () => lock.confirm(),
        },
        // Whatever release it was for: its launches may still run, and its incarnations must not be used again.
        previous,
      );
    // A deploy whose lock another titan took over ends with that, not with what the loss made go wrong.
    const result = await executeOrReregister(start, input, settings).catch((error: unknown) => {
      throw lockLost ?? error;
    });
    // A resumed release was recorded before this run's override: its outcome says the override finished it.
    const resumedWith =
      reused && input.disruptionOverride !== undefined && release.disruptionOverride === undefined
        ? `finished with --override-disruption: ${input.disruptionOverride}`
        : undefined;
    await recordOutcome(settings.store, app, result, resumedWith);
    if (result.outcome === "deployed" || result.outcome === "rolled_back" || result.outcome === "failed") {
      settings.emit({
        type: "done",
        app,
        outcome: result.outcome,
        release: result.rolledBackTo ?? result.release,
        instances: result.instances,
        ...(result.reason === undefined ? {} : { reason: result.reason }),
        ...(result.cause === undefined || result.cause === "unhealthy" ? {} : { cause: result.cause }),
      });
    }
    return { ...result, app, ...(lockLost === undefined ? {} : { lockLost }) };
  } finally {
    settings.signal.removeEventListener("abort", onAbort);
    await lock.release();
  }
}

/**
 * Mesos removes a framework whose failover timeout passed (killing its tasks) and refuses its id afterwards. With
 * none of the app's tasks left in the cluster titan registers a new framework; with some left it refuses, since a
 * second framework beside live tasks would run the app twice.
 */
async function executeOrReregister(
  start: () => AppDeployment,
  input: AppDeployInput,
  settings: DeploySettings,
): Promise<AppResult> {
  try {
    return await start().execute();
  } catch (error) {
    if (!(error instanceof FrameworkRemovedError)) throw error;
    const app = input.spec.name;
    if (input.known.length > 0) {
      throw new TitanError(
        `Mesos removed the framework of ${app}, yet ${input.known.length} of its tasks still show in the cluster`,
        {
          hint: `wait until Mesos has killed them (titan ps ${app}), then deploy again; titan will not run a second framework beside them`,
        },
      );
    }
    settings.warn(
      `Mesos removed the framework of ${app} (failover timeout passed or torn down); registering a new one`,
    );
    await settings.store.forgetFrameworkId(app);
    return start().execute();
  }
}

async function recordOutcome(
  store: StateStore,
  app: string,
  result: AppResult,
  deployedDetail?: string,
): Promise<void> {
  switch (result.outcome) {
    case "deployed":
      await store.finishRelease(app, result.release, "deployed", deployedDetail);
      return;
    case "rolled_back":
      await store.finishRelease(app, result.release, "rolled_back", result.reason);
      return;
    case "failed":
      await store.finishRelease(app, result.release, "failed", result.reason);
      return;
    default:
      // Interrupted or timed out: the release stays pending and the next deploy resumes it.
      return;
  }
}

/**
 * Refuses to carry out a plan made before another titan changed the app's releases (a teammate's deploy while this
 * command read the cluster, waited at its prompt or soaked between regions; their deploy under way then finishing):
 * the plan that was shown would undo theirs. Checked once the plan is made, and again once the app's lock is held.
 */
export async function checkPlanHolds(
  store: StateStore,
  app: string,
  plannedFrom: SeenRelease,
  region: string | null,
): Promise<void> {
  const newest = changedSince(plannedFrom, await store.releases(app));
  if (newest === undefined) return;
  const where = region === null ? "" : ` in ${region}`;
  throw new TitanError(`${app} changed${where} after this plan was made (${describeChange(newest)})`, {
    exitCode: ExitCode.Runtime,
    hint: "re-run the command to plan it again from what runs now",
  });
}

/** What a deploy says of the pending release it superseded with `by`: another spec, or the same at another count. */
function supersedeEvent(superseded: Release, by: Release, region: string | null): DeployEvent {
  const base = { type: "supersede" as const, app: by.app, release: superseded.number, by: by.number };
  if (!differsInCountOnly(superseded, by.spec, by.manifestDigest)) return { ...base, because: "spec" };
  return { ...base, because: "count", instances: desiredInstances(superseded.spec, region) };
}
