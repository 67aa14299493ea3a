import { appDigest } from "../cluster/digest.js";
import { DIMENSIONS } from "../cluster/resources.js";
import type { ClusterSnapshot, TitanTask } from "../cluster/types.js";
import { DEFAULT_TASK_USER } from "../config/types.js";
import type { AppSpec } from "../manifest/types.js";
import { adviseScaleIn, adviseScaleOut, place, shapesOf } from "../placement/index.js";
import type {
  Agent,
  AgentShape,
  Constraint,
  Placement,
  PlacementInput,
  PlacementResult,
  Scalars,
} from "../placement/types.js";
import { SimulatedCluster } from "./cluster-state.js";
import { diffApp, hasChanges, splitMoves } from "./diff.js";
import { defaultSeed, planFingerprint, planInputs } from "./fingerprint.js";
import { formatMem } from "./format.js";
import { checkQuota } from "./quota.js";
import { desiredInstances, resolveRegion, specForRegion } from "./regions.js";
import { portNames, requestFor, unplacedInstances } from "./requests.js";
import { type RolloutInput, rolloutLimits, rolloutSteps, simulateRollouts } from "./rollout.js";
import type {
  AppDiff,
  AppPlan,
  LaunchAction,
  Plan,
  PlannedPlacement,
  RolloutReport,
  StepPlacement,
  UnplacedInstance,
  Utilisation,
} from "./types.js";

export interface PlanInput {
  apps: readonly AppSpec[];
  snapshot: ClusterSnapshot;
  /** How the snapshot is referred to in output, e.g. `snapshot us-east.json`. */
  source: string;
  /** `--region`; otherwise the one region the manifests name. */
  region?: string;
  /** `--seed`; otherwise derived from the inputs. */
  seed?: number;
  /** Shapes scale-out may add (`--shape`); otherwise the shapes the cluster already has. */
  shapes?: readonly AgentShape[];
  /**
   * `true` (`--scale-in`): compute scale-in advice whatever the cluster's size; `false`: never (the local
   * cluster's built-in context, where advice to drain agents of a laptop's cluster reads as advice to take it
   * apart); unset: up to SCALE_IN_AUTO_AGENTS agents.
   */
  scaleIn?: boolean;
  /** The cluster's task user for apps that name none (default `nobody`). */
  taskUser?: string;
  /**
   * Agents being emptied (`titan drain`, or scheduled for maintenance): nothing new is placed there, and the
   * instances running there are moved elsewhere (replaced with the same release).
   */
  draining?: ReadonlySet<string>;
  /**
   * The specs titan's other apps in the cluster run (their newest deployed release, from the state store): scale-in
   * advice keeps their constraints. The instances of an app neither planned nor here are left where they are.
   */
  running?: readonly AppSpec[];
  /**
   * Apps whose last release did not finish: kept in the plan with nothing to change and no instance wanted (an
   * interrupted `titan stop`), so the deploy resumes them and records their outcome.
   */
  resuming?: ReadonlySet<string>;
  /** The plan is `titan drain`'s: `apps` are the apps it moves off the `draining` agents, not manifests. */
  drain?: boolean;
}

/**
 * Scale-in advice re-places every task of the cluster many times over: a few milliseconds on a small cluster, about as
 * long as the rest of the plan on thousands of agents. Above this many agents it is computed only when asked for.
 */
export const SCALE_IN_AUTO_AGENTS = 1_000;

/** Titan's apps in the cluster that the manifests do not name, in the snapshot's order. */
function otherApps(snapshot: ClusterSnapshot, apps: readonly AppSpec[]): string[] {
  const named = new Set(apps.map((a) => a.name));
  return Object.keys(snapshot.titanTasks).filter((app) => !named.has(app));
}

