/**
 * A binary min-heap of agent indices ordered by a numeric key, ties broken by a second key. Keys live in
 * parallel arrays so that pushing and popping allocates nothing per element.
 */
export class AgentHeap {
  private items: number[] = [];
  private keys: number[] = [];
  private ties: number[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: number, key: number, tie: number): void {
    this.items.push(item);
    this.keys.push(key);
    this.ties.push(tie);
    this.up(this.items.length - 1);
  }

  /** Appends without ordering; call `heapify` once all are in (O(n) instead of n pushes). */
  add(item: number, key: number, tie: number): void {
    this.items.push(item);
    this.keys.push(key);
    this.ties.push(tie);
  }

  heapify(): void {
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  /** The best item, or -1 when empty. */
  pop(): number {
    const n = this.items.length;
    if (n === 0) return -1;
    const top = this.items[0] as number;
    const lastItem = this.items.pop() as number;
    const lastKey = this.keys.pop() as number;
    const lastTie = this.ties.pop() as number;
    if (n > 1) {
      this.items[0] = lastItem;
      this.keys[0] = lastKey;
      this.ties[0] = lastTie;
      this.down(0);
    }
    return top;
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
    const n = this.items.length;
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
