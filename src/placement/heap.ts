/**
 * A binary min-heap of agent indices ordered by a numeric key, ties broken by a second key. Keys live in parallel
 * typed arrays that grow by doubling, so pushing and popping allocates nothing per element, and `clear` keeps the
 * storage for the next group (a plan places thousands of groups, each with a heap of hundreds of agents).
 */
export class AgentHeap {
  private items = new Int32Array(16);
  private keys = new Float64Array(16);
  private ties = new Float64Array(16);
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** Empties the heap, keeping its storage. */
  clear(): void {
    this.length = 0;
  }

  push(item: number, key: number, tie: number): void {
    this.add(item, key, tie);
    this.up(this.length - 1);
  }

  /** Appends without ordering; call `heapify` once all are in (O(n) instead of n pushes). */
  add(item: number, key: number, tie: number): void {
    if (this.length === this.items.length) this.grow();
    this.items[this.length] = item;
    this.keys[this.length] = key;
    this.ties[this.length] = tie;
    this.length++;
  }

  heapify(): void {
    for (let i = (this.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The best item, or -1 when empty. */
  pop(): number {
    const n = this.length;
    if (n === 0) return -1;
    const top = this.items[0] as number;
    this.length = n - 1;
    if (n > 1) {
      this.items[0] = this.items[n - 1] as number;
      this.keys[0] = this.keys[n - 1] as number;
      this.ties[0] = this.ties[n - 1] as number;
      this.down(0);
    }
    return top;
  }

  private grow(): void {
    const capacity = this.items.length * 2;
    const items = new Int32Array(capacity);
    items.set(this.items);
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    const ties = new Float64Array(capacity);
    ties.set(this.ties);
    this.items = items;
    this.keys = keys;
    this.ties = ties;
  }

  private less(a: number, b: number): boolean {
    const ka = this.keys[a] as number;
    const kb = this.keys[b] as number;
    return ka < kb || (ka === kb && (this.ties[a] as number) < (this.ties[b] as number));
  }

  private swap(a: number, b: number): void {
    const { items, keys, ties } = this;
    const item = items[a] as number;
    items[a] = items[b] as number;
    items[b] = item;
    const key = keys[a] as number;
    keys[a] = keys[b] as number;
    keys[b] = key;
    const tie = ties[a] as number;
    ties[a] = ties[b] as number;
    ties[b] = tie;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const best = r < n && this.less(r, l) ? r : l;
      if (!this.less(best, i)) return;
      this.swap(best, i);
      i = best;
    }
  }
}
