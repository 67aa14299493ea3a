import { ClusterState } from "./cluster.js";
import { RegexCache } from "./constraints.js";
import { EligibilityCache } from "./eligibility.js";
import { groupRequests, orderGroups } from "./groups.js";
import { bindRules } from "./rules.js";
import { placeGroup } from "./select.js";
import type { Constraint, PlacementInput, RunningTask, ScaleInAdvice, TaskRequest } from "./types.js";

/**
 * Which agents could be drained: every task on them re-placed on the remaining agents under all hard constraints.
 * Greedy with verification: agents are tried emptiest first (fewest tasks, then least cpu+mem in use), each by really
 * placing its tasks on the state left by the drains accepted so far, and undoing the attempt when any task does not
 * fit. Agents that received moved tasks are tried like any other, at their new size.
 */
export function adviseScaleIn(
  input: Omit<PlacementInput, "requests">,
  constraintsByApp: Readonly<Record<string, readonly Constraint[]>>,
): ScaleInAdvice {
  const state = new ClusterState(input.agents, input.running, input.seed);
  const eligibility = new EligibilityCache(state);
  const regexes = new RegexCache();
  const hasGpuAgents = state.isGpuAgent.some((g) => g === 1);
  const tasksOn: RunningTask[][] = state.runningByAgent.map((tasks) => [...tasks]);
  const used = (i: number): number =>
    ((state.totalCpus[i] as number) - (state.cpus[i] as number)) / state.normCpus +
    ((state.totalMem[i] as number) - (state.mem[i] as number)) / state.normMem;
  const order = [...Array(state.n).keys()].sort(
    (a, b) =>
      (tasksOn[a]?.length ?? 0) - (tasksOn[b]?.length ?? 0) ||
      used(a) - used(b) ||
      (state.rank[a] as number) - (state.rank[b] as number),
  );
  // Moved tasks go to the agents last in line for draining, so that they rarely have to move twice.
  state.preferredOrder = Int32Array.from(order).reverse();
  const drain: Array<{ agentId: string; hostname: string; tasksMoved: number }> = [];
  const allMoves: Array<{ app: string; instance?: number; from: string; to: string }> = [];
  let tasksMoved = 0;
  for (const i of order) {
    const tasks = tasksOn[i] ?? [];
    state.begin();
    state.disable(i);
    for (const task of tasks) state.leave(i, task.app);
    const requests: TaskRequest[] = tasks.map((task, k) => ({
      app: task.app,
      instance: task.instance ?? k,
      demand: task.demand,
      ports: Array.from({ length: task.portCount }, (_, p) => `port${p}`),
      constraints: constraintsByApp[task.app] ?? [],
      strategy: "binpack",
    }));
    const groups = orderGroups(
      groupRequests(requests, regexes),
      (g) => eligibility.pool(g),
      eligibility.cluster(false),
    );
    const moves: Array<{ agent: number; task: RunningTask }> = [];
    let ok = true;
    for (const group of groups) {
      const eligible = eligibility.get(group.compiled.filters, group.compiled.filterKey);
      let todo: readonly TaskRequest[] = group.requests;
      for (const allowGpu of hasGpuAgents ? [false, true] : [true]) {
        if (todo.length === 0) break;
        const outcome = placeGroup(state, group, todo, eligible, bindRules(state, group, eligible), allowGpu);
        for (const b of outcome.placed) {
          const task = tasks[requests.indexOf(b.request)];
          if (task) moves.push({ agent: b.agent, task });
        }
        todo = outcome.remaining;
      }
      if (todo.length > 0) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      state.rollback();
      continue;
    }
    state.commit();
    const agent = state.agents[i];
    for (const { agent: to, task } of moves) {
      const toId = state.agents[to]?.id ?? "";
      tasksOn[to]?.push({ ...task, agentId: toId });
      allMoves.push({
        app: task.app,
        ...(task.instance === undefined ? {} : { instance: task.instance }),
        from: agent?.id ?? "",
        to: toId,
      });
    }
    tasksOn[i] = [];
    drain.push({ agentId: agent?.id ?? "", hostname: agent?.hostname ?? "", tasksMoved: tasks.length });
    tasksMoved += tasks.length;
  }
  return { drain, tasksMoved, moves: allMoves };
}
