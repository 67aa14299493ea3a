import { isPlainResource } from "../mesos/plain-resource.js";
import type { PortRange, Scalars } from "../placement/types.js";
import { isRecord, type Node } from "./json-reader.js";
import { normaliseRanges, unionRanges } from "./ranges.js";
import {
  addInto,
  emptyBag,
  type ReservationUse,
  type ResourceBag,
  round3,
  zeroScalars,
} from "./resources.js";

/**
 * Sums mesos.v1.Resource entries into one bag, and separately per reservation role. A resource is reserved when
 * it has `reservations` (the last one is the role that holds it) or, in the pre-refinement form, a `role` other
 * than `*`. Only plain resources count (mesos/plain-resource.ts): titan launches on nothing else, and a task's MOUNT
 * disk or volume takes nothing from the plain disk titan's tasks share.
 */
export function readResources(list: Node): { all: ResourceBag; reserved: ReservationUse } {
  const all = emptyBag();
  const reserved: ReservationUse = new Map();
  for (const resource of list.items()) {
    if (isRecord(resource.value) && !isPlainResource(resource.value)) continue;
    const bag = readResource(resource);
    if (!bag) continue;
    // Summed in place: a cluster state has a few resources per task and tens of thousands of tasks.
    addInto(all, bag);
    const role = reservationRole(resource);
    if (role === undefined) continue;
    const held = reserved.get(role);
    if (held === undefined) reserved.set(role, bag);
    else addInto(held, bag);
  }
  return { all, reserved };
}

function reservationRole(resource: Node): string | undefined {
  const reservations = resource.get("reservations").items();
  const last = reservations[reservations.length - 1];
  if (last) return last.get("role").string();
  const role = resource.get("role").optionalString();
  return role !== undefined && role !== "*" ? role : undefined;
}

function readResource(resource: Node): ResourceBag | undefined {
  const name = resource.get("name").string();
  const bag = emptyBag();
  if (name === "cpus" || name === "mem" || name === "disk" || name === "gpus") {
    bag.scalars[name] = resource.get("scalar").get("value").number();
    return bag;
  }
  if (name === "ports") {
    bag.ports = readRanges(resource.get("ranges"));
    return bag;
  }
  return undefined;
}

/**
 * The disk of an agent's resources that is no plain task's to take: MOUNT and PATH disks and volumes (revocable
 * resources aside). The plan leaves it out, and says so when an app's disk does not fit.
 */
export function setAsideDisk(list: Node): number {
  let mb = 0;
  for (const resource of list.items()) {
    const value = resource.value;
    if (!isRecord(value) || value.name !== "disk" || isPlainResource(value) || resource.has("revocable"))
      continue;
    mb += resource.get("scalar").get("value").number();
  }
  return round3(mb);
}

/**
 * What an agent adds to `role`'s consumed quota, as master.cpp `RoleResourceBreakdown::consumedQuota` counts it:
 * the scalars allocated to the role's subtree (`allocation_info.role` is the role or below it), whatever their
 * reservation, plus the part of every reservation to that subtree that nothing uses. And the part of the role's own
 * reservations nothing uses: a task placed there takes nothing more from the quota.
 */
export function roleConsumption(
  total: Node,
  allocated: Node,
  role: string,
): { consumed: Scalars; reservedFree: Scalars } {
  const consumed = zeroScalars();
  const reservedFree = zeroScalars();
  for (const resource of total.items()) {
    const reserved = reservationRole(resource);
    if (reserved !== undefined && inRoleSubtree(reserved, role)) addScalar(consumed, resource, 1);
    if (reserved === role) addScalar(reservedFree, resource, 1);
  }
  for (const resource of allocated.items()) {
    const reserved = reservationRole(resource);
    if (reserved === role) addScalar(reservedFree, resource, -1);
    if (reserved !== undefined && inRoleSubtree(reserved, role)) continue;
    const holder = resource.get("allocation_info").get("role").optionalString();
    if (holder !== undefined && inRoleSubtree(holder, role)) addScalar(consumed, resource, 1);
  }
  return { consumed, reservedFree };
}

/**
 * The agent's unreserved, non-revocable scalars nothing is allocated: its share of what hierarchical.cpp calls the
 * available headroom (offers are transient, and left out as the plan leaves them out).
 */
export function unreservedFree(total: Node, allocated: Node): Scalars {
  const free = zeroScalars();
  for (const resource of total.items())
    if (reservationRole(resource) === undefined) addScalar(free, resource, 1);
  for (const resource of allocated.items())
    if (reservationRole(resource) === undefined) addScalar(free, resource, -1);
  return free;
}

