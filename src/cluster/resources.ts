import type { PortRange, Scalars } from "../placement/types.js";
import { normaliseRanges, subtractRanges, unionRanges } from "./ranges.js";

/** Scalar resources plus port ranges: what an agent has, a reservation holds or a task uses. */
export interface ResourceBag {
  scalars: Scalars;
  ports: PortRange[];
}

export function emptyBag(): ResourceBag {
  return { scalars: zeroScalars(), ports: [] };
}

export function zeroScalars(): Scalars {
  return { cpus: 0, mem: 0, disk: 0, gpus: 0 };
}

/** The scalar resources titan reads, in the order a bag lists them. */
export const DIMENSIONS = ["cpus", "mem", "disk", "gpus"] as const;

/** Mesos keeps three decimals; rounding keeps sums such as 0.1 + 0.2 from drifting. */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function addScalars(a: Scalars, b: Scalars): Scalars {
  const out = zeroScalars();
  for (const d of DIMENSIONS) out[d] = round3(a[d] + b[d]);
  return out;
}

/** `addScalars` in place: `sum` becomes what `addScalars(sum, b)` returns, with no new object per addition. */
export function addScalarsInto(sum: Scalars, b: Scalars): void {
  for (const d of DIMENSIONS) sum[d] = round3(sum[d] + b[d]);
}

/** a − b, never below zero. */
export function subtractScalars(a: Scalars, b: Scalars): Scalars {
  const out = zeroScalars();
  for (const d of DIMENSIONS) out[d] = Math.max(0, round3(a[d] - b[d]));
  return out;
}

export function minScalars(a: Scalars, b: Scalars): Scalars {
  const out = zeroScalars();
  for (const d of DIMENSIONS) out[d] = Math.min(a[d], b[d]);
  return out;
}

export function maxScalars(a: Scalars, b: Scalars): Scalars {
  const out = zeroScalars();
  for (const d of DIMENSIONS) out[d] = Math.max(a[d], b[d]);
  return out;
}

/** Adds `b` to `a` in place (for sums built up from fresh bags). */
export function addInto(a: ResourceBag, b: ResourceBag): void {
  for (const d of DIMENSIONS) if (b.scalars[d] !== 0) a.scalars[d] = round3(a.scalars[d] + b.scalars[d]);
  if (b.ports.length > 0) a.ports = a.ports.length === 0 ? b.ports : unionRanges(a.ports, b.ports);
}

export function addBags(a: ResourceBag, b: ResourceBag): ResourceBag {
  return { scalars: addScalars(a.scalars, b.scalars), ports: unionRanges(a.ports, b.ports) };
}

/** Whether resources reserved for `reservationRole` may be used by a framework in `role` (a role may use its ancestors' reservations). */
export function roleMayUse(role: string, reservationRole: string): boolean {
  if (reservationRole === "*" || reservationRole === "") return true;
  return role === reservationRole || role.startsWith(`${reservationRole}/`);
}

/** One agent as both snapshot formats describe it, before titan's view of it is computed. */
export interface AgentRecord {
  id: string;
  hostname: string;
  attributes: Record<string, string>;
  /** The region of the agent's fault domain, when it has one. */
  faultDomainRegion?: string;
  /** False when the master would not offer it: inactive, deactivated, draining, or in a remote region. */
  schedulable: boolean;
  /** Why the agent is not schedulable, for warnings. */
  unschedulableReason?: string;
  total: ResourceBag;
  /** Reserved resources by reservation role (unreserved resources are not listed). */
  reserved: Map<string, ResourceBag>;
  /** What the master reports as used on the agent (tasks and executors), when it reports it. */
  used?: ResourceBag;
  /** MB on MOUNT or PATH disks and volumes, left out of `total`: only a task naming such a disk may use it. */
  setAsideDisk?: number;
  /**
   * Per role asked for (titan's, and those with quota guarantees): what the agent adds to the role's consumed quota,
   * and the part of the role's own reservations there that nothing uses.
   */
  quotaUse?: ReadonlyMap<string, { consumed: Scalars; reservedFree: Scalars }>;
  /** The agent's unreserved scalars nothing is allocated, read with `quotaUse`. */
  unreservedFree?: Scalars;
}

/** How a task's resources divide over reservations: role -> what it uses of that role's reservation. */
export type ReservationUse = Map<string, ResourceBag>;

export interface TaskUse {
  agentId: string;
  resources: ResourceBag;
  /** The role the task's resources were allocated to (legacy format), used when reservations are not itemised. */
  allocationRole?: string;
  /** Exact use of reserved resources per reservation role (v1 format). */
  reserved?: ReservationUse;
}

/**
 * What a framework in `role` can still use on the agent: total − used − the unused part of every reservation for
 * a role it may not use. Offered resources count as free: an offer is transient, and the resources go back to the
 * allocator when it is declined or expires.
 */
export function freeForRole(agent: AgentRecord, tasks: readonly TaskUse[], role: string): ResourceBag {
  const taskSum = sumOfTasks(tasks);
  const used: ResourceBag = agent.used
    ? {
        scalars: maxScalars(agent.used.scalars, taskSum.scalars),
        ports: unionRanges(agent.used.ports, taskSum.ports),
      }
    : taskSum;

  let blockedScalars = zeroScalars();
  let blockedPorts: PortRange[] = [];
  for (const [reservationRole, reservation] of agent.reserved) {
    if (roleMayUse(role, reservationRole)) continue;
    const usedThere = usedOfReservation(reservationRole, reservation, tasks);
    blockedScalars = addScalars(blockedScalars, subtractScalars(reservation.scalars, usedThere.scalars));
    blockedPorts = unionRanges(blockedPorts, subtractRanges(reservation.ports, usedThere.ports));
  }
  const scalars = subtractScalars(subtractScalars(agent.total.scalars, used.scalars), blockedScalars);
  const ports = subtractRanges(subtractRanges(agent.total.ports, used.ports), blockedPorts);
  return { scalars, ports: normaliseRanges(ports) };
}

/**
 * What the tasks use together: `addBags` over them, one after another, without a bag and a merge of port ranges
 * per task (an agent of a busy cluster runs tens of tasks).
 */
function sumOfTasks(tasks: readonly TaskUse[]): ResourceBag {
  const scalars = zeroScalars();
  const ports: PortRange[] = [];
  for (const task of tasks) {
    // Rounded after each addition, as addBags does.
    addScalarsInto(scalars, task.resources.scalars);
    for (const range of task.resources.ports) ports.push(range);
  }
  return { scalars, ports: normaliseRanges(ports) };
}

/** How much of one role's reservation the tasks use: exact when itemised, else what tasks of that role use, capped by the reservation. */
function usedOfReservation(
  reservationRole: string,
  reservation: ResourceBag,
  tasks: readonly TaskUse[],
): ResourceBag {
  let scalars = zeroScalars();
  let ports: PortRange[] = [];
  for (const t of tasks) {
    if (t.reserved) {
      const part = t.reserved.get(reservationRole);
      if (part) {
        scalars = addScalars(scalars, part.scalars);
        ports = unionRanges(ports, part.ports);
      }
    } else if (t.allocationRole !== undefined && roleMayUse(t.allocationRole, reservationRole)) {
      scalars = addScalars(scalars, t.resources.scalars);
      ports = unionRanges(ports, t.resources.ports);
    }
  }
  const portsWithin = subtractRanges(reservation.ports, subtractRanges(reservation.ports, ports));
  return { scalars: minScalars(scalars, reservation.scalars), ports: portsWithin };
}
