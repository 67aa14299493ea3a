import { hourlyReplacements } from "../manifest/types.js";
import { formatDuration } from "../manifest/units.js";
import { formatMissing } from "../plan/format.js";
import { formatReason } from "../plan/requests.js";
import type { EngineState, OfferRounds } from "./engine-state.js";
import { holding } from "./reconciliation.js";
import { budgetFreesAt, decide, few, isCurrent } from "./tracked-view.js";

/** What a deploy is waiting on, as far as a person watching it needs to know. */
export interface WaitingView {
  /** Set while the scheduler session is re-subscribing: when titan gives up. */
  reconnectingUntil?: number;
  subscribed: boolean;
  /** Tasks the master has not reported on since titan asked (after a failover: agents not re-registered yet). */
  unanswered: readonly string[];
  /** Instances with no task yet that may be launched now: they wait for an offer. */
  awaitingOffers: readonly string[];
  /** Why no offer held them so far (offerShortage), when known. */
  shortage?: string;
  /** Instances held back by the restart backoff, with when they may be launched again. */
  backoff: ReadonlyArray<{ instance: number; until: number }>;
  /** Current tasks launched but not running yet (their ACCEPT answered). */
  starting: readonly string[];
  /** Current tasks whose ACCEPT the master has not answered yet (absent: none). */
  accepting?: readonly string[];
  /** Current tasks running whose health check has not passed yet. */
  unhealthy: readonly string[];
  /** Current tasks healthy, but for less than min_healthy_time: how long each has left to hold it. */
  holding: ReadonlyArray<{ task: string; leftMs: number }>;
  /** The release's min_healthy_time. */
  minHealthyMs: number;
  /** Tasks asked to stop that are not terminal yet. */
  stopping: readonly string[];
  /** Instances whose replacement waits for the disruption budget, the hourly limit and when it next allows one. */
  budget?: { instances: readonly number[]; perHour: number; freesAt: number | undefined };
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** One sentence: what the deploy waits for, most blocking first. Pure, so tests can read it. */
export function waitingFor(view: WaitingView): string {
  if (view.reconnectingUntil !== undefined)
    return `the master to answer again (reconnecting until ${clock(view.reconnectingUntil)} UTC, then giving up)`;
  if (!view.subscribed) return "the master to accept the subscription";
  if (view.unanswered.length > 0)
    return `the master to report ${view.unanswered.length} task(s) it has not answered for (${few(view.unanswered)}): after a master failover their agents re-register within its agent_reregister_timeout; they are not relaunched meanwhile`;
  const parts: string[] = [];
  if (view.awaitingOffers.length > 0) {
    const why = view.shortage === undefined ? "" : `: ${view.shortage}`;
    parts.push(`offers to place instance(s) ${few(view.awaitingOffers)} (offers revived)${why}`);
  }
  if (view.backoff.length > 0) {
    const next = Math.min(...view.backoff.map((b) => b.until));
    parts.push(
      `the restart backoff of instance(s) ${few(view.backoff.map((b) => b.instance))} (next relaunch at ${clock(next)} UTC)`,
    );
  }
  if (view.budget !== undefined) {
    const { instances, perHour, freesAt } = view.budget;
    const next = freesAt === undefined ? "" : ` (the next may start at ${clock(freesAt)} UTC)`;
    parts.push(
      `the disruption budget to replace instance(s) ${few(instances)}: max_per_hour ${perHour} replaced in the last hour${next}`,
    );
  }
  if ((view.accepting ?? []).length > 0)
    parts.push(`the master to answer the launch of ${few(view.accepting ?? [])} (its ACCEPT is unanswered)`);
  if (view.starting.length > 0) parts.push(`${few(view.starting)} to start`);
  const minHealthy = `min_healthy_time ${formatDuration(view.minHealthyMs)}`;
  if (view.unhealthy.length > 0)
    parts.push(
      `${few(view.unhealthy)} to pass the health check${view.minHealthyMs > 0 ? ` and stay healthy for ${minHealthy}` : ""}`,
    );
  if (view.holding.length > 0) {
    // The one with the most left is the one the release waits on.
    const longest = Math.max(...view.holding.map((h) => h.leftMs));
    parts.push(
      `${few(view.holding.map((h) => h.task))} to stay healthy for ${minHealthy} (${formatDuration(Math.ceil(longest / 1000) * 1000)} left)`,
    );
  }
  if (view.stopping.length > 0) parts.push(`${few(view.stopping)} to stop`);
  return parts.length > 0 ? parts.join("; ") : "the next status update";
}

/** The sentence for the deploy's current wait, from the engine's state and the rollout's next decision. */
export function describeWait(state: EngineState, now: number): string {
  const { tracked, link, plan } = state;
  const settled = link.subscribed && !holding(tracked, state.reconciliation, now);
  const tasks = [...tracked.tasks.values()];
  const current = tasks.filter((t) => isCurrent(tracked, t) && !t.killSent);
  const decision = settled ? decide(tracked, now) : undefined;
  const launches = (decision?.actions ?? []).flatMap((a) => (a.kind === "launch" ? [a.instance] : []));
  const awaitingOffers = launches.map((instance) => {
    const agent = plan.planned.get(instance);
    return agent === undefined ? String(instance) : `${instance} (planned on ${agent.hostname})`;
  });
  const shortage = offerShortage(state.offerRounds, launches, (i) => plan.planned.has(i), now);
  const backoff = (decision?.pending ?? []).flatMap((instance) => {
    const until = tracked.backoffUntil.get(instance);
    return until !== undefined && until > now ? [{ instance, until }] : [];
  });
  const perHour = hourlyReplacements(tracked.target.spec, tracked.desired);
  const minHealthyMs = tracked.target.spec.update.minHealthyTimeMs;
  const warming = current.filter((t) => t.state === "TASK_RUNNING" && !tracked.counting.has(t.taskId));
  const held = decision?.heldForBudget ?? [];
  return waitingFor({
    ...(held.length === 0 || perHour === undefined
      ? {}
      : { budget: { instances: held, perHour, freesAt: budgetFreesAt(tracked, now) } }),
    subscribed: link.subscribed,
    ...(link.reconnectingUntil === undefined ? {} : { reconnectingUntil: link.reconnectingUntil }),
    unanswered: [...tracked.unanswered],
    awaitingOffers,
    ...(shortage === undefined ? {} : { shortage }),
    backoff,
    starting: current.filter((t) => t.state !== "TASK_RUNNING" && t.accepting !== true).map((t) => t.taskId),
    accepting: current.filter((t) => t.accepting === true).map((t) => t.taskId),
    unhealthy: warming.filter((t) => t.healthySince === undefined).map((t) => t.taskId),
    holding: warming.flatMap((t) =>
      t.healthySince === undefined
        ? []
        : [{ task: t.taskId, leftMs: Math.max(0, t.healthySince + minHealthyMs - now) }],
    ),
    minHealthyMs,
    stopping: tasks.filter((t) => t.killSent).map((t) => t.taskId),
  });
}

/**
 * Why instances waiting for offers found none that holds them: what placement said of the last offers weighed for
 * them, or since when no offer has come (instances bound to their planned agent wait for that agent's offer);
 * undefined when no instance waits.
 */
/**
 * How long no offer must have come for that to say anything: after a decline titan's filters last 2 s and a master
 * allocates every second, so a shorter silence is the ordinary gap between offers, not a full cluster.
 */
export const NO_OFFER_EVIDENCE_MS = 4000;

export function offerShortage(
  rounds: OfferRounds,
  waiting: readonly number[],
  pinned: (instance: number) => boolean,
  now: number,
): string | undefined {
  if (waiting.length === 0) return undefined;
  const short = rounds.short;
  if (short?.instances.some((i) => waiting.includes(i))) {
    const reasons = short.reasons.map(formatReason).join(", ");
    const near = short.nearest.map((n) => `${n.hostname} (${formatMissing(n.missing)})`).join(", ");
    const nearest = near === "" ? "" : `; nearest ${near}`;
    return `the offers of ${clock(short.at)} UTC could not hold them: ${reasons || "no agent fits"}${nearest}`;
  }
  // hierarchical.cpp __allocate offers an agent's resources only when, shrunk to the role's quota limit and the
  // headroom other roles' guarantees hold back, they are still allocatable: a full cluster sends nothing at all.
  const none = "(a master offers nothing while no agent has resources free for the role, its quota included)";
  const quietSince = Math.max(
    rounds.lastAt ?? Number.NEGATIVE_INFINITY,
    rounds.subscribedAt ?? Number.NEGATIVE_INFINITY,
  );
  if (quietSince !== Number.NEGATIVE_INFINITY && now - quietSince < NO_OFFER_EVIDENCE_MS) return undefined;
  if (rounds.lastAt === undefined) return `no offer has come yet ${none}`;
  if (waiting.every(pinned)) return "the agents planned for them made no offer";
  return `no offer has come since ${clock(rounds.lastAt)} UTC ${none}`;
}

/**
 * For a release out of time: which instances never found room in an offer, and why, when that is known. An
 * instance launched before (and crashed, or still in its backoff) is the app's failure, not the cluster's, however
 * its relaunch fares.
 */
export function unplacedByOffers(state: EngineState, now: number): string | undefined {
  const { tracked } = state;
  const neverLaunched = (i: number) => !tracked.firstLaunchAt.has(i) && !tracked.proven.has(i);
  const waiting = decide(tracked, now).actions.flatMap((a) =>
    a.kind === "launch" && neverLaunched(a.instance) ? [a.instance] : [],
  );
  const shortage = offerShortage(state.offerRounds, waiting, (i) => state.plan.planned.has(i), now);
  return shortage === undefined ? undefined : `instance(s) ${few(waiting)} found no room: ${shortage}`;
}

/** After this long without anything happening the deploy says what it waits for, and again at most this often. */
const SILENT_WAIT_MS = 5000;
const WAITING_REPEAT_MS = 15_000;

/** When a quiet deploy is due to say what it waits for. */
export class QuietTimer {
  private lastChangeAt = Number.NEGATIVE_INFINITY;
  private lastSaidAt = Number.NEGATIVE_INFINITY;

  /** Something was reported. */
  changed(now: number): void {
    this.lastChangeAt = now;
  }

  /** Whether to say it now; if so, it counts as said. */
  due(now: number): boolean {
    if (now - this.lastChangeAt < SILENT_WAIT_MS) return false;
    if (this.lastSaidAt > this.lastChangeAt && now - this.lastSaidAt < WAITING_REPEAT_MS) return false;
    this.lastSaidAt = now;
    return true;
  }
}
