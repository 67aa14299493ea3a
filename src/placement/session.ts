import { ClusterState } from "./cluster.js";
import { RegexCache } from "./constraints.js";
import { resultOf, runOn } from "./engine.js";
import { groupRequests } from "./groups.js";
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

  constructor(
    agents: readonly Agent[],
    running: readonly RunningTask[],
    private readonly seed: number,
  ) {
    this.state = new ClusterState(agents, running, seed);
  }

  place(requests: readonly TaskRequest[]): PlacementResult {
    const started = performance.now();
    this.state.evaluations = 0;
    return resultOf(runOn(this.state, groupRequests(requests, this.regexes)), this.seed, started);
  }

  /** A task of the app on the agent stops; unknown agents are ignored, as they are in a placement input. */
  release(agentId: string, app: string, demand: Scalars, ports: readonly number[]): void {
    const i = this.state.indexById.get(agentId);
    if (i !== undefined) this.state.release(i, app, toUnits(demand), ports);
  }
}
