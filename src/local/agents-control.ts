import type { LocalAgentHandle } from "./agent/api.js";
import type { AddAgentsRequest, LocalCluster } from "./cluster.js";
import { zoneOf } from "./fault-domain.js";
import { isObject, type JsonObject } from "./json.js";
import type { AdminHandler } from "./master/http.js";

/**
 * The agents control endpoint of a running local cluster (POST/GET /__titan_local/agents), behind the cluster's
 * credentials; `titan local agents` is its client (control.ts). It is not part of Mesos.
 *
 *   GET                                   the agents: {agents: [{agent_id, hostname, attributes, zone, region?,
 *                                         resources, state}]}, zone from the fault domain or the attribute
 *   ADD_AGENTS {count, resources: {cpus, mem, disk?, gpus?}, zone?, region?, attributes?}
 *                                         starts `count` agents; answers {agents: [...]} of the new ones
 *   REMOVE_AGENTS {agent_ids}             each agent shuts down for good (its tasks are lost); all ids are checked
 *                                         before any agent is touched
 */

const MAX_ADDED = 100;

export function agentJson(handle: LocalAgentHandle, state: string): JsonObject {
  const r = handle.resources;
  const zone = zoneOf(handle);
  return {
    agent_id: handle.id,
    hostname: handle.hostname,
    attributes: { ...handle.attributes },
    ...(zone === undefined ? {} : { zone }),
    ...(handle.domain === undefined ? {} : { region: handle.domain.region }),
    resources: {
      cpus: r.cpus,
      mem: r.mem,
      disk: r.disk,
      gpus: r.gpus ?? 0,
      ports: r.ports,
      ...(r.disks === undefined ? {} : { disks: r.disks }),
    },
    state,
  };
}

function list(cluster: LocalCluster): JsonObject {
  return {
    agents: cluster.agents().map((h) => {
      const record = cluster.master.agents.get(h.id);
      const state = record?.dead ? "stopped" : (record?.state ?? "gone");
      return agentJson(h, state);
    }),
  };
}

function positive(value: unknown, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`'${name}' must be a number greater than 0`);
  return n;
}

function addRequest(body: JsonObject): AddAgentsRequest {
  const count = Number(body.count);
  if (!Number.isInteger(count) || count < 1 || count > MAX_ADDED)
    throw new Error(`'count' must be a whole number from 1 to ${MAX_ADDED}`);
  const r = isObject(body.resources) ? body.resources : {};
  const disk = Number(r.disk ?? 0);
  const gpus = Number(r.gpus ?? 0);
  if (!Number.isFinite(disk) || disk < 0) throw new Error("'resources.disk' must be a non-negative number");
  if (!Number.isInteger(gpus) || gpus < 0) throw new Error("'resources.gpus' must be a whole number");
  const attributes: Record<string, string> = {};
  if (isObject(body.attributes))
    for (const [k, v] of Object.entries(body.attributes)) if (typeof v === "string") attributes[k] = v;
  if (body.zone !== undefined && (typeof body.zone !== "string" || body.zone === ""))
    throw new Error("'zone' must be a non-empty string");
  if (body.region !== undefined && (typeof body.region !== "string" || body.region === ""))
    throw new Error("'region' must be a non-empty string");
  return {
    count,
    resources: {
      cpus: positive(r.cpus, "resources.cpus"),
      mem: positive(r.mem, "resources.mem"),
      disk,
      gpus,
    },
    ...(typeof body.zone === "string" ? { zone: body.zone } : {}),
    ...(typeof body.region === "string" ? { region: body.region } : {}),
    attributes,
  };
}

function agentIds(body: JsonObject): string[] {
  const ids = Array.isArray(body.agent_ids) ? body.agent_ids : [];
  if (ids.length === 0 || !ids.every((id): id is string => typeof id === "string" && id !== ""))
    throw new Error("'agent_ids' must list at least one agent id");
  return [...new Set(ids)];
}

export function agentsControlHandler(cluster: LocalCluster): AdminHandler {
  return async (method, body) => {
    if (method === "GET") return { status: 200, body: list(cluster) };
    if (method !== "POST") return { status: 405, body: { error: "use GET or POST" } };
    if (!isObject(body)) return { status: 400, body: { error: "expected a JSON object" } };
    try {
      if (body.type === "ADD_AGENTS") {
        const added = await cluster.addAgents(addRequest(body));
        return { status: 200, body: { agents: added.map((h) => agentJson(h, "registered")) } };
      }
      if (body.type === "REMOVE_AGENTS") {
        const ids = agentIds(body);
        await cluster.removeAgents(ids);
        return { status: 200, body: { removed: ids } };
      }
      throw new Error(`unknown type '${String(body.type)}' (ADD_AGENTS or REMOVE_AGENTS)`);
    } catch (error) {
      return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
    }
  };
}
