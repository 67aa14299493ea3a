import type { ClusterState } from "./cluster.js";
import type { BalanceRule, CountCap } from "./constraints.js";
import type { RequestGroup } from "./groups.js";

export interface LiveCap {
  cap: CountCap;
  valueIds: Int32Array;
  counts: Int32Array;
}

export interface LiveBalance {
  rule: BalanceRule;
  valueIds: Int32Array;
  counts: Int32Array;
  values: readonly string[];
  /**
   * The values balance is measured over: those carried by at least one agent the app may use at all (its
   * attribute filters pass, the agent is not being drained). Capacity does not matter here: a zone that is full
   * still counts, which is what makes hard balance a real requirement.
   */
  readonly domain: number[];
}

/** A group's count-based constraints bound to the cluster's live counts. */
export interface GroupRules {
  caps: LiveCap[];
  balances: LiveBalance[];
}

export function bindRules(state: ClusterState, group: RequestGroup, eligible: Uint8Array): GroupRules {
  const caps = group.compiled.caps.map((cap) => ({
    cap,
    valueIds: state.attribute(cap.attribute).valueIds,
    counts: state.counts(group.app, cap.attribute),
  }));
  const balances = group.compiled.balance.map((rule): LiveBalance => {
    const index = state.attribute(rule.attribute);
    let domain: number[] | undefined;
    return {
      rule,
      valueIds: index.valueIds,
      counts: state.counts(group.app, rule.attribute),
      values: index.values,
      // Only hard balance and explanations need the domain; it costs a pass over the agents, so it is found on demand.
      get domain(): number[] {
        domain ??= balanceDomain(state, rule.attribute, index.valueIds, index.values.length, eligible);
        return domain;
      },
    };
  });
  return { caps, balances };
}

/**
 * Domains already found, by the eligibility they were found for (one array per filter set and cluster state) and
 * attribute: every app with the same filters and balance shares one. Read-only.
 */
const domains = new WeakMap<Uint8Array, Map<string, { version: number; domain: number[] }>>();

function balanceDomain(
  state: ClusterState,
  attribute: string,
  valueIds: Int32Array,
  values: number,
  eligible: Uint8Array,
): number[] {
  let byAttribute = domains.get(eligible);
  if (!byAttribute) {
    byAttribute = new Map();
    domains.set(eligible, byAttribute);
  }
  const known = byAttribute.get(attribute);
  if (known && known.version === state.disabledVersion) return known.domain;
  const domain = findDomain(state, valueIds, values, eligible);
  byAttribute.set(attribute, { version: state.disabledVersion, domain });
  return domain;
}

function findDomain(
  state: ClusterState,
  valueIds: Int32Array,
  values: number,
  eligible: Uint8Array,
): number[] {
  const seen = new Uint8Array(values);
  for (let i = 0; i < state.n; i++) {
    const v = valueIds[i] as number;
    if (v >= 0 && eligible[i] === 1 && state.disabled[i] === 0) seen[v] = 1;
  }
  const domain: number[] = [];
  seen.forEach((s, v) => {
    if (s === 1) domain.push(v);
  });
  return domain;
}

export function minCount(b: LiveBalance): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of b.domain) min = Math.min(min, b.counts[v] as number);
  return min;
}

/** Hard balance: agent i's value must be one of the least used values of the domain. */
export function balanceAllows(b: LiveBalance, i: number): boolean {
  const v = b.valueIds[i] as number;
  return v >= 0 && (b.counts[v] as number) <= minCount(b);
}
