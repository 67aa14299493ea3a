import type { TitanTask } from "../cluster/types.js";
import { formatDuration } from "../manifest/index.js";
import type { Offer } from "../mesos/types/mesos.js";
import { place } from "../placement/index.js";
import type { Agent, Scalars } from "../placement/types.js";
import { requestFor } from "../plan/requests.js";
import type { DeployEvent } from "./events.js";
import type { PlannedAgent } from "./offer-plan.js";
import { offerToAgent } from "./offers.js";
import { decide, isCurrent, stayingTasks } from "./tracked-view.js";
import type { TrackedInstances } from "./tracking.js";

/** The cluster as the plan saw it: enough to place the rest of the rollout again with the plan's own function. */
export interface PlanCluster {
  /** The agents of the plan's cluster state, with what was free on each. */
  agents: readonly Agent[];
  /** The app's tasks in that state (their resources are not in `free`). */
  known: readonly TitanTask[];
}

/** What the deploy carries out: where each instance not launched yet goes, and what re-planning needs. */
export interface DeployPlan {
  /** Instance → the agent it is to be launched on. An instance leaves it when it is launched. */
  readonly planned: ReadonlyMap<number, PlannedAgent>;
  /** Since when each launchable instance waits for an offer (for the bounded wait on its planned agent). */
  readonly waitingSince: ReadonlyMap<number, number>;
  /** Absent when there is nothing to re-plan from (the deploy was given no cluster state). */
  readonly cluster: PlanCluster | undefined;
  /** Agents not to plan on any more, with why (lost, or offered no room in time). */
  readonly avoid: ReadonlyMap<string, string>;
}

/** How long an instance waits for the agent the plan put it on before the rest of the rollout is placed anew. */
export const PLANNED_OFFER_WAIT_MS = 5000;

export function deployPlan(planned: ReadonlyMap<number, PlannedAgent>, cluster?: PlanCluster): DeployPlan {
  return { planned, waitingSince: new Map(), cluster, avoid: new Map() };
}

/**
 * The plan of a rollback: the instances of the release rolled back to that are still to launch, placed by the
 * placement engine on the plan's cluster as the deploy now sees it (the failed release's launches counted), so a
 * rollback keeps the app's spreads as a deploy does. Without a cluster to plan on, they go wherever offers allow.
 */
export function rollbackPlan(
  plan: DeployPlan,
  tracked: TrackedInstances,
  seed: number,
  now: number,
): DeployPlan {
  const fresh: DeployPlan = { ...plan, planned: new Map(), waitingSince: new Map() };
  const remaining = decide(tracked, now).pending;
  const reason = `rolling back to release ${tracked.target.release.number}`;
  return replan(fresh, tracked, { reason, remaining }, seed, now).plan;
}

export interface Replanned {
  plan: DeployPlan;
  /** The `replan` event, when a planned instance's agent changed. */
  event: DeployEvent | undefined;
}

/**
 * Reality diverged from the plan: every instance of the rollout not launched yet (`remaining`) is placed again by
 * the placement engine, from the plan's cluster state updated with what the deploy knows since (its own launches
 * and ends, agents lost or silent, agents seen in `offers`), under the app's constraints with the tasks that stay
 * counted as the plan and the offers count them, so spreads such as zone balance hold across the whole rest of the
 * rollout. Pure. A supervisor's plan has no cluster and nothing planned: it never gets here to place.
 */
export function replan(
  plan: DeployPlan,
  tracked: TrackedInstances,
  change: {
    reason: string;
    remaining: readonly number[];
    avoid?: ReadonlyMap<string, string>;
    offers?: readonly Offer[];
  },
  seed: number,
  now: number,
): Replanned {
  const avoid = new Map([...plan.avoid, ...(change.avoid ?? [])]);
  const placed = new Map<number, PlannedAgent>();
  if (plan.cluster !== undefined && change.remaining.length > 0) {
    const spec = tracked.target.spec;
    const result = place({
      agents: clusterView(plan.cluster, tracked, avoid, change.offers ?? []),
      running: stayingTasks(tracked, false),
      requests: change.remaining.map((instance) => requestFor(spec, instance)),
      seed,
    });
    for (const p of result.placements) placed.set(p.instance, { agentId: p.agentId, hostname: p.hostname });
  }
  const changes = change.remaining.flatMap((instance) => {
    const from = plan.planned.get(instance);
    const to = placed.get(instance);
    if (from === undefined || from.agentId === to?.agentId) return [];
    return [{ instance, from: from.hostname, to: to?.hostname ?? null }];
  });
  const remaining = new Set(change.remaining);
  const planned = new Map([...plan.planned].filter(([instance]) => !remaining.has(instance)));
  for (const [instance, agent] of placed) planned.set(instance, agent);
  // A new placement gets a fresh wait for its agent.
  const waitingSince = new Map(
    [...plan.waitingSince].filter(([i]) => plan.planned.get(i)?.agentId === planned.get(i)?.agentId),
  );
  for (const instance of remaining)
    if (!waitingSince.has(instance) && plan.waitingSince.has(instance)) waitingSince.set(instance, now);
  const event: DeployEvent | undefined =
    changes.length === 0 ? undefined : { type: "replan", app: tracked.app, reason: change.reason, changes };
  return { plan: { ...plan, planned, waitingSince, avoid }, event };
}