/** Of the apps the plan leaves alone, those with instances on agents being emptied. */
function leftOnDraining(
  snapshot: ClusterSnapshot,
  others: readonly string[],
  draining: ReadonlySet<string> | undefined,
): string[] {
  if (draining === undefined || draining.size === 0) return [];
  return others.filter((app) => (snapshot.titanTasks[app] ?? []).some((t) => draining.has(t.agentId)));
}

/** The whole plan: diff per app, placement of the end state, every rollout step checked, and scale advice. Pure. */
export function buildPlan(input: PlanInput): Plan {
  const region = resolveRegion(input.apps, input.region);
  const apps = input.apps.map((app) => specForRegion(app, region));
  const snapshot = withDraining(input.snapshot, input.draining);
  const { digest: inputs, appDigests } = planInputs(apps, snapshot, region);
  const seed = input.seed ?? defaultSeed(inputs);

  const planned = apps
    .map((spec) => ({
      spec,
      diff: moveOff(diffFor(spec, snapshot, region, appDigests.get(spec)), input.draining),
    }))
    .filter(
      ({ spec, diff }) => diff.desired > 0 || hasChanges(diff) || input.resuming?.has(spec.name) === true,
    );

  const endState = new SimulatedCluster(snapshot);
  endState.releaseAll(planned.flatMap(({ diff }) => [...diff.stop, ...diff.replace]));
  const requests = planned.flatMap(({ spec, diff }) => launchesOf(diff).map((i) => requestFor(spec, i)));
  const endInput = endState.input(requests, seed);
  const result = place(endInput);

  const { reports, failedInput, stepwise } = rollouts(planned, snapshot, result, region, seed);
  // When the rollout was simulated step by step and fits, its placements are what the deploy carries out.
  const placements = stepwise ?? result.placements;
  endState.occupy(placements, requests);
  const agentsById = new Map(snapshot.agents.map((a) => [a.id, a]));
  const placedByApp = groupBy(placements, (p) => p.app);
  const appPlans: AppPlan[] = planned
    .map(({ spec, diff }) => ({
      spec,
      user: spec.user ?? input.taskUser ?? DEFAULT_TASK_USER,
      diff,
      kept: diff.keep.map((t) => ({
        instance: t.instance,
        agentId: t.agentId,
        hostname: t.hostname,
        attributes: agentsById.get(t.agentId)?.attributes ?? {},
        ports: t.ports,
      })),
      placements: placementsOf(spec, diff, placedByApp.get(spec.name) ?? [], agentsById),
      unplaced: unplacedInstances(
        result.unplaced.filter((g) => g.app === spec.name),
        region,
      ),
      rollout: reports.get(spec.name) ?? emptyRollout(),
    }))
    .map((app) => ({ ...app, rollout: withStepPlacements(app.rollout, app.placements) }));

  const endFits = result.unplaced.length === 0;
  const quota = snapshot.quota === undefined ? null : checkQuota(snapshot.quota, appPlans);
  const placed = endFits && appPlans.every((a) => a.rollout.fits !== false);
  const fits = placed && (quota === null || quota.shortfall === null);
  // Placement first; when it fits, agents can still lift the headroom other roles' guarantees hold back (never a
  // limit of titan's own role).
  const scaleOut = !placed
    ? scaleOutAdvice(endFits ? failedInput : endInput, input.shapes, snapshot.agents)
    : quota?.headroomDeficit
      ? headroomAdvice(quota.headroomDeficit, shapesFor(input.shapes, snapshot.agents))
      : null;
  const wantScaleIn = input.scaleIn ?? snapshot.agents.length <= SCALE_IN_AUTO_AGENTS;
  const others = (input.running ?? []).map((spec) => specForRegion(spec, region));
  const scaleIn =
    fits && wantScaleIn
      ? adviseScaleIn(
          { agents: endState.agentList(), running: endState.runningTasks(), seed },
          { ...constraintsByApp(others), ...constraintsByApp(apps) },
          { unknown: new Set(otherApps(snapshot, [...apps, ...others])) },
        )
      : null;

  const left = otherApps(snapshot, apps);
  return {
    seed,
    fingerprint: planFingerprint(inputs, seed, {
      order: apps.map((a) => a.name),
      taskUser: input.taskUser ?? DEFAULT_TASK_USER,
      quota: snapshot.quota ?? null,
      // Only an app the plan keeps for its unfinished release alone changes what the deploy does.
      resuming: planned
        .filter(({ spec, diff }) => diff.desired === 0 && !hasChanges(diff) && input.resuming?.has(spec.name))
        .map(({ spec }) => spec.name)
        .sort(),
    }),
    region,
    snapshot: { source: input.source, format: snapshot.format, agents: snapshot.agents.length },
    ...(snapshot.recoveringAgents === undefined ? {} : { recoveringAgents: snapshot.recoveringAgents }),
    apps: appPlans,
    otherApps: left,
    leftOnDraining: leftOnDraining(snapshot, left, input.draining),
    draining: snapshot.agents
      .filter((a) => input.draining?.has(a.id) === true)
      .map((a) => ({ agentId: a.id, hostname: a.hostname })),
    drain: input.drain === true,
    utilisation: { before: utilisation(snapshot.agents), after: utilisation(endState.usage()) },
    scaleOut,
    scaleIn,
    scaleInSkipped:
      fits && input.scaleIn === undefined && !wantScaleIn
        ? { agents: snapshot.agents.length, threshold: SCALE_IN_AUTO_AGENTS }
        : null,
    fits,
    changes: planned.some(({ diff }) => hasChanges(diff)),
    warnings: [...snapshot.warnings, ...setAsideWarning(snapshot, appPlans)],
    quota,
  };
}

