import { ClusterState } from "./cluster.js";
import { RegexCache } from "./constraints.js";
import { type CarriedAgents, resultOf, runOn } from "./engine.js";
import { groupRequests } from "./groups.js";
import { noteRoomChanged, passAgents } from "./select.js";
import type { Agent, PlacementResult, RunningTask, Scalars, TaskRequest } from "./types.js";
import { toUnits } from "./units.js";

/**
 * One cluster state placed on again and again: what a rolling update does step by step. `place` books what it
 * places, `release` frees what a stopped task held. Each call gives what `place()` would give on a fresh input
 * describing the same cluster at that moment, without rebuilding the state from every agent and task each time.
 */
export class PlacementSession {
  private readonly state: ClusterState;
  private readonly regexes = new RegexCache();
  /**
   * The agents as the runs see them, made on the first run and kept up to date after: a rollout places thousands of
   * small steps, and sorting or scanning every agent for each would make each step cost as much as the cluster.
   */
  private carried: CarriedAgents | undefined;

  /** `scanEveryAgent` makes each run score every agent, as a single run of a few groups does (for tests). */
  constructor(
    agents: readonly Agent[],
    running: readonly RunningTask[],
    private readonly seed: number,
    private readonly options: { scanEveryAgent?: boolean } = {},
  ) {
    this.state = new ClusterState(agents, running, seed);
  }

  place(requests: readonly TaskRequest[]): PlacementResult {
    const started = performance.now();
    this.state.evaluations = 0;
    const grouped = groupRequests(requests, this.regexes);
    if (this.options.scanEveryAgent === true)
      return resultOf(runOn(this.state, grouped, { scanEveryAgent: true }), this.seed, started);
    this.carried ??= { verdicts: new Map(), agents: passAgents(this.state) };
    return resultOf(runOn(this.state, grouped, { carried: this.carried }), this.seed, started);
  }

  /** A task of the app on the agent stops; unknown agents are ignored, as they are in a placement input. */
  release(agentId: string, app: string, demand: Scalars, ports: readonly number[]): void {
    const i = this.state.indexById.get(agentId);
    if (i === undefined) return;
    this.state.release(i, app, toUnits(demand), ports);
    if (this.carried) noteRoomChanged(this.carried.agents, i);
  }
}
