import type { FrameworkInfoJson } from "../agent/api.js";
import { roleError, validateId } from "../common-validation.js";
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
    regionAware: types.has("REGION_AWARE"),
  };
}

/**
 * The roles a framework subscribes with (protobuf::framework::getRoles), or why the master refuses its FrameworkInfo:
 * src/master/validation.cpp `framework::validate` (the role fields, duplicate and invalid roles, the framework id,
 * offer filters, the failover timeout) and then, as Master::validateFramework ends, a framework already removed.
 * The master sends the message as an ERROR event (SUBSCRIBE) or in a 400 answer (UPDATE_FRAMEWORK).
 */
export function rolesOf(
  info: JsonObject,
  caps: FrameworkCapabilities,
  isRemoved: (frameworkId: string) => boolean = () => false,
): { roles: string[] } | { error: string } {
  const roles = Array.isArray(info.roles) ? info.roles.filter((r): r is string => typeof r === "string") : [];
  if (caps.multiRole && info.role !== undefined)
    return { error: "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable" };
  if (!caps.multiRole && roles.length > 0)
    return { error: "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable" };
  if (caps.multiRole) {
    const duplicates = [...new Set(roles.filter((role, i) => roles.indexOf(role) !== i))];
    if (duplicates.length > 0)
      return { error: `'FrameworkInfo.roles' contains duplicate items: ${stringifySet(duplicates)}` };
    for (const role of roles) {
      const error = roleError(role);
      if (error !== undefined) return { error: `'FrameworkInfo.roles' contains invalid role: ${error}` };
    }
  } else {
    const error = roleError(typeof info.role === "string" ? info.role : "*");
    if (error !== undefined) return { error: `'FrameworkInfo.role' is not a valid role: ${error}` };
  }
  const id = isObject(info.id) && typeof info.id.value === "string" ? info.id.value : "";
  if (id !== "") {
    const error = validateId(id);
    if (error !== undefined) return { error };
  }
  const filtersError = offerFiltersError(info.offer_filters);
  if (filtersError !== undefined) return { error: filtersError };
  const failover = typeof info.failover_timeout === "number" ? info.failover_timeout : 0;
  // stout's Duration::create: seconds whose nanoseconds overflow an int64 (NaN compares false and passes).
  if (Math.abs(failover * 1e9) > 2 ** 63)
    return { error: `The framework failover_timeout (${streamedDouble(failover)}) is invalid` };
  if (id !== "" && isRemoved(id)) return { error: "Framework has been removed" };
  return { roles: caps.multiRole ? roles : [typeof info.role === "string" ? info.role : "*"] };
}

/** common/validation.cpp validateOfferFilters, for every role's filters. */
function offerFiltersError(filters: unknown): string | undefined {
  if (!isObject(filters)) return undefined;
  for (const perRole of Object.values(filters)) {
    const minimum = isObject(perRole) ? perRole.min_allocatable_resources : undefined;
    const list = isObject(minimum) && Array.isArray(minimum.quantities) ? minimum.quantities : [];
    for (const entry of list) {
      const quantities = isObject(entry) && isObject(entry.quantities) ? entry.quantities : {};
      if (Object.keys(quantities).length === 0)
        return "Resource quantities must contain at least one quantity";
      for (const [name, scalar] of Object.entries(quantities)) {
        const value = isObject(scalar) && typeof scalar.value === "number" ? scalar.value : 0;
        const error = inputScalarError(value);
        if (error !== undefined) return `Invalid resource quantity for '${name}': ${error}`;
      }
    }
  }
  return undefined;
}

/** common/validation.cpp validateInputScalarValue. */
function inputScalarError(value: number): string | undefined {
  if (Number.isNaN(value)) return "NaN not supported";
  if (!Number.isFinite(value)) return "Infinite values not supported";
  if (value !== 0 && Math.abs(value) < 2.2250738585072014e-308) return "Subnormal values not supported";
  if (value < 0) return "Negative values not supported";
  return undefined;
}

/**
 * createAllocatorFrameworkOptions in master.cpp: suppressed roles and offer constraints may name only the
 * framework's roles. The error a master sends for a SUBSCRIBE (and, prefixed, for an UPDATE_FRAMEWORK).
 */
export function allocatorOptionsError(roles: readonly string[], subscribe: JsonObject): string | undefined {
  const outside = [...suppressedRolesOf(subscribe)].filter((role) => !roles.includes(role));
  if (outside.length > 0)
    return `Suppressed roles ${stringifySet(outside)} are not contained in the set of roles`;
  const constraints = isObject(subscribe.offer_constraints)
    ? subscribe.offer_constraints.role_constraints
    : undefined;
  for (const role of Object.keys(isObject(constraints) ? constraints : {})) {
    // The missing space is Mesos' own (validation.cpp validateOfferConstraintsRoles).
    if (!roles.includes(role))
      return `Offer constraints specify \`role_constraints\` for a role '${role}'not contained in the set of roles`;
  }
  return undefined;
}

/** The roles a SUBSCRIBE or UPDATE_FRAMEWORK call suppresses. */
export function suppressedRolesOf(call: JsonObject): Set<string> {
  const roles = Array.isArray(call.suppressed_roles) ? call.suppressed_roles : [];
  return new Set(roles.filter((r): r is string => typeof r === "string"));
}

/**
 * validation.cpp framework::validateUpdate: what a framework may not change of its FrameworkInfo once subscribed
 * (the principal, the user, checkpointing).
 */
export function frameworkUpdateError(before: JsonObject, after: JsonObject): string | undefined {
  if ((before.principal ?? undefined) !== (after.principal ?? undefined))
    return "Changing framework's principal is not allowed.";
  if (String(before.user ?? "") !== String(after.user ?? ""))
    return `Updating 'FrameworkInfo.user' is unsupported; attempted to update from '${String(before.user ?? "")}' to '${String(after.user ?? "")}'`;
  const checkpoint = (info: JsonObject) => (info.checkpoint === true ? "true" : "false");
  if (checkpoint(before) !== checkpoint(after))
    return `Updating 'FrameworkInfo.checkpoint' is unsupported; attempted to update from '${checkpoint(before)}' to '${checkpoint(after)}'`;
  return undefined;
}

/** stout's stringify of a std::set or hashset of strings: `{ a, b }` (sorted here, as std::set keeps it). */
function stringifySet(items: readonly string[]): string {
  return `{ ${[...items].sort().join(", ")} }`;
}

/** A double as `std::ostream <<` writes it by default (six significant digits, `%g`-style): 1e+10, 0.5, inf. */
export function streamedDouble(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(6)))));
  if (exponent < -4 || exponent >= 6) {
    const [mantissa = "", power = "0"] = n.toExponential(5).split("e");
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    const sign = power.startsWith("-") ? "-" : "+";
    return `${trimmed}e${sign}${power.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  const fixed = n.toFixed(Math.max(0, 5 - exponent));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
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
