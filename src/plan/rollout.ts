import type { TitanTask } from "../cluster/types.js";
import { type AppSpec, resolveAmount } from "../manifest/types.js";
import { PlacementSession } from "../placement/index.js";
import type { Placement, PlacementInput, TaskRequest } from "../placement/types.js";
import type { SimulatedCluster } from "./cluster-state.js";
import { requestFor, unplacedInstances } from "./requests.js";
import type { AppDiff, RolloutReport, RolloutStep, UnplacedInstance } from "./types.js";

/** One step of a rolling update: stop some old tasks, start some new ones, then stop the old ones they surged past. */
export interface StepPlan {
  kind: RolloutStep["kind"];
  stopBefore: TitanTask[];
  launch: number[];
  stopAfter: TitanTask[];
}

/** max_surge rounds up and max_unavailable down; when both come to 0 the rollout still moves one at a time. */
export function rolloutLimits(spec: AppSpec, desired: number): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = resolveAmount(spec.update.maxSurge, desired, "up");
  const maxUnavailable = resolveAmount(spec.update.maxUnavailable, desired, "down");
  return maxSurge + maxUnavailable === 0 ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge, maxUnavailable };
}

/**
 * The steps of an app's rollout, in order: stop what is no longer wanted (frees capacity first), launch missing
 * instances, then replace old tasks in batches of max_surge + max_unavailable. In each batch up to
 * max_unavailable old tasks stop before the new ones start; the rest keep their resources until the new tasks
 * are up, which is the surge the cluster must hold.
 */
export function rolloutSteps(
  diff: AppDiff,
  limits: { maxSurge: number; maxUnavailable: number },
): StepPlan[] {
  const steps: StepPlan[] = [];
  if (diff.stop.length > 0) steps.push({ kind: "stop", stopBefore: diff.stop, launch: [], stopAfter: [] });
  if (diff.launch.length > 0)
    steps.push({ kind: "launch", stopBefore: [], launch: diff.launch, stopAfter: [] });
  const old = [...diff.replace].sort((a, b) => a.instance - b.instance);
  const batch = limits.maxSurge + limits.maxUnavailable;
  for (let i = 0; i < old.length; i += batch) {
    const tasks = old.slice(i, i + batch);
    const unavailable = Math.min(limits.maxUnavailable, tasks.length);
    steps.push({
      kind: "replace",
      stopBefore: tasks.slice(0, unavailable),
      launch: tasks.map((t) => t.instance),
      stopAfter: tasks.slice(unavailable),
    });
  }
  return steps;
}

export interface RolloutSimulation {
  reports: Map<string, RolloutReport>;
  /** The placement input of the first step that does not fit, for scale-out advice. */
  failedInput: PlacementInput | null;
  /**
   * Where each step put its launches, on the cluster as it stands at that step: what the deploy carries out. Only
   * room that is free at the step counts, so a step never waits on an agent that frees up later in the rollout.
   */
  placements: Placement[];
}

export interface RolloutInput {
  spec: AppSpec;
  diff: AppDiff;
}

/**
 * Simulates every app's rollout on the cluster, one app after another in manifest order, placing the new tasks of
 * each step while the old tasks that have not been stopped yet still hold their resources. Stops at the first step
 * that does not fit; the steps after it are reported as not simulated.
 */
