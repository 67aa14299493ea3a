import type { AgentResources, LabelsJson, ResourceJson } from "./agent/api.js";
import type { JsonObject } from "./json.js";
import {
  add,
  contains,
  emptyQuantities,
  formatRanges,
  fromAgentResources,
  isEmpty,
  type Quantities,
  SCALAR_NAMES,
  subtract,
  toResourceJson,
} from "./resources.js";

/**
 * An agent's resources split by reservation, as Mesos keeps them: one pool of unreserved resources and one per
 * reservation stack (`Resource.reservations`, mesos.proto: a STATIC or DYNAMIC reservation to a role, then any
 * number of DYNAMIC refinements to sub-roles). Two resources of different stacks never add up (src/common/
 * resources.cpp `addable`), so every sum, free amount and offer is kept per pool.
 */

export interface ReservationJson {
  type: "STATIC" | "DYNAMIC";
  role: string;
  principal?: string;
  labels?: LabelsJson;
}

export interface Pool {
  reservations: ReservationJson[];
  quantities: Quantities;
}

export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function poolKey(reservations: readonly ReservationJson[]): string {
  return canonical(reservations);
}

/** The role a pool is reserved to (its last, most refined reservation), `*` when unreserved. */
export function poolRole(pool: Pick<Pool, "reservations">): string {
  return pool.reservations.at(-1)?.role ?? "*";
}

/** roles::isStrictSubroleOf (src/common/roles.cpp). */
export function isStrictSubrole(role: string, ancestor: string): boolean {
  return role.startsWith(`${ancestor}/`);
}

/**
 * Whether the allocator offers a pool to a framework for `role`: unreserved resources, and resources reserved to
 * the role or one of its ancestors (src/master/allocator/mesos/hierarchical.cpp offers a role's reservations to
 * its sub-roles). Refined reservations go only to RESERVATION_REFINEMENT frameworks (`Framework::capabilities`
 * filter in hierarchical.cpp `__allocate`).
 */
export function offerableTo(pool: Pool, role: string, refinement: boolean): boolean {
  if (pool.reservations.length > 1 && !refinement) return false;
  const reserved = poolRole(pool);
  return reserved === "*" || reserved === role || isStrictSubrole(role, reserved);
}

export function sumPools(pools: readonly Pool[]): Quantities {
  return pools.reduce((sum, p) => add(sum, p.quantities), emptyQuantities());
}

/** Pools merged by reservation stack, in first-seen order; empty pools dropped. */
export function mergePools(...lists: ReadonlyArray<readonly Pool[]>): Pool[] {
  const byKey = new Map<string, Pool>();
  for (const pool of lists.flat()) {
    const key = poolKey(pool.reservations);
    const known = byKey.get(key);
    if (known) known.quantities = add(known.quantities, pool.quantities);
    else byKey.set(key, { reservations: pool.reservations, quantities: pool.quantities });
  }
  return [...byKey.values()].filter((p) => !isEmpty(p.quantities));
}

/** a − b per pool, never below zero. */
export function subtractPools(a: readonly Pool[], b: readonly Pool[]): Pool[] {
  const minus = new Map(mergePools(b).map((p) => [poolKey(p.reservations), p.quantities]));
  return a
    .map((p) => {
      const taken = minus.get(poolKey(p.reservations));
      return taken ? { reservations: p.reservations, quantities: subtract(p.quantities, taken) } : p;
    })
    .filter((p) => !isEmpty(p.quantities));
}

/** Every pool of `inner` fits in the pool of `outer` with the same reservations. */
export function poolsContain(outer: readonly Pool[], inner: readonly Pool[]): boolean {
  const byKey = new Map(mergePools(outer).map((p) => [poolKey(p.reservations), p.quantities]));
  return mergePools(inner).every((p) => {
    const have = byKey.get(poolKey(p.reservations));
    return have !== undefined && contains(have, p.quantities);
  });
}

export interface PoolFormat {
  /** RESERVATION_REFINEMENT frameworks get `reservations` only; others `role` (+ `reservation` when dynamic). */
  refinement: boolean;
  /** The operator endpoints' format: `role`/`reservation` for a single reservation, and `reservations` kept. */
  endpoint?: boolean;
  allocationRole?: string;
}

