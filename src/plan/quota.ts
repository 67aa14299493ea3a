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
  let shortfall: QuotaShortfall | null = null;
  // What more agents would have to add to the available headroom, and whether a limit (which agents do not lift)
  // is passed anywhere.
  const deficit = zeroScalars();
  let limitPassed = false;
  /** After a step's launches: the first shortfall, the headroom deficit, and whether a limit is passed. */
  const account = (demand: Scalars, app: string, step: number) => {
    for (const d of DIMENSIONS) {
      if (demand[d] <= 0) continue;
      const { limit, guarantees } = bound[d];
      if (limit !== undefined && change[d] > limit) limitPassed = true;
      if (guarantees !== undefined) deficit[d] = Math.max(deficit[d], round3(change[d] - guarantees));
      const tightest = tightestOf(bound[d]);
      if (shortfall === null && tightest !== undefined && change[d] > tightest.allowed)
        shortfall = { resource: d, ...tightest, app, step, more: change[d] };
    }
  };
  for (const app of apps) {
    const demand = app.spec.resources;
    const steps = rolloutSteps(app.diff, rolloutLimits(app.spec, app.diff.desired));
    for (const [index, step] of steps.entries()) {
      const landed = new Map(
        (app.rollout.steps[index]?.placements ?? []).map((p) => [p.instance, p.agentId]),
      );
      for (const task of step.stopBefore) stop(task);
      for (const instance of step.launch) launch(demand, landed.get(instance));
      if (step.launch.length > 0) account(demand, app.spec.name, index + 1);
      for (const task of step.stopAfter) stop(task);
    }
  }
  const headroom =
    quota.headroom === undefined
      ? null
      : { available: quota.headroom.available, heldBack: quota.headroom.heldBack };
  const short = !limitPassed && DIMENSIONS.some((d) => deficit[d] > 0);
  return {
    role: quota.role,
    limits: quota.limits,
    consumed: quota.consumed,
    headroom,
    shortfall,
    headroomDeficit: short ? deficit : null,
  };
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
