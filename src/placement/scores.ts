import { type ClusterState, PER_AGENT } from "./cluster.js";
import type { RequestGroup } from "./groups.js";
import type { PlacementStrategy } from "./types.js";

/** How agents that pass every check are ranked for a group: lower is better; ties go by the seeded rank. */
export interface Scorer {
  name: PlacementStrategy;
  score(state: ClusterState, group: RequestGroup): (i: number) => number;
}

/** Binpack's score of an empty agent: the largest opens first. Above 2, so every agent in use (at most 2) comes first. */
export function openingScore(state: ClusterState, i: number): number {
  return 4 - (state.cpus[i] as number) / state.normCpus - (state.mem[i] as number) / state.normMem;
}

/**
 * Best fit: among agents already in use, the least cpu+mem left after placing (against the largest agent in the
 * cluster, not the agent's own size); an empty agent only when none in use fits, the largest first.
 */
const binpack: Scorer = {
  name: "binpack",
  score: (state, group) => {
    const d = group.units;
    const { cpus, mem, occupied, normCpus, normMem } = state;
    return (i) =>
      occupied[i] === 1
        ? ((cpus[i] as number) - d.cpus) / normCpus + ((mem[i] as number) - d.mem) / normMem
        : openingScore(state, i);
  },
};

/** The agent with the fewest instances of the app, then the least loaded (cpu and mem utilisation after placing). */
const spread: Scorer = {
  name: "spread",
  score: (state, group) => {
    const d = group.units;
    const { cpus, mem, totalCpus, totalMem } = state;
    const onAgent = state.counts(group.app, PER_AGENT);
    return (i) => {
      const ti = totalCpus[i] as number;
      const tm = totalMem[i] as number;
      const usedAfter =
        (ti > 0 ? (ti - (cpus[i] as number) + d.cpus) / ti : 1) +
        (tm > 0 ? (tm - (mem[i] as number) + d.mem) / tm : 1);
      return (onAgent[i] as number) * 4 + usedAfter;
    };
  },
};

/** Every placement strategy, by the name a manifest gives it. */
export const SCORERS: readonly Scorer[] = [binpack, spread];

export function scorerFor(strategy: PlacementStrategy): Scorer {
  return SCORERS.find((s) => s.name === strategy) ?? binpack;
}
