import type { AppPlan, Plan } from "./types.js";

/**
 * One line for a plan that does not fit, naming what stops it: the instances no agent can take, the rollout step
 * that does not fit beside the old tasks, or the step that passes the role's quota. The plan's own explanation
 * (reasons, nearest agents, fixes) is printed with the plan.
 */
export function notFittingSummary(plans: readonly Plan[]): string {
  const failing = plans.filter((plan) => !plan.fits);
  const parts = failing.flatMap(planParts);
  const verb = failing.length > 1 ? "the plans do not fit" : "the plan does not fit";
  const recovering = failing.reduce((n, plan) => n + (plan.recoveringAgents ?? 0), 0);
  const why =
    recovering > 0
      ? [
          `${recovering} agent(s) have not re-registered since the master failed over, so the master offers none of them yet`,
        ]
      : [];
  const all = [...parts, ...why];
  return all.length === 0 ? verb : `${verb}: ${all.join("; ")}`;
}

function planParts(plan: Plan): string[] {
  const where = plan.region === null ? "" : ` in ${plan.region}`;
  const parts = plan.apps.flatMap((app) => appParts(app, where));
  const shortfall = plan.quota?.shortfall ?? null;
  if (plan.quota !== null && shortfall !== null) {
    const bound =
      shortfall.bound === "limit"
        ? `role ${plan.quota.role}'s ${shortfall.resource} quota limit`
        : `the ${shortfall.resource} other roles' quota guarantees leave role ${plan.quota.role}`;
    parts.push(`rollout step ${shortfall.step} of ${shortfall.app}${where} would take more than ${bound}`);
  }
  return parts;
}

function appParts(app: AppPlan, where: string): string[] {
  const unplaced = app.unplaced.length;
  if (unplaced > 0)
    return [`${unplaced} instance${unplaced === 1 ? "" : "s"} of ${app.diff.app}${where} cannot be placed`];
  const failure = app.rollout.firstFailure;
  if (failure === null) return [];
  return [
    `rollout step ${failure.step} of ${app.diff.app}${where} does not fit while the old tasks hold their resources`,
  ];
}

/** Where the plan explains what does not fit: in its JSON document, or in the text above the error. */
export function notFittingHint(json: boolean): string {
  return json
    ? "the plan above says why (each unplaced instance's reasons and fixes, and scale_out)"
    : "the plan above says why, and its fix: lines and scale-out advice what would fit";
}