/** When disk is what an app lacks, the agents' MOUNT and PATH disks and volumes, which it can never have, are named. */
function setAsideWarning(snapshot: ClusterSnapshot, apps: readonly AppPlan[]): string[] {
  const aside = snapshot.setAsideDisk;
  if (aside === undefined) return [];
  const shortOfDisk = apps.some((app) =>
    [...app.unplaced, ...(app.rollout.firstFailure?.unplaced ?? [])].some((u) =>
      u.reasons.some((r) => r.startsWith("disk exhausted")),
    ),
  );
  if (!shortOfDisk) return [];
  const holders = aside.agents === 1 ? "1 agent has" : `${aside.agents} agents have`;
  return [
    `${holders} ${formatMem(aside.mb)} in all on MOUNT or PATH disks and volumes, which the plan does not count: only a task that names such a disk may use it, and titan's tasks take plain disk`,
  ];
}

/** The snapshot with the draining agents marked: placement's "drained" check keeps new instances off them. */
function withDraining(snapshot: ClusterSnapshot, draining: ReadonlySet<string> | undefined): ClusterSnapshot {
  if (draining === undefined || draining.size === 0) return snapshot;
  return {
    ...snapshot,
    agents: snapshot.agents.map((a) => (draining.has(a.id) ? { ...a, draining: true } : a)),
  };
}

/**
 * Instances kept on an agent being emptied are replaced elsewhere instead, with the same release. An instance that
 * already has a task of the same spec elsewhere (an interrupted drain started its replacement before it killed the
 * original) keeps that one and stops the one on the agent, as the deploy does: nothing is launched for it.
 */
