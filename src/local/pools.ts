import type { AgentResources, DiskInfoJson, LabelsJson, ResourceJson } from "./agent/api.js";
import { isObject, type JsonObject } from "./json.js";
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
 * resources.cpp `addable`), so every sum, free amount and offer is kept per pool. A disk with a source (a MOUNT or
 * PATH disk of the agent's `--resources` JSON) is a pool of its own too: it adds only to the same disk, and a MOUNT
 * disk not even to that; it is taken whole or not at all (`addable` and `subtractable` there).
 */

export interface ReservationJson {
  type: "STATIC" | "DYNAMIC";
  role: string;
  principal?: string;
  labels?: LabelsJson;
}

export interface Pool {
  reservations: ReservationJson[];
  /** The disk's source, for a pool of one disk with a source (its quantities hold only `disk`). */
  disk?: DiskInfoJson;
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

/** What makes two pools one: the reservation stack, and the disk's source when it has one. */
export function poolKey(pool: Pick<Pool, "reservations" | "disk">): string {
  return pool.disk === undefined ? canonical(pool.reservations) : canonical([pool.reservations, pool.disk]);
}

/** A MOUNT disk is exclusive: never added to, and taken only whole (resources.cpp `addable`, `subtractable`). */
export function isExclusive(pool: Pick<Pool, "disk">): boolean {
  return pool.disk?.source.type === "MOUNT";
}

/**
 * resources.cpp `operator<<(DiskInfo::Source)`: its type, then `(vendor,id,profile)` when it has an id or a profile,
 * else a MOUNT or PATH source's `:root` (`MOUNT:/mnt/data0`); a source as a scheduler wrote it too, whose unset or
 * unknown type is UNKNOWN.
 */
export function diskSourceText(source: {
  type?: unknown;
  vendor?: unknown;
  id?: unknown;
  profile?: unknown;
  mount?: unknown;
  path?: unknown;
}): string {
  const csi =
    source.id !== undefined || source.profile !== undefined
      ? `(${String(source.vendor ?? "")},${String(source.id ?? "")},${String(source.profile ?? "")})`
      : undefined;
  const rootOf = (kind: unknown) =>
    isObject(kind) && kind.root !== undefined ? `:${String(kind.root)}` : "";
  switch (source.type) {
    case "MOUNT":
      return `MOUNT${csi ?? rootOf(source.mount)}`;
    case "PATH":
      return `PATH${csi ?? rootOf(source.path)}`;
    case "BLOCK":
    case "RAW":
      return `${source.type}${csi ?? ""}`;
    default:
      return "UNKNOWN";
  }
}

export function reservationOf(x: JsonObject): ReservationJson {
  const out: ReservationJson = { type: x.type === "STATIC" ? "STATIC" : "DYNAMIC", role: String(x.role) };
  if (typeof x.principal === "string") out.principal = x.principal;
  if (isObject(x.labels) && Array.isArray(x.labels.labels))
    out.labels = {
      labels: x.labels.labels
        .filter(isObject)
        .map((l) =>
          l.value === undefined ? { key: String(l.key) } : { key: String(l.key), value: String(l.value) },
        ),
    };
  return out;
}

/** The reservation stack of a resource in either format (`convertResourceFormat` to POST_RESERVATION_REFINEMENT). */
export function reservationsOf(r: {
  reservations?: unknown;
  role?: unknown;
  reservation?: unknown;
}): ReservationJson[] {
  if (Array.isArray(r.reservations) && r.reservations.length > 0)
    return r.reservations.filter(isObject).map((x) => reservationOf(x));
  const role = typeof r.role === "string" ? r.role : "*";
  if (role === "*") return [];
  if (!isObject(r.reservation)) return [{ type: "STATIC", role }];
  return [reservationOf({ ...r.reservation, type: "DYNAMIC", role })];
}

/** The role a pool is reserved to (its last, most refined reservation), `*` when unreserved. */
export function poolRole(pool: Pick<Pool, "reservations">): string {
  return pool.reservations.at(-1)?.role ?? "*";
}

/** roles::isStrictSubroleOf (src/common/roles.cpp). */
export function isStrictSubrole(role: string, ancestor: string): boolean {
  return role.startsWith(`${ancestor}/`);
}

/** `role` is `ancestor` or one of its sub-roles: a role uses its ancestors' reservations, quota counts a subtree. */
export function inRoleSubtree(role: string, ancestor: string): boolean {
  return role === ancestor || isStrictSubrole(role, ancestor);
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
  return reserved === "*" || inRoleSubtree(role, reserved);
}

/** Pools split as `Resources::reservations()` and `unreserved()` split them: unreserved, and by reservation role. */
export function splitByReservation(pools: readonly Pool[]): {
  unreserved: Pool[];
  reserved: Map<string, Pool[]>;
} {
  const unreserved: Pool[] = [];
  const reserved = new Map<string, Pool[]>();
  for (const pool of pools) {
    if (pool.reservations.length === 0) unreserved.push(pool);
    else reserved.set(poolRole(pool), [...(reserved.get(poolRole(pool)) ?? []), pool]);
  }
  return { unreserved, reserved };
}

export function sumPools(pools: readonly Pool[]): Quantities {
  return pools.reduce((sum, p) => add(sum, p.quantities), emptyQuantities());
}

function copyPool(pool: Pool, quantities: Quantities): Pool {
  const copy: Pool = { reservations: pool.reservations, quantities };
  if (pool.disk !== undefined) copy.disk = pool.disk;
  return copy;
}

/** Pools merged by reservation stack and disk, in first-seen order (MOUNT disks each kept apart); empty ones dropped. */
export function mergePools(...lists: ReadonlyArray<readonly Pool[]>): Pool[] {
  const byKey = new Map<string, Pool>();
  const merged: Pool[] = [];
  for (const pool of lists.flat()) {
    const key = poolKey(pool);
    const known = isExclusive(pool) ? undefined : byKey.get(key);
    if (known) known.quantities = add(known.quantities, pool.quantities);
    else {
      const copy = copyPool(pool, pool.quantities);
      byKey.set(key, copy);
      merged.push(copy);
    }
  }
  return merged.filter((p) => !isEmpty(p.quantities));
}

/** The exclusive pool of `candidates` that is exactly `pool` (same disk, same size), not yet `used`. */
function sameExclusive(pool: Pool, candidates: readonly Pool[], used: Set<Pool>): Pool | undefined {
  const key = poolKey(pool);
  return candidates.find(
    (c) => !used.has(c) && isExclusive(c) && poolKey(c) === key && c.quantities.disk === pool.quantities.disk,
  );
}

/** a − b per pool, never below zero; a MOUNT disk goes only when `b` holds all of it. */
export function subtractPools(a: readonly Pool[], b: readonly Pool[]): Pool[] {
  const merged = mergePools(b);
  const minus = new Map(merged.filter((p) => !isExclusive(p)).map((p) => [poolKey(p), p.quantities]));
  const gone = new Set<Pool>();
  return a
    .map((p): Pool | undefined => {
      if (isExclusive(p)) {
        const whole = sameExclusive(p, merged, gone);
        if (whole === undefined) return p;
        gone.add(whole);
        return undefined;
      }
      const taken = minus.get(poolKey(p));
      return taken ? copyPool(p, subtract(p.quantities, taken)) : p;
    })
    .filter((p): p is Pool => p !== undefined && !isEmpty(p.quantities));
}

/** Every pool of `inner` fits in the pool of `outer` of the same reservations and disk; a MOUNT disk only whole. */
export function poolsContain(outer: readonly Pool[], inner: readonly Pool[]): boolean {
  const have = mergePools(outer);
  const byKey = new Map(have.filter((p) => !isExclusive(p)).map((p) => [poolKey(p), p.quantities]));
  const matched = new Set<Pool>();
  return mergePools(inner).every((p) => {
    if (isExclusive(p)) {
      const whole = sameExclusive(p, have, matched);
      if (whole !== undefined) matched.add(whole);
      return whole !== undefined;
    }
    const quantities = byKey.get(poolKey(p));
    return quantities !== undefined && contains(quantities, p.quantities);
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
    const disk = pool.disk;
    return base.map((r) =>
      withReservations(disk === undefined ? r : { ...r, disk }, pool.reservations, format),
    );
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
/** resources.cpp `operator<<(Labels)`: `{k: v, key}`. */
export function labelsText(labels: LabelsJson): string {
  return `{${labels.labels.map((l) => (l.value === undefined ? l.key : `${l.key}: ${l.value}`)).join(", ")}}`;
}

/**
 * resources.cpp `operator<<(ReservationInfo)`: `TYPE,role[,principal][,{labels}]`. The type is a string so that a
 * reservation as a scheduler wrote it (an unset or unknown type is UNKNOWN) prints as well.
 */
export function reservationText(r: Omit<ReservationJson, "type"> & { type: string }): string {
  let text = `${r.type},${r.role}`;
  if (r.principal !== undefined) text += `,${r.principal}`;
  if (r.labels !== undefined) text += `,${labelsText(r.labels)}`;
  return text;
}

/** A resource's identity as src/common/resources.cpp `operator<<(Resource)` prints it, before `:value`. */
export function resourcePrefix(
  name: string,
  allocationRole: string | undefined,
  /** Each reservation's text (`reservationText`), innermost last. */
  reservations: readonly string[],
  /** `disk` is the DiskInfo's text (`MOUNT:/mnt/data0`), printed in brackets. */
  extra: { disk?: string; revocable?: boolean; shared?: boolean } = {},
): string {
  let text = name;
  if (allocationRole !== undefined) text += `(allocated: ${allocationRole})`;
  if (reservations.length > 0) text += `(reservations: [${reservations.map((r) => `(${r})`).join(",")}])`;
  if (extra.disk !== undefined) text += `[${extra.disk}]`;
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
      const disk = name === "disk" && pool.disk !== undefined ? diskSourceText(pool.disk.source) : undefined;
      const prefix = resourcePrefix(
        name,
        pool.allocationRole,
        pool.reservations.map(reservationText),
        disk === undefined ? {} : { disk },
      );
      if (value > 0) parts.push(`${prefix}:${value}`);
    }
    if (pool.quantities.ports.length > 0)
      parts.push(
        `${resourcePrefix("ports", pool.allocationRole, pool.reservations.map(reservationText))}:${formatRanges(pool.quantities.ports)}`,
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
  for (const disk of resources.disks ?? []) {
    const reservations: ReservationJson[] =
      disk.role === undefined ? [] : [{ type: "STATIC", role: disk.role }];
    pools.push({
      reservations,
      disk: { source: disk.source },
      quantities: { ...emptyQuantities(), disk: disk.size },
    });
  }
  return mergePools(pools);
}
