import { leastUsed, type Rejection } from "./checks.js";
import type { ClusterState } from "./cluster.js";
import { compileChecks } from "./compile.js";
import type { RequestGroup } from "./groups.js";
import { bindRules, type GroupRules } from "./rules.js";
import { placeGroup } from "./select.js";
import type { NearMiss, TaskRequest, UnplacedGroup } from "./types.js";
import { formatAmount, fromUnits, SMALLEST_REQUEST, type Units } from "./units.js";

const NEAREST = 3;

/** How an explanation words a rejection; resources give one reason per short dimension. */
function reasonsFor(r: Rejection): string[] {
  switch (r.check) {
    case "drained":
      return [];
    case "attribute":
      return [`${r.filter} excluded`];
    case "counted attribute":
      return [`no ${r.attribute} attribute`];
    case "count limit":
      return [r.unique ? `${r.limit} excluded` : `${r.limit} reached`];
    case "resources":
      return r.short.map((d) => (d === "ports" ? "no free ports" : `${d} exhausted`));
    case "hard balance":
      return [`${r.balance} wants ${r.attribute} ${r.wants.join(", ")}`];
    case "gpu agent reserved":
      return ["gpu agent reserved"];
  }
}

/**
 * Why a group's remaining instances found no agent, counted over the agents as the run left them, plus fixes. Each
 * agent counts under the first declared check that rejects it (checks.ts), with GPU agents reserved as in the
 * first pass.
 */
export function explainGroup(
  state: ClusterState,
  group: RequestGroup,
  remaining: readonly TaskRequest[],
  eligible: Uint8Array,
): UnplacedGroup {
  const rules = bindRules(state, group, eligible);
  const checks = compileChecks({ state, group, eligible, rules, allowGpuAgents: false });
  const reasons = new Map<string, number>();
  const near: Array<{ i: number; shortfall: number; missing: NearMiss["missing"] }> = [];
  let blockedByBalanceOnly = 0;
  let drained = 0;
  for (let i = 0; i < state.n; i++) {
    const rejected = checks.rejection(i);
    if (rejected?.check === "drained") {
      drained++;
      continue;
    }
    if (rejected?.check === "resources")
      near.push({ i, shortfall: rejected.shortfall, missing: rejected.missing });
    if (rejected?.check === "hard balance") blockedByBalanceOnly++;
    const words = rejected ? reasonsFor(rejected) : ["passes every check now"];
    for (const reason of words) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  // Counted on no agent: a reason that stands for the whole cluster.
  if (reasons.size === 0)
    reasons.set(drained > 0 ? "every agent is being drained" : "no agents in the cluster", 0);
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
      const fewer = wanted - slots;
      // Instances are numbered from 0: the highest one asked for tells the count the app asks for.
      const count = Math.max(...group.requests.map((r) => r.instance)) + 1;
      const fix =
        count - fewer > 0
          ? `lower instances by ${fewer}, to ${count - fewer}, or relax the constraint`
          : `relax the constraint or add ${live.cap.attribute === "hostname" ? "hosts" : `agents with other ${what}`} (fewer instances would leave none)`;
      out.push(`${live.cap.label}: only ${room.size} ${what} match, with room for ${slots} more; ${fix}`);
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
        {
          allowGpuAgents: true,
        },
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
  // No single dimension is enough: shrink cpus, mem and disk together, never below what a manifest accepts.
  const shrink = (d: "cpus" | "mem" | "disk", f: number, step: number): number =>
    Math.max(SMALLEST_REQUEST[d], Math.floor((group.units[d] * f) / step) * step);
  const scaled = (f: number): Units => ({
    ...group.units,
    cpus: shrink("cpus", f, 10),
    mem: shrink("mem", f, 1000),
    disk: shrink("disk", f, 1000),
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