function moveOff(diff: AppDiff, draining: ReadonlySet<string> | undefined): AppDiff {
  if (draining === undefined || draining.size === 0) return diff;
  const leaving = diff.keep.filter((t) => draining.has(t.agentId));
  if (leaving.length === 0) return diff;
  const keep = diff.keep.filter((t) => !leaving.includes(t));
  const stop = [...diff.stop];
  const moving: TitanTask[] = [];
  for (const task of leaving) {
    const elsewhere = stop
      .filter((t) => t.instance === task.instance && t.digest === diff.digest && !draining.has(t.agentId))
      .sort((a, b) => (b.release ?? 0) - (a.release ?? 0))[0];
    if (elsewhere === undefined) {
      moving.push(task);
      continue;
    }
    stop.splice(stop.indexOf(elsewhere), 1, task);
    keep.push(elsewhere);
  }
  const byInstance = (a: TitanTask, b: TitanTask) => a.instance - b.instance;
  return {
    ...diff,
    keep: keep.sort(byInstance),
    replace: [...diff.replace, ...moving].sort(byInstance),
    stop,
  };
}

function diffFor(
  spec: AppSpec,
  snapshot: ClusterSnapshot,
  region: string | null,
  digest = appDigest(spec),
): AppDiff {
  const tasks = (snapshot.titanTasks[spec.name] ?? []).filter((t) => inRegion(t, region));
  return diffApp(spec.name, region, digest, desiredInstances(spec, region), tasks);
}

/** A task labelled for another region belongs to that region's plan; an unlabelled one to whichever region this is. */
function inRegion(task: TitanTask, region: string | null): boolean {
  return task.region === undefined || region === null || task.region === region;
}

function launchesOf(diff: AppDiff): number[] {
  return [...diff.launch, ...diff.replace.map((t) => t.instance)].sort((a, b) => a - b);
}

function placementsOf(
  spec: AppSpec,
  diff: AppDiff,
  placed: readonly Placement[],
  agentsById: ReadonlyMap<string, Agent>,
): PlannedPlacement[] {
  const replaced = new Set(diff.replace.map((t) => t.instance));
  const moved = new Set(splitMoves(diff).moves.map((t) => t.instance));
  const actionOf = (instance: number): LaunchAction =>
    moved.has(instance) ? "move" : replaced.has(instance) ? "replace" : "launch";
  const dynamicPorts = portNames(spec);
  // Fields written out rather than spread from the placement: this runs for every instance the plan places.
  return placed
    .map(
      (p): PlannedPlacement => ({
        app: p.app,
        instance: p.instance,
        agentId: p.agentId,
        hostname: p.hostname,
        dynamicPorts,
        region: diff.region,
        action: actionOf(p.instance),
        attributes: agentsById.get(p.agentId)?.attributes ?? {},
      }),
    )
    .sort((a, b) => a.instance - b.instance);
}

/**
 * Without replacements a rollout is "stop, then launch", which is exactly the end state just placed; only
 * replacements need the step-by-step simulation, where old tasks still hold resources while new ones start.
 */
function rollouts(
  planned: readonly RolloutInput[],
  snapshot: ClusterSnapshot,
  result: PlacementResult,
  region: string | null,
  seed: number,
): {
  reports: Map<string, RolloutReport>;
  failedInput: PlacementInput | null;
  stepwise: readonly Placement[] | undefined;
} {
  if (planned.some(({ diff }) => diff.replace.length > 0)) {
    const simulation = simulateRollouts(planned, new SimulatedCluster(snapshot), seed);
    const fits = [...simulation.reports.values()].every((r) => r.fits !== false);
    const placedAll = simulation.placements.length === result.placements.length;
    const stepwise = fits && placedAll ? simulation.placements : undefined;
    return { reports: simulation.reports, failedInput: simulation.failedInput, stepwise };
  }
  const reports = new Map<string, RolloutReport>();
  for (const { spec, diff } of planned) {
    const limits = rolloutLimits(spec, diff.desired);
    const unplaced: UnplacedInstance[] = unplacedInstances(
      result.unplaced.filter((g) => g.app === spec.name),
      region,
    );
    const report: RolloutReport = { ...limits, steps: [], fits: unplaced.length === 0, firstFailure: null };
    for (const step of rolloutSteps(diff, limits)) {
      const index = report.steps.length + 1;
      const fits = step.launch.length === 0 || unplaced.length === 0;
      report.steps.push({
        index,
        kind: step.kind,
        launch: step.launch,
        stop: step.stopBefore.map((t) => t.instance),
        fits,
        placements: [],
      });
      if (!fits && !report.firstFailure) report.firstFailure = { step: index, unplaced };
    }
    reports.set(spec.name, report);
  }
  return { reports, failedInput: null, stepwise: undefined };
}

