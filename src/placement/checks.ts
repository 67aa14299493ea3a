import type { ClusterState } from "./cluster.js";
import { EligibilityCache } from "./eligibility.js";
import type { RequestGroup } from "./groups.js";
import { balanceAllows, type GroupRules, type LiveBalance, type LiveCap } from "./rules.js";
import type { NearMiss } from "./types.js";
import { DIMENSIONS, type Dimension, fromUnits, type Units } from "./units.js";

/**
 * Why an agent cannot take the next instance of a group, as data: explanations word it, scale-in asks which check
 * failed. `check` is the name of the checker that rejected the agent.
 */
export type Rejection =
  | { check: "drained" }
  | { check: "attribute"; filter: string }
  | { check: "counted attribute"; attribute: string }
  | { check: "count limit"; limit: string; unique: boolean }
  | {
      check: "resources";
      short: ReadonlyArray<Dimension | "ports">;
      missing: NearMiss["missing"];
      /** The shortfall summed over the short dimensions, each against the demand: how near the agent came. */
      shortfall: number;
    }
  | { check: "hard balance"; balance: string; attribute: string; wants: readonly string[] }
  | { check: "gpu agent reserved" };

export type CheckName = Rejection["check"];

/** What a check is bound to: one group on one cluster state. */
export interface CheckContext {
  state: ClusterState;
  group: RequestGroup;
  /** Which agents pass the group's attribute filters (computed once per filter set). */
  eligible: Uint8Array;
  rules: GroupRules;
  /** False in placement's first pass: agents with GPUs are kept for requests that ask for GPUs. */
  allowGpuAgents: boolean;
}

/**
 * The same test as `reject`, in a form the hot path reads straight from typed arrays without a call per check:
 * `flag` passes when `flags[i] === pass`; `has` when every `valueIds[i] >= 0`; `fits` when the free resources cover
 * the demand and ports; `below` when no count limit is reached.
 */
export type FastForm =
  | { kind: "flag"; flags: Uint8Array; pass: 0 | 1 }
  | { kind: "has"; valueIds: readonly Int32Array[] }
  | { kind: "fits"; units: Units; ports: number }
  | { kind: "below"; caps: readonly LiveCap[] };

export interface BoundCheck {
  /** Undefined when agent i passes; otherwise why not. The definition of the check. */
  reject(i: number): Rejection | undefined;
  fast?: FastForm;
}

/**
 * When a check's verdict can change. `agent`: never while one group is placed (filters, attributes). `placement`:
 * only from pass to fail as instances are placed (resources shrink, counts grow), so an agent is checked again when it
 * is taken. `choice`: either way (balance follows the counts of every value); it decides which agent is taken next,
 * never which agents are candidates.
 */
export type Stage = "agent" | "placement" | "choice";

/** One constraint of placement, written once: used by placement, first fit, explanations and scale-in alike. */
export interface Checker {
  name: CheckName;
  stage: Stage;
  /** Undefined when the check has nothing to check for this group. */
  bind(ctx: CheckContext): BoundCheck | undefined;
}

const drained: Checker = {
  name: "drained",
  stage: "agent",
  bind: ({ state }) => ({
    reject: (i) => (state.disabled[i] === 1 ? { check: "drained" } : undefined),
    fast: { kind: "flag", flags: state.disabled, pass: 0 },
  }),
};

const attributeFilters: Checker = {
  name: "attribute",
  stage: "agent",
  bind: ({ state, group, eligible }) =>
    group.compiled.filters.length === 0
      ? undefined
      : {
          reject: (i) => {
            if (eligible[i] === 1) return undefined;
            const filter = EligibilityCache.firstRejecting(state, group.compiled.filters, i);
            return { check: "attribute", filter: filter?.label ?? "attribute filter" };
          },
          fast: { kind: "flag", flags: eligible, pass: 1 },
        },
};