/**
 * Instances whose planned agent offered no room within PLANNED_OFFER_WAIT_MS of their becoming launchable (the
 * agent may be lost, or busy with other frameworks' tasks): the rest of the rollout is placed anew without those
 * agents. Also starts and ends each instance's wait.
 */
export function replanOverdue(
  plan: DeployPlan,
  tracked: TrackedInstances,
  launchable: readonly number[],
  remaining: readonly number[],
  offers: readonly Offer[],
  seed: number,
  now: number,
): Replanned {
  // Nothing planned (a supervisor, or every planned instance launched): no agent to wait for.
  if (plan.planned.size === 0 && plan.waitingSince.size === 0) return { plan, event: undefined };
  const waitingSince = new Map<number, number>();
  for (const instance of launchable) waitingSince.set(instance, plan.waitingSince.get(instance) ?? now);
  const waited = { ...plan, waitingSince };
  const overdue = new Map<string, string>();
  const late: number[] = [];
  for (const [instance, since] of waitingSince) {
    const agent = plan.planned.get(instance);
    if (agent === undefined || now - since < PLANNED_OFFER_WAIT_MS) continue;
    overdue.set(
      agent.agentId,
      `${agent.hostname} offered no room within ${formatDuration(PLANNED_OFFER_WAIT_MS)}`,
    );
    late.push(instance);
  }
  if (late.length === 0) return { plan: waited, event: undefined };
  const hosts = [...new Set(late.map((i) => plan.planned.get(i)?.hostname))].join(", ");
  const reason = `${hosts} offered no room for instance(s) ${late.join(", ")} within ${formatDuration(PLANNED_OFFER_WAIT_MS)}`;
  return replan(waited, tracked, { reason, remaining, avoid: overdue, offers }, seed, now);
}

/**
 * The plan's agents as they stand now, as far as the deploy can tell: the app's tasks that ended or are being
 * replaced give their room back (as in the plan's end state), its launches since take theirs, agents to avoid
 * are left out, and agents that offered but were not in the plan's state are added as their offers show them.
 */
function clusterView(
  cluster: PlanCluster,
  tracked: TrackedInstances,
  avoid: ReadonlyMap<string, string>,
  offers: readonly Offer[],
): Agent[] {
  const delta = new Map<string, Scalars>();
  const knownIds = new Set<string>();
  for (const task of cluster.known) {
    knownIds.add(task.taskId);
    const now = tracked.tasks.get(task.taskId);
    if (now === undefined || !isCurrent(tracked, now)) adjust(delta, task.agentId, task.demand, 1);
  }
  for (const task of tracked.tasks.values())
    if (!knownIds.has(task.taskId) && task.agentId !== undefined)
      adjust(delta, task.agentId, tracked.target.spec.resources, -1);
  const agents = cluster.agents
    .filter((a) => !avoid.has(a.id))
    .map((a) => {
      const d = delta.get(a.id);
      return d === undefined ? a : { ...a, free: withDelta(a.free, d, a.total) };
    });
  const seen = new Set(cluster.agents.map((a) => a.id));
  for (const offer of offers) {
    const id = offer.agent_id.value;
    if (seen.has(id) || avoid.has(id)) continue;
    seen.add(id);
    agents.push(offerToAgent(offer));
  }
  return agents;
}

function adjust(delta: Map<string, Scalars>, agentId: string, demand: Scalars, sign: 1 | -1): void {
  const d = delta.get(agentId) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0 };
  delta.set(agentId, {
    cpus: d.cpus + sign * demand.cpus,
    mem: d.mem + sign * demand.mem,
    disk: d.disk + sign * demand.disk,
    gpus: d.gpus + sign * demand.gpus,
  });
}

function withDelta(free: Scalars, d: Scalars, total: Scalars): Scalars {
  const clamp = (value: number, max: number): number =>
    Math.min(max, Math.max(0, Math.round(value * 1000) / 1000));
  return {
    cpus: clamp(free.cpus + d.cpus, total.cpus),
    mem: clamp(free.mem + d.mem, total.mem),
    disk: clamp(free.disk + d.disk, total.disk),
    gpus: clamp(free.gpus + d.gpus, total.gpus),
  };
}
