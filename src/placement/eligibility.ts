import type { ClusterState } from "./cluster.js";
import type { AttributeFilter } from "./constraints.js";
import type { Pool, RequestGroup } from "./groups.js";

/**
 * Which agents pass an app's attribute filters (equals / like / unlike). Computed once per distinct filter set and
 * shared by every group that has it: the filters are static, resources are not.
 */
export class EligibilityCache {
  private readonly pools = new Map<string, Pool>();

  /**
   * `cache` may come from an earlier run on the same state (a placement session): verdicts on attributes never
   * change, while pools follow free resources and are always worked out anew.
   */
  constructor(
    private readonly state: ClusterState,
    private readonly cache = new Map<string, Uint8Array>(),
  ) {}

  get(filters: readonly AttributeFilter[], key: string): Uint8Array {
    let eligible = this.cache.get(key);
    if (eligible) return eligible;
    const { state } = this;
    eligible = new Uint8Array(state.n).fill(1);
    for (const filter of filters) {
      const index = state.attribute(filter.attribute);
      const verdictByValue = index.values.map((v) => filter.accepts(v));
      const missing = filter.accepts(undefined);
      for (let i = 0; i < state.n; i++) {
        const v = index.valueIds[i] as number;
        if (!(v < 0 ? missing : verdictByValue[v])) eligible[i] = 0;
      }
    }
    this.cache.set(key, eligible);
    return eligible;
  }

  /** The agents a group may use, summed up (GPU agents count only for GPU requests, as they are kept for those). */
  pool(group: RequestGroup): Pool {
    return this.poolFor(group.units.gpus > 0, group.compiled.filters, group.compiled.filterKey);
  }

  /** All agents of the kind (GPU or not), unfiltered. */
  cluster(gpu: boolean): Pool {
    return this.poolFor(gpu, [], "");
  }

  private poolFor(gpu: boolean, filters: readonly AttributeFilter[], filterKey: string): Pool {
    const key = `${gpu ? 1 : 0}\u0000${filterKey}`;
    let pool = this.pools.get(key);
    if (pool) return pool;
    const { state } = this;
    const eligible = this.get(filters, filterKey);
    pool = { maxCpus: 0, maxMem: 0, freeCpus: 0, freeMem: 0 };
    for (let i = 0; i < state.n; i++) {
      if (eligible[i] === 0 || state.disabled[i] === 1 || (state.isGpuAgent[i] === 1) !== gpu) continue;
      pool.maxCpus = Math.max(pool.maxCpus, state.totalCpus[i] as number);
      pool.maxMem = Math.max(pool.maxMem, state.totalMem[i] as number);
      pool.freeCpus += state.cpus[i] as number;
      pool.freeMem += state.mem[i] as number;
    }
    this.pools.set(key, pool);
    return pool;
  }

  /** The first filter that rejects agent i, if any. */
  static firstRejecting(
    state: ClusterState,
    filters: readonly AttributeFilter[],
    i: number,
  ): AttributeFilter | undefined {
    for (const filter of filters) {
      const index = state.attribute(filter.attribute);
      const v = index.valueIds[i] as number;
      if (!filter.accepts(v < 0 ? undefined : index.values[v])) return filter;
    }
    return undefined;
  }
}