export function simulateRollouts(
  apps: readonly RolloutInput[],
  state: SimulatedCluster,
  seed: number,
): RolloutSimulation {
  const reports = new Map<string, RolloutReport>();
  const placements: Placement[] = [];
  let failed = false;
  let failedInput: PlacementInput | null = null;
  // One engine state for every step: rebuilding it from the whole cluster per step would cost O(agents) each time.
  // The tasks a rollout stops hold their resources until then, but count for no spread or uniqueness of their
  // app: the new tasks are placed as the end state places them, balanced among themselves and the kept ones.
  // Counted, not only named: a kept task may share its app, instance and agent with the old task it replaced (a
  // deploy killed mid-surge launched it there), and it counts for its app.
  const outgoing = new Map<string, number>();
  for (const { diff } of apps)
    for (const t of [...diff.replace, ...diff.stop])
      outgoing.set(taskKey(t), (outgoing.get(taskKey(t)) ?? 0) + 1);
  const running = state.runningTasks().map((t) => {
    if (t.instance === undefined) return t;
    const left = outgoing.get(taskKey(t));
    if (left === undefined || left === 0) return t;
    outgoing.set(taskKey(t), left - 1);
    return { ...t, app: outgoingApp(t.app) };
  });
  const session = new PlacementSession(state.agentList(), running, seed);
  const cluster = { state: new AsOfFailure(state), session };
  for (const { spec, diff } of apps) {
    const failedBefore = failed;
    const limits = rolloutLimits(spec, diff.desired);
    const report: RolloutReport = { ...limits, steps: [], fits: true, firstFailure: null };
    for (const step of rolloutSteps(diff, limits)) {
      const stopped = [...step.stopBefore, ...step.stopAfter].map((t) => t.instance);
      const entry: RolloutStep = {
        index: report.steps.length + 1,
        kind: step.kind,
        launch: step.launch,
        stop: stopped,
        fits: null,
        placements: [],
      };
      report.steps.push(entry);
      if (failed) continue;
      const { unplaced, input, placed } = runStep(step, spec, diff, cluster, seed);
      placements.push(...placed);
      entry.placements = placed.map((p) => ({
        instance: p.instance,
        agentId: p.agentId,
        hostname: p.hostname,
      }));
      entry.fits = unplaced.length === 0;
      if (!entry.fits) {
        failed = true;
        failedInput = input;
        report.fits = false;
        report.firstFailure = { step: entry.index, unplaced };
      }
    }
    if (failedBefore && report.steps.length > 0) report.fits = null;
    reports.set(spec.name, report);
  }
  return { reports, failedInput, placements };
}

function runStep(
  step: StepPlan,
  spec: AppSpec,
  diff: AppDiff,
  cluster: { state: AsOfFailure; session: PlacementSession },
  seed: number,
): { unplaced: UnplacedInstance[]; input: PlacementInput | null; placed: readonly Placement[] } {
  const { state, session } = cluster;
  const stop = (t: TitanTask): void => {
    state.release(t);
    session.release(t.agentId, outgoingApp(t.app), t.demand, t.ports);
  };
  for (const t of step.stopBefore) stop(t);
  let unplaced: UnplacedInstance[] = [];
  let input: PlacementInput | null = null;
  let placed: readonly Placement[] = [];
  if (step.launch.length > 0) {
    const requests = step.launch.map((i) => requestFor(spec, i));
    const result = session.place(requests);
    unplaced = unplacedInstances(result.unplaced, diff.region);
    // Scale-out advice re-places the failing step on the cluster as it stood before it.
    if (unplaced.length > 0) input = state.input(requests, seed);
    state.occupy(result.placements, requests);
    placed = result.placements;
  }
  for (const t of step.stopAfter) stop(t);
  return { unplaced, input, placed };
}

/**
 * The simulated cluster as the rollout leaves it, brought up to date only when a step does not fit: scale-out
 * advice re-places that step on the cluster as it stood, and nothing else reads it. Until then stops and starts are
 * only noted, in order (a rollout of 50,000 instances otherwise merges port ranges 100,000 times for nothing).
 */
class AsOfFailure {
  private pending: Array<
    | { kind: "release"; tasks: TitanTask[] }
    | { kind: "occupy"; placements: readonly Placement[]; requests: TaskRequest[] }
  > = [];

  constructor(private readonly state: SimulatedCluster) {}

  /** Stops in a row are kept together, to be made with one update per agent. */
  release(task: TitanTask): void {
    const last = this.pending.at(-1);
    if (last?.kind === "release") last.tasks.push(task);
    else this.pending.push({ kind: "release", tasks: [task] });
  }

  occupy(placements: readonly Placement[], requests: TaskRequest[]): void {
    this.pending.push({ kind: "occupy", placements, requests });
  }

  input(requests: readonly TaskRequest[], seed: number): PlacementInput {
    for (const change of this.pending) {
      if (change.kind === "release") this.state.releaseAll(change.tasks);
      else this.state.occupy(change.placements, change.requests);
    }
    this.pending = [];
    return this.state.input(requests, seed);
  }
}

function taskKey(task: { app: string; instance?: number | undefined; agentId: string }): string {
  return `${task.app}\u0000${task.instance}\u0000${task.agentId}`;
}

/** The name an outgoing task of an app is counted under: no app can have it, so no constraint of the app sees it. */
function outgoingApp(app: string): string {
  return `${app}\u0000outgoing`;
}
