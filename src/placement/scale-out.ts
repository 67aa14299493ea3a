import type { ClusterState } from "./cluster.js";
import { RegexCache } from "./constraints.js";
import { CountBook } from "./count-book.js";
import { type PlacementRun, runPlacement } from "./engine.js";
import { groupRequests, orderGroups, type RequestGroup } from "./groups.js";
import { shapesOf } from "./shapes.js";
import type { Agent, AgentShape, PlacementInput, ScaleOutAdvice, TaskRequest } from "./types.js";
import { toUnits, type Units } from "./units.js";

/** A shape with a value chosen for each of its choice attributes: what one new agent would look like. */
interface Variant {
  shape: AgentShape;
  /** `zone=b`: the values of the choice attributes filters name, which this variant fixes. */
  values: readonly string[];
  attributes: Readonly<Record<string, string>>;
  /**
   * Choice attributes only counted by constraints (unique, max_per, balance): the value is picked when the agent is
   * filled, the least used one at that moment, so one variant stands for all of them.
   */
  counted: ReadonlyArray<{ name: string; values: readonly string[] }>;
  units: Units;
  ports: number;
  gpu: boolean;
}

/** A new agent and the name of what it is (shape plus chosen attribute values). */
interface Opened {
  label: string;
  shape: AgentShape;
  agent: Agent;
}

interface Pending {
  group: RequestGroup;
  left: number;
}

const MAX_ROUNDS = 6;
const MAX_VARIANTS_PER_SHAPE = 64;

/**
 * The fewest new agents, of the offered shapes, that let placement place everything it can ever place. Greedy: open
 * the agent variant that absorbs the most pending work, again and again; then re-run placement with the new agents
 * added, and repeat for whatever that still leaves out. `impossible` is what the last such run still leaves out.
 */
export function adviseScaleOut(input: PlacementInput, shapes: readonly AgentShape[]): ScaleOutAdvice {
  const offered = shapes.length > 0 ? shapes : shapesOf(input.agents);
  const added: Opened[] = [];
  const gaveUp = new Set<string>();
  // New agents get names no existing agent uses, so that unique-hostname counts start at zero on them.
  let prefix = "scale-out-";
  const existing = input.agents.flatMap((a) => [a.id, a.hostname]);
  while (existing.some((name) => name.startsWith(prefix))) prefix = `new-${prefix}`;
  let last: PlacementRun | undefined;
  const grouped = groupRequests(input.requests, new RegexCache());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    last = runPlacement({ ...input, agents: [...input.agents, ...added.map((a) => a.agent)] }, grouped);
    const run = last;
    const pending = run.unplaced.flatMap(({ remaining }) =>
      remaining.filter((r) => !gaveUp.has(requestKey(r))),
    );
    if (pending.length === 0) break;
    const residual = orderGroups(
      groupRequests(pending, new RegexCache()),
      (g) => run.eligibility.pool(g),
      run.eligibility.cluster(false),
    );
    const variants = offered.flatMap((shape) => variantsOf(shape, residual));
    // The first round packs loosely for few agents; later rounds, for the few left over, follow placement's rules.
    const { opened, stuck } = openAgents(
      run.state,
      residual,
      variants,
      (k) => `${prefix}${added.length + k}`,
      round > 0,
    );
    // What no variant can take stays out of later rounds; the highest instances are the ones left out.
    for (const { group, left } of stuck)
      for (const r of group.requests.slice(-left)) gaveUp.add(requestKey(r));
    if (opened.length === 0) break;
    added.push(...opened);
    last = undefined;
  }
  const final =
    last ?? runPlacement({ ...input, agents: [...input.agents, ...added.map((a) => a.agent)] }, grouped);
  const byVariant = new Map<string, { shape: AgentShape; count: number }>();
  for (const { label, shape, agent } of added) {
    const entry = byVariant.get(label);
    if (entry) entry.count++;
    else
      byVariant.set(label, {
        shape: { ...shape, name: label, attributes: agent.attributes, choices: {} },
        count: 1,
      });
  }
  // Impossible is what placement still leaves out with every recommended agent added: the advice is checked, not assumed.
  const impossible = final.unplaced
    .flatMap((u) => u.remaining)
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : a.instance - b.instance));
  return { add: [...byVariant.values()], agents: added.map((a) => a.agent), impossible };
}

