import type { ClusterState } from "./cluster.js";
import { EligibilityCache } from "./eligibility.js";
import type { RequestGroup } from "./groups.js";
import { balanceAllows, bindRules, blockingCap, type GroupRules, missingAttribute } from "./rules.js";
import { placeGroup } from "./select.js";
import type { NearMiss, TaskRequest, UnplacedGroup } from "./types.js";
import { DIMENSIONS, type Dimension, formatAmount, fromUnits, type Units } from "./units.js";

const NEAREST = 3;

/** Why a group's remaining instances found no agent, counted over the agents as the run left them, plus fixes. */
export function explainGroup(
  state: ClusterState,
  group: RequestGroup,
  remaining: readonly TaskRequest[],
  eligible: Uint8Array,
): UnplacedGroup {
  const rules = bindRules(state, group, eligible);
  const reasons = new Map<string, number>();
  const count = (reason: string): void => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const near: Array<{ i: number; shortfall: number; missing: NearMiss["missing"] }> = [];
  let blockedByBalanceOnly = 0;
  for (let i = 0; i < state.n; i++) {
    if (state.disabled[i] === 1) continue;
    const filter =
      eligible[i] === 1 ? undefined : EligibilityCache.firstRejecting(state, group.compiled.filters, i);
    if (filter) {
      count(`${filter.label} excluded`);
      continue;
    }
    const lacking = missingAttribute(rules, i);
    if (lacking !== undefined) {
      count(`no ${lacking} attribute`);
      continue;
    }
    const cap = blockingCap(rules, i);
    if (cap) {
      count(
        cap.cap.max === 1 && cap.cap.label.startsWith("unique")
          ? `${cap.cap.label} excluded`
          : `${cap.cap.label} reached`,
      );
      continue;
    }
    const short = shortfall(state, group, i);
    if (short.dimensions.length > 0) {
      for (const dimension of short.dimensions)
        count(dimension === "ports" ? "no free ports" : `${dimension} exhausted`);
      near.push({ i, shortfall: short.normalised, missing: short.missing });
      continue;
    }
    const balance = rules.balances.find((b) => b.rule.hard && !balanceAllows(b, i));
    if (balance) {
      blockedByBalanceOnly++;
      count(`${balance.rule.label} wants ${balance.rule.attribute} ${leastUsed(balance).join(", ")}`);
      continue;
    }
    count("gpu agent reserved");
  }
  if (reasons.size === 0) reasons.set("no agents in the cluster", 0);
  near.sort((a, b) => a.shortfall - b.shortfall || (state.rank[a.i] as number) - (state.rank[b.i] as number));
  return {
    app: group.app,
    instances: remaining.map((r) => r.instance).sort((a, b) => a - b),
    demand: { ...group.demand },
    reasons: [...reasons]
      .map(([reason, agents]) => ({ reason, agents }))
      .sort((a, b) => b.agents - a.agents || (a.reason < b.reason ? -1 : 1)),
    nearest: near.slice(0, NEAREST).map(({ i, missing }) => {
      const agent = state.agents[i];
      return { agentId: agent?.id ?? "", hostname: agent?.hostname ?? "", missing };
    }),
    fixes: fixes(state, group, remaining, eligible, rules, reasons, blockedByBalanceOnly),
  };
}

function leastUsed(b: GroupRules["balances"][number]): string[] {
  let min = Number.POSITIVE_INFINITY;
  for (const v of b.domain) min = Math.min(min, b.counts[v] as number);
  return b.domain
    .filter((v) => b.counts[v] === min)
    .map((v) => b.values[v] as string)
    .sort();
}

function shortfall(
  state: ClusterState,
  group: RequestGroup,
  i: number,
): { dimensions: Array<Dimension | "ports">; normalised: number; missing: NearMiss["missing"] } {
  const free: Units = {
    cpus: state.cpus[i] as number,
    mem: state.mem[i] as number,
    disk: state.disk[i] as number,
    gpus: state.gpus[i] as number,
  };
  const dimensions: Array<Dimension | "ports"> = [];
  const missing: NearMiss["missing"] = {};
  let normalised = 0;
  for (const dimension of DIMENSIONS) {
    const want = group.units[dimension];
    if (want > free[dimension]) {
      dimensions.push(dimension);
      missing[dimension] = fromUnits(want - free[dimension]);
      normalised += (want - free[dimension]) / want;
    }
  }
  const freePorts = state.ports[i] as number;
  if (group.portCount > freePorts) {
    dimensions.push("ports");
    missing.ports = group.portCount - freePorts;
    normalised += (group.portCount - freePorts) / group.portCount;
  }
  return { dimensions, normalised, missing };
}

