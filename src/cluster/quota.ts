import type { QuotaStatus } from "../mesos/types/operator.js";
import type { Scalars } from "../placement/types.js";
import type { TaskRecord } from "./build.js";
import { hasTitanLabel } from "./labels.js";
import type { AgentRecord } from "./resources.js";
import { DIMENSIONS, round3, zeroScalars } from "./resources.js";

/**
 * The role whose quota can limit titan's offers: titan's own, unless it is `*` (no quota) or nested (a 1.12 master
 * refuses quota on nested roles, quota_handler.cpp, and its allocator applies only the role's own limits).
 */
export function quotaRoleOf(role: string): string | undefined {
  return role === "*" || role.includes("/") ? undefined : role;
}

/** The limits `role` has in a GET_QUOTA status on the resources titan asks for; undefined when it has none. */
export function roleLimits(status: QuotaStatus, role: string): Partial<Scalars> | undefined {
  const config = (status.configs ?? []).find((c) => c.role === role);
  const limits: Partial<Scalars> = {};
  for (const name of DIMENSIONS) {
    const value = config?.limits?.[name]?.value;
    if (typeof value === "number") limits[name] = value;
  }
  return Object.keys(limits).length === 0 ? undefined : limits;
}

/** The role's consumed quota over the cluster: what each agent adds to it (operator-resources.ts `roleConsumption`). */
export function consumedOver(agents: readonly AgentRecord[]): Scalars {
  const sum = zeroScalars();
  for (const agent of agents)
    if (agent.quotaConsumed !== undefined)
      for (const name of DIMENSIONS) sum[name] = round3(sum[name] + agent.quotaConsumed[name]);
  return sum;
}

/** By agent id, the part of the role's own reservations nothing uses. */
export function reservedFreeByAgent(agents: readonly AgentRecord[]): Record<string, Scalars> {
  const out: Record<string, Scalars> = {};
  for (const agent of agents)
    if (agent.quotaReservedFree !== undefined) out[agent.id] = agent.quotaReservedFree;
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
