import { ClusterState } from "./cluster.js";
import { RegexCache } from "./constraints.js";
import { EligibilityCache } from "./eligibility.js";
import { explainGroup } from "./explain.js";
import { groupRequests, orderGroups, type RequestGroup } from "./groups.js";
import { bindRules } from "./rules.js";
import {
  type Booked,
  noteOpened,
  type PassAgents,
  passAgents,
  placeGroup,
  shrinkAgentList,
} from "./select.js";

const SHRINK_EVERY = 8;
const FEW_GROUPS = 16;

/** For each position, the smallest value of `f` over the groups from there to the end. */
function suffixMin(groups: readonly RequestGroup[], f: (g: RequestGroup) => number): Float64Array {
  const out = new Float64Array(groups.length);
  let min = Number.POSITIVE_INFINITY;
  for (let k = groups.length - 1; k >= 0; k--) {
    min = Math.min(min, f(groups[k] as RequestGroup));
    out[k] = min;
  }
  return out;
}

import type { Placement, PlacementInput, PlacementResult, TaskRequest, UnplacedGroup } from "./types.js";

/**
 * What the runs of a placement session share: the agents' attribute verdicts, and one pass's view of the agents
 * (those in use by room, the empty ones in opening order), kept up to date as runs place and tasks stop.
 */
export interface CarriedAgents {
  verdicts: Map<string, Uint8Array>;
  agents: PassAgents;
}

/** A finished run: the result plus the state it left, for callers that keep asking questions (scale-in, fixes). */
export interface PlacementRun {
  state: ClusterState;
  booked: Booked[];
  unplaced: Array<{ group: RequestGroup; remaining: TaskRequest[] }>;
  eligibility: EligibilityCache;
}

/**
 * Places `input.requests` (already grouped when the caller re-runs the same requests, as scale-out does).
 * Two passes over the groups, hardest first. The first keeps GPU agents for GPU requests; the second lets what is
 * still unplaced use the GPU agents' leftovers, so they are spent on other work only when nothing else fits.
 */
export function runPlacement(
  input: PlacementInput,
  grouped: readonly RequestGroup[] = groupRequests(input.requests, new RegexCache()),
): PlacementRun {
  return runOn(new ClusterState(input.agents, input.running, input.seed), grouped);
}

/**
 * Places the groups on a state that may have seen earlier runs (a rollout places step after step on one state).
 * `scanEveryAgent` turns off what a pass over many groups skips (agents too full for what is left, empty agents
 * beyond those a group can use): the choices are the same, only slower, which the tests hold it to.
 */
export function runOn(
  state: ClusterState,
  grouped: readonly RequestGroup[],
  options: { scanEveryAgent?: boolean; carried?: CarriedAgents } = {},
): PlacementRun {
  const { carried } = options;
  const eligibility = new EligibilityCache(state, carried?.verdicts);
  // Ordering sums up each group's eligible agents: with one group (a rollout step) there is nothing to order.
  const groups =
    grouped.length > 1
      ? orderGroups([...grouped], (g) => eligibility.pool(g), eligibility.cluster(false))
      : [...grouped];
  const booked: Booked[] = [];
  const remainingOf = new Map<RequestGroup, TaskRequest[]>();
  const { hasGpuAgents } = state;
  const pass = (
    order: readonly RequestGroup[],
    todoOf: (g: RequestGroup) => readonly TaskRequest[],
    allowGpuAgents: boolean,
  ): void => {
    // Agents too full for every group still to come are dropped from the scan as the pass goes on.
    const minCpus = suffixMin(order, (g) => g.units.cpus);
    const minMem = suffixMin(order, (g) => g.units.mem);
    // Sorting the empty agents pays off over many groups, or over the many runs of a session; a single run of a few
    // groups just scans every agent.
    const agents =
      carried?.agents ??
      (order.length >= FEW_GROUPS && options.scanEveryAgent !== true ? passAgents(state) : undefined);
    order.forEach((group, k) => {
      const todo = todoOf(group);
      if (todo.length === 0) return;
      // A session's later runs may place smaller demands, or on agents that have since freed up: it keeps them all.
      if (agents && !carried && k % SHRINK_EVERY === 0)
        shrinkAgentList(state, agents.occupied, minCpus[k] as number, minMem[k] as number);
      const eligible = eligibility.get(group.compiled.filters, group.compiled.filterKey);
      const rules = bindRules(state, group, eligible);
      const outcome = placeGroup(state, group, todo, eligible, rules, {
        allowGpuAgents,
        ...(agents ? { candidates: agents } : {}),
      });
      if (agents) noteOpened(agents, outcome.placed);
      for (const b of outcome.placed) booked.push(b);
      remainingOf.set(group, outcome.remaining);
    });
  };
  pass(groups, (g) => g.requests, !hasGpuAgents);
  if (hasGpuAgents) {
    const leftovers = groups.filter((g) => g.units.gpus === 0 && (remainingOf.get(g)?.length ?? 0) > 0);
    pass(leftovers, (g) => remainingOf.get(g) ?? [], true);
  }
  const unplaced = groups
    .map((group) => ({ group, remaining: remainingOf.get(group) ?? [] }))
    .filter((u) => u.remaining.length > 0);
  return { state, booked, unplaced, eligibility };
}

export function place(input: PlacementInput): PlacementResult {
  const started = performance.now();
  const run = runPlacement(input);
  return resultOf(run, input.seed, started);
}

/** The caller's view of a run: placements with their host ports, and every unplaced group explained. */
export function resultOf(run: PlacementRun, seed: number, started: number): PlacementResult {
  const { state } = run;
  const placements: Placement[] = run.booked.map(({ request, agent, ports }) => {
    const a = state.agents[agent];
    const named: Record<string, number> = {};
    request.ports.forEach((name, j) => {
      named[name] = ports[j] as number;
    });
    return {
      app: request.app,
      instance: request.instance,
      agentId: a?.id ?? "",
      hostname: a?.hostname ?? "",
      ports: named,
    };
  });
  placements.sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.instance - b.instance));
  const unplaced: UnplacedGroup[] = run.unplaced.map(({ group, remaining }) =>
    explainGroup(
      state,
      group,
      remaining,
      run.eligibility.get(group.compiled.filters, group.compiled.filterKey),
    ),
  );
  unplaced.sort((a, b) =>
    a.app < b.app ? -1 : a.app > b.app ? 1 : (a.instances[0] ?? 0) - (b.instances[0] ?? 0),
  );
  return {
    placements,
    unplaced,
    seed,
    metrics: { agentsEvaluated: state.evaluations, durationMs: performance.now() - started },
  };
}
