import type { FrameworkInfoJson } from "../agent/api.js";
import { isObject, type JsonObject } from "../json.js";
import type { FrameworkCapabilities, FrameworkRecord } from "./model.js";

/* What the master reads from a FrameworkInfo: capabilities and roles; and the copy it hands to agents. */

export function capabilitiesOf(info: JsonObject): FrameworkCapabilities {
  const types = new Set(
    (Array.isArray(info.capabilities) ? info.capabilities : []).map((c) =>
      isObject(c) ? c.type : undefined,
    ),
  );
  return {
    multiRole: types.has("MULTI_ROLE"),
    partitionAware: types.has("PARTITION_AWARE"),
    killingState: types.has("TASK_KILLING_STATE"),
    refinement: types.has("RESERVATION_REFINEMENT"),
    gpuResources: types.has("GPU_RESOURCES"),
  };
}

/** The roles a framework subscribes with, or the error the master sends (as an ERROR event) for a bad combination. */
export function rolesOf(
  info: JsonObject,
  caps: FrameworkCapabilities,
): { roles: string[] } | { error: string } {
  const roles = Array.isArray(info.roles) ? info.roles.filter((r): r is string => typeof r === "string") : [];
  if (caps.multiRole) {
    if (info.role !== undefined)
      return { error: "'FrameworkInfo.role' must not be set when MULTI_ROLE capability is present" };
    return { roles: [...new Set(roles)] };
  }
  if (roles.length > 0)
    return { error: "'FrameworkInfo.roles' must not be set when MULTI_ROLE capability is absent" };
  return { roles: [typeof info.role === "string" ? info.role : "*"] };
}

/** The FrameworkInfo the agent shows in its state (and uses for TASK_KILLING_STATE). */
export function frameworkInfoJson(framework: FrameworkRecord): FrameworkInfoJson {
  const info = framework.info;
  const out: FrameworkInfoJson = {
    user: String(info.user ?? ""),
    name: String(info.name ?? ""),
    id: { value: framework.id },
  };
  if (typeof info.failover_timeout === "number") out.failover_timeout = info.failover_timeout;
  if (typeof info.checkpoint === "boolean") out.checkpoint = info.checkpoint;
  if (typeof info.role === "string") out.role = info.role;
  if (Array.isArray(info.roles)) out.roles = info.roles.filter((r): r is string => typeof r === "string");
  if (typeof info.hostname === "string") out.hostname = info.hostname;
  if (typeof info.principal === "string") out.principal = info.principal;
  if (typeof info.webui_url === "string") out.webui_url = info.webui_url;
  if (Array.isArray(info.capabilities)) {
    out.capabilities = info.capabilities
      .filter(isObject)
      .map((c) => (typeof c.type === "string" ? { type: c.type } : {}));
  }
  if (isObject(info.labels) && Array.isArray(info.labels.labels)) {
    out.labels = {
      labels: info.labels.labels
        .filter(isObject)
        .map((l) => ({ key: String(l.key), ...(l.value !== undefined ? { value: String(l.value) } : {}) })),
    };
  }
  return out;
}