/** mesos.v1.Resource objects for pools, as src/common/resources_utils.cpp `convertResourceFormat` writes them. */
export function poolsToJson(pools: readonly Pool[], format: PoolFormat): ResourceJson[] {
  return pools.flatMap((pool) => {
    const base = toResourceJson(pool.quantities, {
      refinement: format.refinement || pool.reservations.length > 0,
      ...(format.allocationRole === undefined ? {} : { allocationRole: format.allocationRole }),
    });
    return base.map((r) => withReservations(r, pool.reservations, format));
  });
}

function withReservations(
  resource: ResourceJson,
  reservations: readonly ReservationJson[],
  format: PoolFormat,
): ResourceJson {
  if (reservations.length === 0) return resource;
  const out: ResourceJson & JsonObject = { ...resource } as ResourceJson & JsonObject;
  const [only] = reservations;
  if (reservations.length === 1 && only !== undefined && (!format.refinement || format.endpoint)) {
    out.role = only.role;
    if (only.type === "DYNAMIC") {
      const reservation: JsonObject = {};
      if (only.principal !== undefined) reservation.principal = only.principal;
      if (only.labels !== undefined) reservation.labels = only.labels;
      out.reservation = reservation;
    }
    if (!format.endpoint) return out;
  }
  out.reservations = reservations.map((r) => ({ ...r }));
  return out;
}

/** stout's text of a ReservationInfo: `STATIC,web` / `DYNAMIC,web/api,ops` (resources.cpp operator<<). */
function reservationText(r: ReservationJson): string {
  let text = `${r.type},${r.role}`;
  if (r.principal !== undefined) text += `,${r.principal}`;
  if (r.labels !== undefined) {
    const labels = r.labels.labels.map((l) => (l.value === undefined ? l.key : `${l.key}: ${l.value}`));
    text += `,{${labels.join(", ")}}`;
  }
  return text;
}

/** A resource's identity as src/common/resources.cpp `operator<<(Resource)` prints it, before `:value`. */
export function resourcePrefix(
  name: string,
  allocationRole: string | undefined,
  reservations: readonly ReservationJson[],
  extra: { disk?: boolean; revocable?: boolean; shared?: boolean } = {},
): string {
  let text = name;
  if (allocationRole !== undefined) text += `(allocated: ${allocationRole})`;
  if (reservations.length > 0)
    text += `(reservations: [${reservations.map((r) => `(${reservationText(r)})`).join(",")}])`;
  if (extra.disk) text += "[disk]";
  if (extra.revocable) text += "{REV}";
  if (extra.shared) text += "<SHARED>";
  return text;
}

/** `cpus(allocated: web)(reservations: [(STATIC,web)]):2; mem(allocated: web):128` for allocated pools. */
export function formatPools(pools: ReadonlyArray<Pool & { allocationRole?: string }>): string {
  const parts: string[] = [];
  for (const pool of pools) {
    for (const name of SCALAR_NAMES) {
      const value = pool.quantities[name];
      if (value > 0) parts.push(`${resourcePrefix(name, pool.allocationRole, pool.reservations)}:${value}`);
    }
    if (pool.quantities.ports.length > 0)
      parts.push(
        `${resourcePrefix("ports", pool.allocationRole, pool.reservations)}:${formatRanges(pool.quantities.ports)}`,
      );
  }
  return parts.length === 0 ? "{}" : parts.join("; ");
}

/** An agent's pools: its unreserved resources, then one STATIC pool per role it reserves (`cpus(web):2`). */
export function agentPools(resources: AgentResources): Pool[] {
  const pools: Pool[] = [{ reservations: [], quantities: fromAgentResources(resources) }];
  for (const [role, r] of Object.entries(resources.reserved ?? {})) {
    const quantities = { ...emptyQuantities(), cpus: r.cpus, mem: r.mem, disk: r.disk, gpus: r.gpus ?? 0 };
    pools.push({ reservations: [{ type: "STATIC", role }], quantities });
  }
  return mergePools(pools);
}
