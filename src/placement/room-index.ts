import type { ClusterState } from "./cluster.js";

/** Buckets per resource, two per halving of free room (against the largest agent), down to 2^-11.5 of it. */
const SIDE = 24;
/** The lower bound of each bucket but the first, rising. */
const BOUNDS = Float64Array.from({ length: SIDE - 1 }, (_, b) => 2 ** ((b + 1 - SIDE) / 2));

/**
 * Agents filed by free cpu and free mem, in buckets a factor √2 apart. A group visits only the buckets that may hold
 * its demand of both, so on a packed cluster the many agents with no room left for it in either resource are not
 * looked at. Which agents a group may use, and how they score, do not change: only those that cannot fit are skipped.
 */
export class RoomIndex {
  private readonly cellOf: Int32Array;
  private readonly positionOf: Int32Array;
  private readonly cells: number[][] = Array.from({ length: SIDE * SIDE }, () => []);

  constructor(private readonly state: ClusterState) {
    this.cellOf = new Int32Array(state.n).fill(-1);
    this.positionOf = new Int32Array(state.n);
  }

  /**
   * The bucket of an amount against the largest agent's. Monotone by construction (a count of bounds passed), so
   * an agent with at least a group's demand is never in a lower bucket than the demand.
   */
  static bucket(amount: number, largest: number): number {
    const fraction = amount / largest;
    let low = 0;
    let high = BOUNDS.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (fraction >= (BOUNDS[mid] as number)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Files agent i under its free room now (again whenever that changes). */
  put(i: number): void {
    const { state } = this;
    const cell =
      RoomIndex.bucket(state.cpus[i] as number, state.normCpus) * SIDE +
      RoomIndex.bucket(state.mem[i] as number, state.normMem);
    const old = this.cellOf[i] as number;
    if (old === cell) return;
    if (old >= 0) {
      const list = this.cells[old] as number[];
      const at = this.positionOf[i] as number;
      const last = list.pop() as number;
      if (last !== i) {
        list[at] = last;
        this.positionOf[last] = at;
      }
    }
    const list = this.cells[cell] as number[];
    this.positionOf[i] = list.length;
    list.push(i);
    this.cellOf[i] = cell;
  }

  /** Calls `visit` for every filed agent that may have `cpus` and `mem` free: all those that do, and a few more. */
  forEachWithRoom(cpus: number, mem: number, visit: (i: number) => void): number {
    const { state } = this;
    const lowCpu = RoomIndex.bucket(cpus, state.normCpus);
    const lowMem = RoomIndex.bucket(mem, state.normMem);
    let visited = 0;
    for (let c = lowCpu; c < SIDE; c++) {
      for (let m = lowMem; m < SIDE; m++) {
        const list = this.cells[c * SIDE + m] as number[];
        for (let k = 0; k < list.length; k++) visit(list[k] as number);
        visited += list.length;
      }
    }
    return visited;
  }
}