/** Adds (or takes away) a non-revocable cpus, mem, disk or gpus entry to `into`; any other entry is left out. */
function addScalar(into: Scalars, resource: Node, sign: 1 | -1): void {
  const name = resource.get("name").string();
  if (name !== "cpus" && name !== "mem" && name !== "disk" && name !== "gpus") return;
  if (resource.has("revocable")) return;
  into[name] = round3(into[name] + sign * resource.get("scalar").get("value").number());
}

/** `role` is `ancestor` or one of its sub-roles. */
function inRoleSubtree(role: string, ancestor: string): boolean {
  return role === ancestor || role.startsWith(`${ancestor}/`);
}

export function readRanges(ranges: Node): PortRange[] {
  const list = ranges
    .get("range")
    .items()
    .map((r) => ({ begin: r.get("begin").number(), end: r.get("end").number() }));
  return normaliseRanges(list);
}

/** What `sumTaskResources` returns when a resource is not in the shape it reads; `readResources` then says where. */
export const UNREADABLE = false;

/**
 * `readResources` for the tens of thousands of tasks of a cluster state, by direct field access: sums into `all`
 * and returns the reserved part per role (undefined when nothing is reserved, as for most tasks). Returns
 * UNREADABLE on any shape it does not expect, including ones `readResources` accepts (numbers as strings).
 */
export function sumTaskResources(
  list: unknown,
  all: ResourceBag,
): ReservationUse | undefined | typeof UNREADABLE {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) return UNREADABLE;
  let reserved: ReservationUse | undefined;
  for (const resource of list) {
    if (!isRecord(resource)) return UNREADABLE;
    if (!isPlainResource(resource)) continue;
    const name = resource.name;
    if (typeof name !== "string") return UNREADABLE;
    const scalar = name === "cpus" || name === "mem" || name === "disk" || name === "gpus";
    if (!scalar && name !== "ports") continue;
    const role = rawReservationRole(resource);
    if (role === UNREADABLE) return UNREADABLE;
    if (scalar) {
      const holder = resource.scalar;
      const value = isRecord(holder) ? holder.value : undefined;
      if (typeof value !== "number" || !Number.isFinite(value)) return UNREADABLE;
      if (role === undefined) {
        if (value !== 0) all.scalars[name] = round3(all.scalars[name] + value);
        continue;
      }
      const bag = emptyBag();
      bag.scalars[name] = value;
      reserved = addReserved(reserved ?? new Map(), role, all, bag);
      continue;
    }
    const ports = rawRanges(resource.ranges);
    if (ports === undefined) return UNREADABLE;
    if (role !== undefined)
      reserved = addReserved(reserved ?? new Map(), role, all, { scalars: zeroScalars(), ports });
    else if (ports.length > 0) all.ports = all.ports.length === 0 ? ports : unionRanges(all.ports, ports);
  }
  return reserved;
}

/** A reserved resource is rare, so it may cost a bag of its own, as in `readResources`. */
function addReserved(
  reserved: ReservationUse,
  role: string,
  all: ResourceBag,
  bag: ResourceBag,
): ReservationUse {
  addInto(all, bag);
  const held = reserved.get(role);
  if (held === undefined) reserved.set(role, bag);
  else addInto(held, bag);
  return reserved;
}

export function rawReservationRole(
  resource: Record<string, unknown>,
): string | undefined | typeof UNREADABLE {
  const reservations = resource.reservations;
  if (reservations !== undefined && reservations !== null) {
    if (!Array.isArray(reservations)) return UNREADABLE;
    if (reservations.length > 0) {
      const last: unknown = reservations[reservations.length - 1];
      const role = isRecord(last) ? last.role : undefined;
      return typeof role === "string" ? role : UNREADABLE;
    }
  }
  const role = resource.role;
  if (role === undefined || role === null) return undefined;
  if (typeof role !== "string") return UNREADABLE;
  return role !== "*" ? role : undefined;
}

/** `readRanges` by direct field access; undefined on any unexpected shape. */
function rawRanges(ranges: unknown): PortRange[] | undefined {
  const list = isRecord(ranges) ? ranges.range : undefined;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return undefined;
  const out: PortRange[] = [];
  for (const r of list) {
    if (!isRecord(r)) return undefined;
    const { begin, end } = r;
    if (typeof begin !== "number" || !Number.isFinite(begin)) return undefined;
    if (typeof end !== "number" || !Number.isFinite(end)) return undefined;
    out.push({ begin, end });
  }
  return out.length === 1 && (out[0] as PortRange).end >= (out[0] as PortRange).begin
    ? out
    : normaliseRanges(out);
}