function fixes(
  state: ClusterState,
  group: RequestGroup,
  remaining: readonly TaskRequest[],
  eligible: Uint8Array,
  rules: GroupRules,
  reasons: ReadonlyMap<string, number>,
  blockedByBalanceOnly: number,
): string[] {
  const out: string[] = [];
  const wanted = remaining.length;
  let eligibleAgents = 0;
  for (let i = 0; i < state.n; i++) if (eligible[i] === 1 && state.disabled[i] === 0) eligibleAgents++;
  if (eligibleAgents === 0 && group.compiled.filters.length > 0) {
    const labels = group.compiled.filters.map((f) => f.label).join(" and ");
    out.push(`${labels}: no agent matches; fix the constraint or add agents that carry the attribute`);
    return out;
  }
  for (const live of rules.caps) {
    const room = new Map<number, number>();
    for (let i = 0; i < state.n; i++) {
      const v = live.valueIds[i] as number;
      if (v < 0 || eligible[i] === 0 || state.disabled[i] === 1) continue;
      room.set(v, Math.max(0, live.cap.max - (live.counts[v] as number)));
    }
    const slots = [...room.values()].reduce((a, b) => a + b, 0);
    if (slots < wanted) {
      const what = live.cap.attribute === "hostname" ? "hosts" : `${live.cap.attribute} values`;
      out.push(
        `${live.cap.label}: only ${room.size} ${what} match, with room for ${slots} more; lower instances by ${wanted - slots} or relax the constraint`,
      );
    }
  }
  if (blockedByBalanceOnly > 0) {
    const b = rules.balances.find((x) => x.rule.hard);
    if (b) {
      out.push(
        `${b.rule.label}: ${b.rule.attribute} ${leastUsed(b).join(", ")} has no room for the next instance; free capacity there or make the balance soft`,
      );
    }
  }
  const resourceShort = [...reasons.keys()].some((r) => r.endsWith(" exhausted") || r === "no free ports");
  if (resourceShort && out.length === 0) {
    const smaller = smallerRequest(state, group, remaining, eligible);
    if (smaller) out.push(smaller);
  }
  return out;
}

/** The largest smaller request that would fit every remaining instance, verified by a trial placement that is undone. */
function smallerRequest(
  state: ClusterState,
  group: RequestGroup,
  remaining: readonly TaskRequest[],
  eligible: Uint8Array,
): string | undefined {
  const n = remaining.length;
  const trial = (units: Units): boolean => {
    const candidate: RequestGroup = { ...group, units };
    state.begin();
    try {
      const outcome = placeGroup(
        state,
        candidate,
        remaining,
        eligible,
        bindRules(state, candidate, eligible),
        true,
      );
      return outcome.remaining.length === 0;
    } finally {
      state.rollback();
    }
  };
  const describe = (units: Units): string => {
    const parts = (["cpus", "mem", "disk"] as const)
      .filter((d) => units[d] !== group.units[d])
      .map((d) => `${d} ${formatAmount(d, group.demand[d])} → ${formatAmount(d, fromUnits(units[d]))}`);
    return `${parts.join(", ")} would fit all ${n}`;
  };
  for (const dimension of ["mem", "cpus", "disk"] as const) {
    const step = dimension === "cpus" ? 10 : 1000;
    const found = largestFitting(group.units[dimension], step, (x) =>
      trial({ ...group.units, [dimension]: x }),
    );
    if (found !== undefined) return describe({ ...group.units, [dimension]: found });
  }
  // No single dimension is enough: shrink cpus, mem and disk together.
  const scaled = (f: number): Units => ({
    ...group.units,
    cpus: Math.floor((group.units.cpus * f) / 10) * 10,
    mem: Math.floor((group.units.mem * f) / 1000) * 1000,
    disk: Math.floor((group.units.disk * f) / 1000) * 1000,
  });
  const percent = largestFitting(100, 1, (x) => trial(scaled(x / 100)));
  if (percent !== undefined && percent > 0) return describe(scaled(percent / 100));
  return undefined;
}

/** Largest x on the grid `step` with 0 < x < current for which `fits(x)` holds, assuming fits is monotone. */
function largestFitting(current: number, step: number, fits: (x: number) => boolean): number | undefined {
  let lo = 1;
  let hi = Math.floor((current - 1) / step);
  if (hi < lo || !fits(lo * step)) return undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid * step)) lo = mid;
    else hi = mid - 1;
  }
  return lo * step;
}