/** Each step's launches with the agent the plan put them on: the steps are what the deploy carries out. */
function withStepPlacements(rollout: RolloutReport, placements: readonly PlannedPlacement[]): RolloutReport {
  const byInstance = new Map(placements.map((p) => [p.instance, p] as const));
  // The planned placement itself stands for the step's landing (it has the instance, agent and host name): a plan
  // has one per instance, and a copy of each would only be more for the collector to move.
  const steps = rollout.steps.map((step) => {
    const landed: StepPlacement[] = [];
    for (const instance of step.launch) {
      const p = byInstance.get(instance);
      if (p !== undefined) landed.push(p);
    }
    return { ...step, placements: landed };
  });
  return { ...rollout, steps };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function emptyRollout(): RolloutReport {
  return { maxSurge: 0, maxUnavailable: 0, steps: [], fits: true, firstFailure: null };
}

function scaleOutAdvice(
  input: PlacementInput | null,
  shapes: readonly AgentShape[] | undefined,
  agents: readonly Agent[],
): Plan["scaleOut"] {
  if (!input) return null;
  return adviseScaleOut(input, shapesFor(shapes, agents));
}

/** The shapes scale-out may add: those given with --shape, else the cluster's own. */
function shapesFor(
  shapes: readonly AgentShape[] | undefined,
  agents: readonly Agent[],
): readonly AgentShape[] {
  return shapes && shapes.length > 0 ? shapes : shapesOf(agents);
}

/**
 * The fewest agents of one shape whose resources cover what the headroom lacks (each new agent's resources are
 * unallocated and unreserved when it joins); ties go to the smaller shape. Null when no shape has the resources.
 */
function headroomAdvice(deficit: Scalars, shapes: readonly AgentShape[]): Plan["scaleOut"] {
  let best: { shape: AgentShape; count: number } | undefined;
  for (const shape of shapes) {
    let count = 0;
    for (const d of DIMENSIONS) {
      if (deficit[d] <= 0) continue;
      count =
        shape.total[d] > 0
          ? Math.max(count, Math.ceil(deficit[d] / shape.total[d]))
          : Number.POSITIVE_INFINITY;
    }
    if (!Number.isFinite(count)) continue;
    const smaller = best !== undefined && count === best.count && shape.total.cpus < best.shape.total.cpus;
    if (best === undefined || count < best.count || smaller) best = { shape, count };
  }
  return best === undefined ? null : { add: [best], agents: [], impossible: [] };
}

function constraintsByApp(apps: readonly AppSpec[]): Record<string, readonly Constraint[]> {
  return Object.fromEntries(apps.map((a) => [a.name, a.constraints]));
}

/** What is in use (not free for titan) over total, for cpus and mem. */
export function utilisation(agents: ReadonlyArray<Pick<Agent, "total" | "free">>): Utilisation {
  const sum = (f: (a: Pick<Agent, "total" | "free">) => number) =>
    Math.round(agents.reduce((n, a) => n + f(a), 0) * 1000) / 1000;
  return {
    cpus: { used: sum((a) => a.total.cpus - a.free.cpus), total: sum((a) => a.total.cpus) },
    mem: { used: sum((a) => a.total.mem - a.free.mem), total: sum((a) => a.total.mem) },
  };
}

/** The plan's `scaleIn` input: `--scale-in` when given; otherwise none on the local cluster, else by size. */
export function scaleInWanted(flag: boolean | undefined, local: boolean): boolean | undefined {
  if (flag === true) return true;
  return local ? false : undefined;
}