/** Count constraints (unique, max_per, balance) can only count agents that carry their attribute. */
const countedAttributes: Checker = {
  name: "counted attribute",
  stage: "agent",
  bind: ({ rules }) => {
    const counted: Array<{ attribute: string; valueIds: Int32Array }> = [
      ...rules.caps.map((c) => ({ attribute: c.cap.attribute, valueIds: c.valueIds })),
      ...rules.balances.map((b) => ({ attribute: b.rule.attribute, valueIds: b.valueIds })),
    ];
    if (counted.length === 0) return undefined;
    return {
      reject: (i) => {
        const lacking = counted.find((c) => (c.valueIds[i] as number) < 0);
        return lacking ? { check: "counted attribute", attribute: lacking.attribute } : undefined;
      },
      fast: { kind: "has", valueIds: counted.map((c) => c.valueIds) },
    };
  },
};

const countLimits: Checker = {
  name: "count limit",
  stage: "placement",
  bind: ({ rules }) =>
    rules.caps.length === 0
      ? undefined
      : {
          reject: (i) => {
            const live = blockingCap(rules.caps, i);
            if (!live) return undefined;
            const { cap } = live;
            return {
              check: "count limit",
              limit: cap.label,
              unique: cap.max === 1 && cap.label.startsWith("unique"),
            };
          },
          fast: { kind: "below", caps: rules.caps },
        },
};

const resources: Checker = {
  name: "resources",
  stage: "placement",
  bind: ({ state, group }) => ({
    reject: (i) => resourceShortfall(state, group.units, group.portCount, i),
    fast: { kind: "fits", units: group.units, ports: group.portCount },
  }),
};

const hardBalance: Checker = {
  name: "hard balance",
  stage: "choice",
  bind: ({ rules }) => {
    const hard = rules.balances.filter((b) => b.rule.hard);
    if (hard.length === 0) return undefined;
    return {
      reject: (i) => {
        const b = hard.find((x) => !balanceAllows(x, i));
        return b
          ? { check: "hard balance", balance: b.rule.label, attribute: b.rule.attribute, wants: leastUsed(b) }
          : undefined;
      },
    };
  },
};

const gpuReserved: Checker = {
  name: "gpu agent reserved",
  stage: "agent",
  bind: ({ state, group, allowGpuAgents }) =>
    allowGpuAgents || group.units.gpus > 0
      ? undefined
      : {
          reject: (i) => (state.isGpuAgent[i] === 1 ? { check: "gpu agent reserved" } : undefined),
          fast: { kind: "flag", flags: state.isGpuAgent, pass: 0 },
        },
};

/**
 * Every check of placement, in the order explanations attribute an agent to the first one that rejects it. A new
 * constraint is one more entry here.
 */
export const CHECKERS: readonly Checker[] = [
  drained,
  attributeFilters,
  countedAttributes,
  countLimits,
  resources,
  hardBalance,
  gpuReserved,
];

/** The first unique / max_per limit that agent i's value has reached, if any (lacking the attribute counts as reached). */
export function blockingCap(caps: readonly LiveCap[], i: number): LiveCap | undefined {
  for (const c of caps) {
    const v = c.valueIds[i] as number;
    if (v < 0 || (c.counts[v] as number) >= c.cap.max) return c;
  }
  return undefined;
}

/** The values of a hard balance's domain that hold the fewest instances, by name. */
export function leastUsed(b: LiveBalance): string[] {
  let min = Number.POSITIVE_INFINITY;
  for (const v of b.domain) min = Math.min(min, b.counts[v] as number);
  return b.domain
    .filter((v) => b.counts[v] === min)
    .map((v) => b.values[v] as string)
    .sort();
}

function resourceShortfall(
  state: ClusterState,
  want: Units,
  ports: number,
  i: number,
): Rejection | undefined {
  const free: Units = {
    cpus: state.cpus[i] as number,
    mem: state.mem[i] as number,
    disk: state.disk[i] as number,
    gpus: state.gpus[i] as number,
  };
  const short: Array<Dimension | "ports"> = [];
  const missing: NearMiss["missing"] = {};
  let shortfall = 0;
  for (const dimension of DIMENSIONS) {
    if (want[dimension] <= free[dimension]) continue;
    short.push(dimension);
    missing[dimension] = fromUnits(want[dimension] - free[dimension]);
    shortfall += (want[dimension] - free[dimension]) / want[dimension];
  }
  const freePorts = state.ports[i] as number;
  if (ports > freePorts) {
    short.push("ports");
    missing.ports = ports - freePorts;
    shortfall += (ports - freePorts) / ports;
  }
  return short.length === 0 ? undefined : { check: "resources", short, missing, shortfall };
}
