import type { QuotaStatus } from "../mesos/types/operator.js";
import type { Scalars } from "../placement/types.js";
import type { TaskRecord } from "./build.js";
import { hasTitanLabel } from "./labels.js";
import { readQuotaUse } from "./operator.js";
import { type AgentRecord, DIMENSIONS, round3, zeroScalars } from "./resources.js";
import type { RoleQuota } from "./types.js";

/**
 * The role whose quota can limit titan's offers: titan's own, the default role `*` included (a 1.12 master takes
 * quota on it, docs/quota.md, and quota_handler.cpp `QuotaHandler::update` refuses only nested roles), unless it is
 * nested (refused there, and its allocator applies only the role's own limits).
 */
export function quotaRoleOf(role: string): string | undefined {
  return role.includes("/") ? undefined : role;
}

/** The limits `role` has in a GET_QUOTA status on the resources titan asks for; undefined when it has none. */
export function roleLimits(status: QuotaStatus, role: string): Partial<Scalars> | undefined {
  const limits = scalarsOf(status, role, "limits");
  return Object.keys(limits).length === 0 ? undefined : limits;
}

function scalarsOf(status: QuotaStatus, role: string, kind: "limits" | "guarantees"): Partial<Scalars> {
  const config = (status.configs ?? []).find((c) => c.role === role);
  const out: Partial<Scalars> = {};
  for (const name of DIMENSIONS) {
    const value = config?.[kind]?.[name]?.value;
    if (typeof value === "number") out[name] = value;
  }
  return out;
}

/** The roles whose consumed quota the plan needs: titan's, when it can have quota, and every role with a guarantee. */
export function rolesToCount(status: QuotaStatus, role: string): string[] {
  const roles = new Set<string>();
  const own = quotaRoleOf(role);
  if (own !== undefined) roles.add(own);
  for (const config of status.configs ?? [])
    if (Object.keys(scalarsOf(status, config.role, "guarantees")).length > 0) roles.add(config.role);
  return [...roles];
}

/**
 * What quota lets titan's `role` be offered, from GET_QUOTA's status and a GET_STATE read with `rolesToCount`;
 * undefined when nothing bounds it: no limit of its own, and no other role lacking some of its guarantee.
 */
export function roleQuotaOf(
  status: QuotaStatus,
  role: string,
  agents: readonly AgentRecord[],
  tasks: readonly TaskRecord[],
): RoleQuota | undefined {
  const own = quotaRoleOf(role);
  const limits = own === undefined ? {} : scalarsOf(status, own, "limits");
  const unmetOf = (r: string) => {
    const guarantees = scalarsOf(status, r, "guarantees");
    const consumed = consumedOver(agents, r);
    const unmet = zeroScalars();
    for (const name of DIMENSIONS)
      unmet[name] = round3(Math.max(0, (guarantees[name] ?? 0) - consumed[name]));
    return unmet;
  };
  const heldBack = zeroScalars();
  for (const r of rolesToCount(status, role)) {
    if (r === own) continue;
    const unmet = unmetOf(r);
    for (const name of DIMENSIONS) heldBack[name] = round3(heldBack[name] + unmet[name]);
  }
  const holds = DIMENSIONS.some((name) => heldBack[name] > 0);
  if (Object.keys(limits).length === 0 && !holds) return undefined;
  const quota: RoleQuota = {
    role,
    limits,
    consumed: own === undefined ? zeroScalars() : consumedOver(agents, own),
    reservedFree: own === undefined ? {} : reservedFreeByAgent(agents, own),
    reservedUse: own === undefined ? {} : reservedUseOfTasks(tasks, own),
  };
  if (holds) {
    const available = zeroScalars();
    for (const agent of agents)
      for (const name of DIMENSIONS)
        available[name] = round3(available[name] + (agent.unreservedFree?.[name] ?? 0));
    quota.headroom = { available, heldBack, ownUnmet: own === undefined ? zeroScalars() : unmetOf(own) };
  }
  return quota;
}

/**
 * What quota lets titan's `role` be offered, from GET_QUOTA's status and a GET_STATE: its agents as the master wrote
 * them (read again only for the roles quota concerns, operator.ts `readQuotaUse`) and as read, and its tasks.
 */
export function quotaOfState(
  status: QuotaStatus,
  role: string,
  state: { rawAgents: readonly unknown[]; agents: readonly AgentRecord[]; tasks: readonly TaskRecord[] },
): RoleQuota | undefined {
  const roles = rolesToCount(status, role);
  if (roles.length === 0) return undefined;
  const use = readQuotaUse(state.rawAgents, roles);
  const agents = state.agents.map((agent) => ({ ...agent, ...use.get(agent.id) }));
  return roleQuotaOf(status, role, agents, state.tasks);
}

/** A role's consumed quota over the cluster: what each agent adds to it (operator-resources.ts `roleConsumption`). */
export function consumedOver(agents: readonly AgentRecord[], role: string): Scalars {
  const sum = zeroScalars();
  for (const agent of agents) {
    const use = agent.quotaUse?.get(role);
    if (use !== undefined) for (const name of DIMENSIONS) sum[name] = round3(sum[name] + use.consumed[name]);
  }
  return sum;
}

/** By agent id, the part of the role's own reservations nothing uses, where some does. */
export function reservedFreeByAgent(agents: readonly AgentRecord[], role: string): Record<string, Scalars> {
  const out: Record<string, Scalars> = {};
  for (const agent of agents) {
    const free = agent.quotaUse?.get(role)?.reservedFree;
    if (free !== undefined && DIMENSIONS.some((name) => free[name] > 0)) out[agent.id] = free;
  }
  return out;
}

/** By task id, what titan's tasks use of `role`'s own reservations (read from GET_STATE task by task). */
export function reservedUseOfTasks(tasks: readonly TaskRecord[], role: string): Record<string, Scalars> {
  const out: Record<string, Scalars> = {};
  for (const task of tasks) {
    const bag = hasTitanLabel(task.labels) ? task.reserved?.get(role) : undefined;
    if (bag !== undefined) out[task.id] = bag.scalars;
  }
  return out;
}
