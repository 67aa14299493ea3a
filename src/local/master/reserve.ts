import { isTerminalState } from "../agent/task-states.js";
import { isObject, type JsonObject } from "../json.js";
import { formatPools, mergePools, type Pool, poolsContain, subtractPools } from "../pools.js";
import type { LocalMaster } from "./master.js";
import { resourcesError, taskPools } from "./task-resources.js";

/**
 * The operator API's RESERVE_RESOURCES (master.proto `Call.ReserveResources {agent_id, source, resources}`), as
 * src/master/http.cpp `reserveResources` and src/master/validation.cpp `operation::validate(Reserve)` do it: every
 * resource must be valid and dynamically reserved (its last reservation DYNAMIC); its amount moves from the pool of
 * the reservations before that one (unreserved for a first reservation, the parent role's for a refinement) to a
 * pool of its own. The master rescinds the agent's offers first; what tasks use cannot be reserved (409 Conflict).
 */

export type ReservePlan = { ok: true; pools: Pool[] } | { ok: false; status: 400 | 409; error: string };

export function planReserve(
  agentPools: readonly Pool[],
  /** What running tasks hold on the agent (offers are rescinded first, so they do not count). */
  used: readonly Pool[],
  resources: readonly unknown[],
): ReservePlan {
  if (resources.length === 0)
    return { ok: false, status: 400, error: "Invalid resources: Resource cannot be empty" };
  // http.cpp `_reserve`: validateAndUpgradeResources' bare text (the call's own validation refuses it first).
  const invalid = resourcesError(resources);
  if (invalid !== undefined) return { ok: false, status: 400, error: invalid };
  const parsed = taskPools(resources);
  if (typeof parsed === "string") return { ok: false, status: 400, error: `Invalid resources: ${parsed}` };
  if (parsed.foreign.length > 0)
    return {
      ok: false,
      status: 400,
      error: `Invalid resources: ${parsed.foreign.join("; ")} cannot be reserved here`,
    };
  for (const pool of parsed.pools) {
    if (pool.reservations.at(-1)?.type !== "DYNAMIC")
      return { ok: false, status: 400, error: `Resource ${formatPools([pool])} is not dynamically reserved` };
  }
  const sources = parsed.pools.map((p) => ({
    reservations: p.reservations.slice(0, -1),
    quantities: p.quantities,
  }));
  const free = subtractPools(agentPools, used);
  if (!poolsContain(free, sources)) {
    return {
      ok: false,
      status: 409,
      error: `Invalid RESERVE Operation: ${formatPools(free)} does not contain ${formatPools(sources)}`,
    };
  }
  return { ok: true, pools: mergePools(subtractPools(agentPools, sources), parsed.pools) };
}

/** The call's `reserve_resources` payload: agent id and resources, or why it cannot be read. */
export function reserveArguments(call: JsonObject): { agentId: string; resources: unknown[] } | string {
  const payload = call.reserve_resources;
  if (!isObject(payload)) return "Expecting 'reserve_resources' to be present";
  const agentId = isObject(payload.agent_id) ? payload.agent_id.value : undefined;
  if (typeof agentId !== "string") return "Expecting 'reserve_resources.agent_id' to be present";
  return { agentId, resources: Array.isArray(payload.resources) ? payload.resources : [] };
}

/** Carries out RESERVE_RESOURCES on the master: rescinds the agent's offers, then moves the amounts; 202 when done. */
export function reserveResources(
  master: LocalMaster,
  call: JsonObject,
): { status: 202 } | { status: 400 | 409; error: string } {
  const args = reserveArguments(call);
  if (typeof args === "string") return { status: 400, error: args };
  const agent = master.agents.get(args.agentId);
  if (agent?.state !== "registered") return { status: 400, error: "No agent found with specified ID" };
  for (const offer of [...master.offers.values()]) if (offer.agentId === agent.id) master.rescindOffer(offer);
  const used: Pool[][] = [];
  for (const f of master.frameworks.values())
    for (const t of f.tasks.values())
      if (t.agentId === agent.id && !isTerminalState(t.state)) used.push(t.pools);
  const plan = planReserve(agent.pools, mergePools(...used), args.resources);
  if (plan.ok) agent.pools = plan.pools;
  master.scheduleAllocation();
  return plan.ok ? { status: 202 } : { status: plan.status, error: plan.error };
}