function requestKey(r: TaskRequest): string {
  return `${r.app}\u0000${r.instance}`;
}

/**
 * One variant per combination of the choice values that attribute filters name; choice attributes that are only
 * counted are picked per agent (least used first); attributes nobody asks about take their first value.
 */
function variantsOf(shape: AgentShape, pending: readonly RequestGroup[]): Variant[] {
  const filtered = new Set<string>();
  const counted = new Set<string>();
  for (const g of pending) {
    for (const c of g.constraints) {
      if (c.kind === "attribute") filtered.add(c.attribute);
      else if (c.attribute !== "hostname") counted.add(c.attribute);
    }
  }
  let combos: Array<Record<string, string>> = [{}];
  const dynamic: Array<{ name: string; values: readonly string[] }> = [];
  for (const [name, values] of Object.entries(shape.choices ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (values.length === 0) continue;
    if (counted.has(name) && !filtered.has(name)) {
      dynamic.push({ name, values });
      continue;
    }
    const options = filtered.has(name) ? values : values.slice(0, 1);
    const next: Array<Record<string, string>> = [];
    for (const combo of combos) for (const value of options) next.push({ ...combo, [name]: value });
    if (next.length > MAX_VARIANTS_PER_SHAPE) break;
    combos = next;
  }
  const units = toUnits(shape.total);
  const ports = shape.ports.reduce((s, r) => s + Math.max(0, r.end - r.begin + 1), 0);
  return combos.map((combo) => {
    return {
      shape,
      values: Object.entries(combo).map(([k, v]) => `${k}=${v}`),
      attributes: { ...shape.attributes, ...combo },
      counted: dynamic,
      units,
      ports,
      gpu: units.gpus > 0,
    };
  });
}

/** The variant's attributes for the next agent: counted choices take their least used value now. */
function resolve(v: Variant, counts: CountBook): { name: string; attributes: Record<string, string> } {
  const attributes: Record<string, string> = { ...v.attributes };
  const parts = [...v.values];
  for (const { name, values } of v.counted) {
    const value = counts.leastUsed(name, values);
    attributes[name] = value;
    parts.push(`${name}=${value}`);
  }
  return { name: agentLabel(v.shape.name, parts), attributes };
}

/**
 * What a new agent is: the shape's name, then the attribute values chosen for it, `m5.large (2cpu,8Gi) rack=r1,zone=a`.
 * A space sets them apart, as the shape's own name may hold commas (`8cpu,32Gi`) and a space.
 */
function agentLabel(shape: string, values: readonly string[]): string {
  return values.length === 0 ? shape : `${shape} ${values.join(",")}`;
}

/**
 * Opens new agents one at a time, each time the variant that takes the most pending work (in cpu+mem relative to
 * the largest agent). Lazy greedy: gains mostly shrink as work is absorbed, so a variant is re-evaluated only when
 * its last known gain could still beat the best fresh one; when nothing seems to fit any more, a full
 * re-evaluation confirms it (balance can raise a gain).
 */
function openAgents(
  state: ClusterState,
  groups: readonly RequestGroup[],
  variants: readonly Variant[],
  nameOf: (k: number) => string,
  strictBalance: boolean,
): { opened: Opened[]; stuck: Pending[] } {
  const pending: Pending[] = groups.map((group) => ({ group, left: group.requests.length }));
  const counts = new CountBook(state, groups);
  const allowed = variants.map((v) => pending.map((p) => admits(v, p.group)));
  // Non-GPU work goes to GPU variants only when no other variant admits it.
  variants.forEach((v, vi) => {
    if (!v.gpu) return;
    pending.forEach((p, gi) => {
      if (p.group.units.gpus === 0 && variants.some((o, oi) => !o.gpu && allowed[oi]?.[gi])) {
        (allowed[vi] as boolean[])[gi] = false;
      }
    });
  });
  const opened: Opened[] = [];
  // Indices of the groups with instances left, so that filling skips what is done.
  let active = pending.map((_, gi) => gi);
  const gains = variants.map(() => Number.POSITIVE_INFINITY);
  const hostname = (): string => nameOf(opened.length + 1);
  const fillWith = (vi: number, attributes: Readonly<Record<string, string>>, commit: boolean): number =>
    fill(
      variants[vi] as Variant,
      attributes,
      hostname(),
      pending,
      active,
      allowed[vi] as boolean[],
      counts,
      state,
      commit,
      strictBalance,
    );
  let gpuFallback = false;
  let fresh = false;
  for (;;) {
    for (;;) {
      const best = bestVariant(variants, gains, (vi) =>
        fillWith(vi, resolve(variants[vi] as Variant, counts).attributes, false),
      );
      if (best < 0 || (gains[best] as number) <= 0) {
        // Balance can raise a variant's gain after others open, so "nothing left" is confirmed by a full re-evaluation.
        if (fresh) break;
        gains.fill(Number.POSITIVE_INFINITY);
        fresh = true;
        continue;
      }
      fresh = false;
      const variant = variants[best] as Variant;
      const name = hostname();
      const chosen = resolve(variant, counts);
      if (fillWith(best, chosen.attributes, true) <= 0) break;
      active = active.filter((gi) => (pending[gi] as Pending).left > 0);
      opened.push(newAgent(variant, chosen, name));
      // The winner must be looked at again first; the others' gains are kept as estimates (lazy greedy).
      gains[best] = Number.POSITIVE_INFINITY;
    }
    // Last resort, as in placement itself: non-GPU work that nothing else can take may go to GPU variants.
    if (!gpuFallback && releaseGpuVariants(variants, pending, allowed)) {
      gains.fill(Number.POSITIVE_INFINITY);
      gpuFallback = true;
      continue;
    }
    break;
  }
  return { opened, stuck: pending.filter((p) => p.left > 0) };
}

/** Lazy greedy: re-evaluates a variant only while its last known gain could still beat the best one found. */
function bestVariant(
  variants: readonly Variant[],
  gains: number[],
  evaluate: (vi: number) => number,
): number {
  let best = -1;
  for (let vi = 0; vi < variants.length; vi++) {
    if (best >= 0 && (gains[vi] as number) <= (gains[best] as number)) continue;
    gains[vi] = evaluate(vi);
    if (best < 0 || (gains[vi] as number) > (gains[best] as number)) best = vi;
  }
  return best;
}

function newAgent(
  variant: Variant,
  chosen: { name: string; attributes: Record<string, string> },
  name: string,
): Opened {
  return {
    label: chosen.name,
    shape: variant.shape,
    agent: {
      id: name,
      hostname: name,
      attributes: chosen.attributes,
      total: { ...variant.shape.total },
      free: { ...variant.shape.total },
      freePorts: variant.shape.ports.map((r) => ({ ...r })),
    },
  };
}

function releaseGpuVariants(
  variants: readonly Variant[],
  pending: readonly Pending[],
  allowed: boolean[][],
): boolean {
  let released = false;
  variants.forEach((v, vi) => {
    if (!v.gpu) return;
    pending.forEach((p, gi) => {
      const row = allowed[vi] as boolean[];
      if (p.left > 0 && p.group.units.gpus === 0 && !row[gi] && admits(v, p.group)) {
        row[gi] = true;
        released = true;
      }
    });
  });
  return released;
}

/** Whether a variant could ever take an instance of the group: attribute filters and attributes counted on. */
function admits(variant: Variant, group: RequestGroup): boolean {
  const v = { ...variant, attributes: { ...variant.attributes } };
  for (const { name, values } of variant.counted) v.attributes[name] = values[0] as string;
  if (group.units.cpus > v.units.cpus || group.units.mem > v.units.mem) return false;
  if (group.units.disk > v.units.disk || group.units.gpus > v.units.gpus || group.portCount > v.ports)
    return false;
  for (const f of group.compiled.filters)
    if (!f.accepts(valueOn(v.attributes, f.attribute, "?"))) return false;
  for (const c of group.compiled.caps)
    if (valueOn(v.attributes, c.attribute, "?") === undefined) return false;
  for (const b of group.compiled.balance)
    if (valueOn(v.attributes, b.attribute, "?") === undefined) return false;
  return true;
}

function valueOn(
  attributes: Readonly<Record<string, string>>,
  name: string,
  hostname: string,
): string | undefined {
  return name === "hostname" ? hostname : attributes[name];
}

/**
 * Fills one fresh agent of the variant with pending instances, hardest groups first, as far as resources, unique /
 * max_per limits and hard balance allow. Returns the work absorbed; `commit` books it.
 */
function fill(
  v: Variant,
  attributes: Readonly<Record<string, string>>,
  hostname: string,
  pending: Pending[],
  active: readonly number[],
  allowed: readonly boolean[],
  counts: CountBook,
  state: ClusterState,
  commit: boolean,
  strictBalance: boolean,
): number {
  const free = { ...v.units };
  let ports = v.ports;
  let gain = 0;
  for (const gi of active) {
    const p = pending[gi] as Pending;
    if (p.left === 0 || !allowed[gi]) continue;
    const g = p.group;
    const d = g.units;
    let k = p.left;
    k = Math.min(
      k,
      per(free.cpus, d.cpus),
      per(free.mem, d.mem),
      per(free.disk, d.disk),
      per(free.gpus, d.gpus),
    );
    k = Math.min(k, per(ports, g.portCount));
    for (const c of g.compiled.caps) {
      const value = valueOn(attributes, c.attribute, hostname) as string;
      k = Math.min(k, Math.max(0, c.max - counts.get(g.app, c.attribute, value)));
    }
    for (const b of g.compiled.balance) {
      if (!b.hard) continue;
      const value = valueOn(attributes, b.attribute, hostname) as string;
      const domain = counts.domain(g.app, b.attribute, value);
      const mine = counts.get(g.app, b.attribute, value);
      if (strictBalance) {
        // As placement does it: only while this value is among the least used of the domain.
        let others = Number.POSITIVE_INFINITY;
        for (const x of domain) if (x.value !== value) others = Math.min(others, x.count);
        if (others !== Number.POSITIVE_INFINITY) k = Math.min(k, Math.max(0, others + 1 - mine));
      } else {
        // Up to this value's share of the final count: looser than placement's one-at-a-time rule, since the
        // simulation never returns to an agent it opened; the verification rounds catch the difference.
        const total = domain.reduce((s, x) => s + x.count, 0) + p.left;
        k = Math.min(k, Math.max(0, Math.ceil(total / domain.length) - mine));
      }
    }
    if (k <= 0) continue;
    gain += k * (d.cpus / state.normCpus + d.mem / state.normMem + 1e-9);
    free.cpus -= k * d.cpus;
    free.mem -= k * d.mem;
    free.disk -= k * d.disk;
    free.gpus -= k * d.gpus;
    ports -= k * g.portCount;
    if (commit) {
      p.left -= k;
      for (const c of g.compiled.caps)
        counts.add(g.app, c.attribute, valueOn(attributes, c.attribute, hostname) as string, k);
      for (const b of g.compiled.balance)
        counts.add(g.app, b.attribute, valueOn(attributes, b.attribute, hostname) as string, k);
    }
  }
  return gain;
}

function per(free: number, want: number): number {
  return want > 0 ? Math.floor(free / want) : Number.POSITIVE_INFINITY;
}
