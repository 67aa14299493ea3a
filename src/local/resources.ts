import type { AgentResources, RangeJson, ResourceJson } from "./agent/api.js";
import { roleError } from "./common-validation.js";

/**
 * Unreserved resource quantities of one agent, and the arithmetic the master needs on them. Scalars keep Mesos'
 * fixed-point precision of three decimals; ports are inclusive ranges kept sorted and merged.
 */
export interface Quantities {
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  ports: RangeJson[];
}

export const SCALAR_NAMES = ["cpus", "mem", "disk", "gpus"] as const;
type ScalarName = (typeof SCALAR_NAMES)[number];

export function emptyQuantities(): Quantities {
  return { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] };
}

export function fromAgentResources(r: AgentResources): Quantities {
  return { cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus ?? 0, ports: normalizeRanges(r.ports) };
}

function fixed(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function normalizeRanges(ranges: readonly RangeJson[]): RangeJson[] {
  const sorted = ranges.map((r) => ({ begin: r.begin, end: r.end })).sort((a, b) => a.begin - b.begin);
  const out: RangeJson[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

function subtractRanges(from: readonly RangeJson[], minus: readonly RangeJson[]): RangeJson[] {
  let out = normalizeRanges(from);
  for (const m of minus) {
    const next: RangeJson[] = [];
    for (const r of out) {
      if (m.end < r.begin || m.begin > r.end) {
        next.push(r);
        continue;
      }
      if (m.begin > r.begin) next.push({ begin: r.begin, end: m.begin - 1 });
      if (m.end < r.end) next.push({ begin: m.end + 1, end: r.end });
    }
    out = next;
  }
  return out;
}

function rangesContain(outer: readonly RangeJson[], inner: readonly RangeJson[]): boolean {
  return inner.every((i) => outer.some((o) => o.begin <= i.begin && i.end <= o.end));
}

export function add(a: Quantities, b: Quantities): Quantities {
  return {
    cpus: fixed(a.cpus + b.cpus),
    mem: fixed(a.mem + b.mem),
    disk: fixed(a.disk + b.disk),
    gpus: fixed(a.gpus + b.gpus),
    ports: normalizeRanges([...a.ports, ...b.ports]),
  };
}

/** a - b, never below zero. */
export function subtract(a: Quantities, b: Quantities): Quantities {
  return {
    cpus: Math.max(0, fixed(a.cpus - b.cpus)),
    mem: Math.max(0, fixed(a.mem - b.mem)),
    disk: Math.max(0, fixed(a.disk - b.disk)),
    gpus: Math.max(0, fixed(a.gpus - b.gpus)),
    ports: subtractRanges(a.ports, b.ports),
  };
}

/** True when every quantity of `inner` is available in `outer`. */
export function contains(outer: Quantities, inner: Quantities): boolean {
  return (
    SCALAR_NAMES.every((n) => fixed(inner[n]) <= fixed(outer[n])) && rangesContain(outer.ports, inner.ports)
  );
}

export function isEmpty(q: Quantities): boolean {
  return SCALAR_NAMES.every((n) => q[n] <= 0) && q.ports.length === 0;
}

/** Mesos' minimum allocatable resources: an offer needs at least 0.01 cpus or 32 MB of memory. */
export function isAllocatable(q: Quantities): boolean {
  return q.cpus >= 0.01 || q.mem >= 32;
}

/** How a framework expects resources to be written (depends on its MULTI_ROLE / RESERVATION_REFINEMENT capabilities). */
export interface ResourceFormat {
  /** The allocation role, set only for MULTI_ROLE frameworks. */
  allocationRole?: string;
  /** RESERVATION_REFINEMENT frameworks get unreserved resources without `role`; others get `role: "*"`. */
  refinement: boolean;
}

export function toResourceJson(q: Quantities, format: ResourceFormat): ResourceJson[] {
  const decorate = (r: ResourceJson): ResourceJson => {
    const out: ResourceJson = { ...r };
    if (!format.refinement) out.role = "*";
    if (format.allocationRole !== undefined) out.allocation_info = { role: format.allocationRole };
    return out;
  };
  const list: ResourceJson[] = [];
  for (const name of SCALAR_NAMES) {
    if (q[name] > 0) list.push(decorate({ name, type: "SCALAR", scalar: { value: q[name] } }));
  }
  if (q.ports.length > 0) {
    list.push(decorate({ name: "ports", type: "RANGES", ranges: { range: q.ports.map((r) => ({ ...r })) } }));
  }
  return list;
}

export type ParsedResources = { ok: true; quantities: Quantities } | { ok: false; error: string };

/** Sums resources a scheduler sent (TaskInfo.resources), whatever their reservations; refuses unknown names. */
export function fromResourceJson(list: readonly unknown[]): ParsedResources {
  let q = emptyQuantities();
  for (const item of list) {
    if (typeof item !== "object" || item === null) return { ok: false, error: "Invalid resource" };
    // Roles and reservations are told apart by pool (pools.ts); this sums the amounts.
    const r = item as Partial<ResourceJson>;
    const name = r.name ?? "";
    if ((SCALAR_NAMES as readonly string[]).includes(name)) {
      const value = Number(r.scalar?.value);
      if (r.type !== "SCALAR" || Number.isNaN(value)) {
        return { ok: false, error: `Resource '${name}' is invalid: Invalid scalar resource` };
      }
      // src/common/resources.cpp Resources::validate: negative values, and non-zero values that the fixed-point
      // scalar (three decimals) represents as zero, are refused.
      if (value !== 0 && fixed(value) <= 0) {
        return {
          ok: false,
          error: `Resource '${name}:${value}' is invalid: Invalid scalar resource: value <= 0`,
        };
      }
      if (!Number.isFinite(value)) {
        return { ok: false, error: `Resource '${name}:${value}' is more than any agent has` };
      }
      const delta = emptyQuantities();
      delta[name as ScalarName] = value;
      q = add(q, delta);
    } else if (name === "ports") {
      const ranges = r.ranges?.range ?? [];
      if (r.type !== "RANGES" || ranges.some((x) => !(Number(x.begin) <= Number(x.end)))) {
        return { ok: false, error: "Invalid ranges resource 'ports'" };
      }
      q = add(q, {
        ...emptyQuantities(),
        ports: ranges.map((x) => ({ begin: Number(x.begin), end: Number(x.end) })),
      });
    } else {
      return { ok: false, error: `Unknown resource '${name}'` };
    }
  }
  return { ok: true, quantities: q };
}

export function formatRanges(ranges: readonly RangeJson[]): string {
  return `[${ranges.map((r) => `${r.begin}-${r.end}`).join(", ")}]`;
}

/** Mesos' text form, as in messages: `cpus:1; mem:128; ports:[31000-31000]`. */
export function formatQuantities(q: Quantities): string {
  const parts: string[] = [];
  for (const name of SCALAR_NAMES) if (q[name] > 0) parts.push(`${name}:${q[name]}`);
  if (q.ports.length > 0) parts.push(`ports:${formatRanges(q.ports)}`);
  return parts.join("; ");
}

/** The flat object of the legacy JSON endpoints: cpus, gpus, mem, disk always; ports as a range string. */
export function toLegacyResources(q: Quantities): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: q.cpus, disk: q.disk, gpus: q.gpus, mem: q.mem };
  if (q.ports.length > 0) out.ports = formatRanges(q.ports);
  return out;
}

// `name(role)` as src/common/resources.cpp `Resources::fromSimpleString` splits it: the role between the first
// `(` and the first `)`, trimmed, then checked by `roles::validate` when `Resources::parse` validates the resource.
const NAME_WITH_ROLE = /^([^()]*)\(([^()]*)\)$/;

/**
 * Parses a Mesos `--resources` text such as `cpus:4;mem:8192;disk:20000;ports:[31000-32000]`. `name(role):value`
 * reserves the amount statically to `role`, on top of the unreserved ones, as an agent's `--resources` does
 * (`cpus(web):2`); the local cluster reserves scalars only.
 */
export function parseResourceSpec(
  spec: string,
): { ok: true; resources: AgentResources } | { ok: false; error: string } {
  const resources: AgentResources = { cpus: 0, mem: 0, disk: 0, ports: [] };
  for (const raw of spec.split(";")) {
    const part = raw.trim();
    if (part === "") continue;
    const colon = part.indexOf(":");
    if (colon <= 0) return { ok: false, error: `'${part}' is not name:value` };
    const named = NAME_WITH_ROLE.exec(part.slice(0, colon).trim());
    const name = (named?.[1] ?? part.slice(0, colon)).trim();
    const givenRole = named?.[2]?.trim();
    const value = part.slice(colon + 1).trim();
    const invalidRole = givenRole === undefined ? undefined : roleError(givenRole);
    if (invalidRole !== undefined) return { ok: false, error: `'${part}': ${invalidRole}` };
    const role = givenRole === "*" ? undefined : givenRole;
    if (role !== undefined && !(SCALAR_NAMES as readonly string[]).includes(name))
      return { ok: false, error: `'${part}': only cpus, mem, disk and gpus can be reserved` };
    if (name === "ports") {
      const match = /^\[(.*)\]$/.exec(value);
      if (!match) return { ok: false, error: `ports must be ranges like [31000-32000], got '${value}'` };
      const ranges: RangeJson[] = [];
      for (const item of (match[1] ?? "").split(",")) {
        const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(item);
        if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) > 65535) {
          return { ok: false, error: `'${item.trim()}' is not a port range like 31000-32000` };
        }
        ranges.push({ begin: Number(m[1]), end: Number(m[2]) });
      }
      resources.ports = normalizeRanges(ranges);
    } else if ((SCALAR_NAMES as readonly string[]).includes(name)) {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n) || n < 0) {
        return { ok: false, error: `${name} must be a non-negative number, got '${value}'` };
      }
      if (role === undefined) resources[name as ScalarName] = n;
      else {
        const byRole = resources.reserved ?? {};
        const reserved = byRole[role] ?? { cpus: 0, mem: 0, disk: 0 };
        reserved[name as ScalarName] = n;
        byRole[role] = reserved;
        resources.reserved = byRole;
      }
    } else {
      return { ok: false, error: `unknown resource '${name}' (known: cpus, mem, disk, gpus, ports)` };
    }
  }
  return { ok: true, resources };
}

/** Splits a port range into `parts` disjoint slices, so agents sharing one host never hand out the same port. */
export function splitRanges(ranges: readonly RangeJson[], parts: number): RangeJson[][] {
  const ports: number[] = [];
  for (const r of normalizeRanges(ranges)) for (let p = r.begin; p <= r.end; p++) ports.push(p);
  const per = Math.floor(ports.length / parts);
  const slices: RangeJson[][] = [];
  for (let i = 0; i < parts; i++) {
    const slice = ports.slice(i * per, (i + 1) * per);
    slices.push(normalizeRanges(slice.map((p) => ({ begin: p, end: p }))));
  }
  return slices;
}
