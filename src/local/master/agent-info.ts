import type { LocalAgentHandle } from "../agent/api.js";
import type { JsonObject } from "../json.js";

/* Pieces of agent information as the master writes them in offers and views. */

/** The agent's HTTP port, from its URL. */
export function agentPort(handle: LocalAgentHandle): number {
  const match = /:(\d+)\/?$/.exec(handle.url);
  return match ? Number(match[1]) : 0;
}

/** Agent attributes as mesos.v1.Attribute TEXT values. */
export function textAttributes(attributes: Readonly<Record<string, string>>): JsonObject[] {
  return Object.entries(attributes).map(([name, value]) => ({ name, type: "TEXT", text: { value } }));
}
