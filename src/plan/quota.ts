import { DIMENSIONS, round3, zeroScalars } from "../cluster/resources.js";
import type { RoleQuota, TitanTask } from "../cluster/types.js";
import type { Scalars } from "../placement/types.js";
import { rolloutLimits, rolloutSteps } from "./rollout.js";
import type { AppPlan, QuotaCheck, QuotaShortfall } from "./types.js";

/** How much more unreserved of a resource the role's limit, and other roles' guarantees, let it take (each if any). */
interface Bounds {
  limit?: number;
  guarantees?: number;
}

/**
 * Whether the deploy stays within the quota limit of titan's role. A master offers a role with a limit its
 * unreserved scalars only up to the limit less what the role consumes (hierarchical.cpp `__allocate`), so a step
 * that would take the role past it waits for offers that never come. The apps roll out one after another, each
 * step as the plan shows it: old tasks stopped before the new ones start free their share first, those stopped
 * after (the surge) still count. The role's own reservations are consumed quota already: a new task takes them
 * first where it lands (as the deploy carves an offer), and only the rest adds to the role's consumption. Roles with
 * quota guarantees they do not consume yet make the master hold back unallocated unreserved resources for them from
 * every other role (the required headroom), which bounds the same growth. The first step that would grow past
 * either bound, in a resource it needs, is the shortfall.
 */
export function checkQuota(quota: RoleQuota, apps: readonly AppPlan[]): QuotaCheck {
  const walked = walk(quota, apps, (app) => rolloutLimits(app.spec, app.diff.desired));
  const { shortfall } = walked;
  const headroom =
    quota.headroom === undefined
      ? null
      : { available: quota.headroom.available, heldBack: quota.headroom.heldBack };
  const short = !walked.limitPassed && DIMENSIONS.some((d) => walked.deficit[d] > 0);
  return {
    role: quota.role,
    limits: quota.limits,
    consumed: quota.consumed,
    headroom,
    shortfall,
    headroomDeficit: short ? walked.deficit : null,
    inPlace: shortfall === null ? null : inPlaceFix(quota, apps, shortfall.app),
  };
}

/**
 * Whether replacing `app` in place (max_surge 0: each batch's old tasks stopped before their replacements start)
 * keeps its rollout within quota, the other apps as they are and every new task where the plan places it: then the
 * update that does it, else null. A first launch stops nothing, and an old task on the role's own reservation gives
 * the quota nothing back when it stops (a move off an agent being drained), so in place helps neither.
 */
function inPlaceFix(quota: RoleQuota, apps: readonly AppPlan[], app: string): QuotaCheck["inPlace"] {
  const target = apps.find((a) => a.spec.name === app);
  if (target === undefined) return null;
  const { maxSurge, maxUnavailable } = rolloutLimits(target.spec, target.diff.desired);
  if (maxSurge === 0) return null;
  const inPlace = { maxSurge: 0, maxUnavailable: Math.max(1, maxUnavailable) };
  const walked = walk(quota, apps, (a) => (a === target ? inPlace : rolloutLimits(a.spec, a.diff.desired)));
  if (walked.shortfall !== null && walked.shortfall.app === app) return null;
  return maxUnavailable === 0 ? { maxUnavailable: 1 } : {};
}

interface Walk {
  /** The first step that grows past a bound, in a resource it needs. */
  shortfall: QuotaShortfall | null;
  /** What more agents would have to add to the available headroom. */
  deficit: Scalars;
  /** Whether a limit (which agents do not lift) is passed anywhere. */
  limitPassed: boolean;
}

/** Walks every app's rollout, each with the given limits, as the deploy carries it out (see `checkQuota`). */
function walk(
  quota: RoleQuota,
  apps: readonly AppPlan[],
  limitsOf: (app: AppPlan) => { maxSurge: number; maxUnavailable: number },
): Walk {
  const change = zeroScalars();
  const reservedLeft = new Map(
    Object.entries(quota.reservedFree).map(([agent, free]) => [agent, { ...free }]),
  );
  const stop = (task: TitanTask) => {
    const fromReservation = quota.reservedUse[task.taskId] ?? zeroScalars();
    const left = reservedLeft.get(task.agentId) ?? zeroScalars();
    for (const d of DIMENSIONS) {
      change[d] = round3(change[d] - (task.demand[d] - fromReservation[d]));
      left[d] = round3(left[d] + fromReservation[d]);
    }
    reservedLeft.set(task.agentId, left);
  };
  const launch = (demand: Scalars, agentId: string | undefined) => {
    const left = agentId === undefined ? undefined : reservedLeft.get(agentId);
    for (const d of DIMENSIONS) {
      const fromReservation = Math.min(demand[d], left?.[d] ?? 0);
      if (left !== undefined) left[d] = round3(left[d] - fromReservation);
      change[d] = round3(change[d] + demand[d] - fromReservation);
    }
  };
  const bound = Object.fromEntries(DIMENSIONS.map((d) => [d, boundsOf(quota, d)])) as Record<
    keyof Scalars,
    Bounds
  >;
  const out: Walk = { shortfall: null, deficit: zeroScalars(), limitPassed: false };
  /** After a step's launches: the first shortfall, the headroom deficit, and whether a limit is passed. */
  const account = (demand: Scalars, app: string, step: number) => {
    for (const d of DIMENSIONS) {
      if (demand[d] <= 0) continue;
      const { limit, guarantees } = bound[d];
      if (limit !== undefined && change[d] > limit) out.limitPassed = true;
      if (guarantees !== undefined) out.deficit[d] = Math.max(out.deficit[d], round3(change[d] - guarantees));
      const tightest = tightestOf(bound[d]);
      if (out.shortfall === null && tightest !== undefined && change[d] > tightest.allowed)
        out.shortfall = { resource: d, ...tightest, app, step, more: change[d] };
    }
  };
  for (const app of apps) {
    const demand = app.spec.resources;
    // Where the plan places each new instance: every instance is launched once in a rollout, whatever its steps.
    const landed = new Map(
      app.rollout.steps.flatMap((step) => step.placements.map((p) => [p.instance, p.agentId] as const)),
    );
    for (const [index, step] of rolloutSteps(app.diff, limitsOf(app)).entries()) {
      for (const task of step.stopBefore) stop(task);
      for (const instance of step.launch) launch(demand, landed.get(instance));
      if (step.launch.length > 0) account(demand, app.spec.name, index + 1);
      for (const task of step.stopAfter) stop(task);
    }
  }
  return out;
}

function boundsOf(quota: RoleQuota, resource: keyof Scalars): Bounds {
  const out: Bounds = {};
  const limit = quota.limits[resource];
  if (limit !== undefined) out.limit = round3(limit - quota.consumed[resource]);
  const h = quota.headroom;
  // hierarchical.cpp: offers leave `available - required` headroom, where `required` counts every role's unmet
  // guarantee; the role's own unmet part is its to take (the allocator's first stage), the others' is held back.
  if (h !== undefined && h.heldBack[resource] > 0)
    out.guarantees = round3(
      h.ownUnmet[resource] + Math.max(0, h.available[resource] - h.heldBack[resource] - h.ownUnmet[resource]),
    );
  return out;
}

/** The tighter of the bounds, and which it is; undefined when nothing bounds the resource. */
function tightestOf({
  limit,
  guarantees,
}: Bounds): { allowed: number; bound: QuotaShortfall["bound"] } | undefined {
  if (limit !== undefined && (guarantees === undefined || limit <= guarantees))
    return { allowed: limit, bound: "limit" };
  return guarantees === undefined ? undefined : { allowed: guarantees, bound: "guarantees" };
}
