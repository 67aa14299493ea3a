import type { ClusterState } from "./cluster.js";
import type { RequestGroup } from "./groups.js";

/** Instances per app and attribute value: the cluster's counts plus what the new agents will take. */
export class CountBook {
  private readonly extra = new Map<string, Map<string, Map<string, number>>>();
  private readonly newValues = new Map<string, Set<string>>();
  private readonly ids = new Map<string, Map<string, number>>();

  /** Per attribute, the pending apps whose unique / max_per / balance constraints count it. */
  private readonly relevant = new Map<string, Set<string>>();
  private readonly usage = new Map<string, Map<string, number>>();

  constructor(
    private readonly state: ClusterState,
    groups: readonly RequestGroup[],
  ) {
    for (const g of groups) {
      for (const c of [...g.compiled.caps, ...g.compiled.balance]) {
        let apps = this.relevant.get(c.attribute);
        if (!apps) {
          apps = new Set();
          this.relevant.set(c.attribute, apps);
        }
        apps.add(g.app);
      }
    }
  }

  /** The value with the fewest instances of the apps that count this attribute (ties by name). */
  leastUsed(attribute: string, values: readonly string[]): string {
    let usage = this.usage.get(attribute);
    if (!usage) {
      usage = new Map();
      this.usage.set(attribute, usage);
    }
    let best = values[0] as string;
    let bestUse = Number.POSITIVE_INFINITY;
    for (const value of values) {
      let use = usage.get(value);
      if (use === undefined) {
        use = 0;
        for (const app of this.relevant.get(attribute) ?? []) use += this.get(app, attribute, value);
        usage.set(value, use);
      }
      if (use < bestUse || (use === bestUse && value < best)) {
        best = value;
        bestUse = use;
      }
    }
    return best;
  }

  private idOf(attribute: string, value: string): number {
    let ids = this.ids.get(attribute);
    if (!ids) {
      ids = new Map(this.state.attribute(attribute).values.map((v, id) => [v, id]));
      this.ids.set(attribute, ids);
    }
    return ids.get(value) ?? -1;
  }

  private added(app: string, attribute: string): Map<string, number> {
    let byAttribute = this.extra.get(app);
    if (!byAttribute) {
      byAttribute = new Map();
      this.extra.set(app, byAttribute);
    }
    let byValue = byAttribute.get(attribute);
    if (!byValue) {
      byValue = new Map();
      byAttribute.set(attribute, byValue);
    }
    return byValue;
  }

  get(app: string, attribute: string, value: string): number {
    const id = this.idOf(attribute, value);
    const base = id >= 0 ? (this.state.counts(app, attribute)[id] as number) : 0;
    return base + (this.extra.get(app)?.get(attribute)?.get(value) ?? 0);
  }

  add(app: string, attribute: string, value: string, k: number): void {
    const byValue = this.added(app, attribute);
    byValue.set(value, (byValue.get(value) ?? 0) + k);
    const usage = this.usage.get(attribute);
    if (usage?.has(value)) usage.set(value, (usage.get(value) as number) + k);
    let set = this.newValues.get(attribute);
    if (!set) {
      set = new Set();
      this.newValues.set(attribute, set);
    }
    set.add(value);
  }

  /** The values balance is measured over once `value` exists: the cluster's, new agents' and this one. */
  domain(app: string, attribute: string, value: string): Array<{ value: string; count: number }> {
    const values = this.state.attribute(attribute).values;
    const out = values.map((v) => ({ value: v, count: this.get(app, attribute, v) }));
    const fresh = this.newValues.get(attribute);
    if (fresh)
      for (const v of fresh)
        if (this.idOf(attribute, v) < 0) out.push({ value: v, count: this.get(app, attribute, v) });
    if (this.idOf(attribute, value) < 0 && !fresh?.has(value))
      out.push({ value, count: this.get(app, attribute, value) });
    return out;
  }
}
