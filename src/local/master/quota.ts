import { roleError } from "../common-validation.js";
import { isObject, type JsonObject } from "../json.js";
import { inRoleSubtree, type Pool, poolRole } from "../pools.js";
import { emptyQuantities, type Quantities, SCALAR_NAMES } from "../resources.js";
import { scalarText } from "./task-resources.js";

/**
 * Quota as a 1.12 master keeps it (src/master/quota_handler.cpp, src/master/quota.cpp): per top-level role,
 * guarantees and limits of scalar resources, set by `UPDATE_QUOTA` and read by `GET_QUOTA`; the allocator honours
 * both (quota-allowance.ts).
 */

/** Name → amount; a name left out has no limit (or no guarantee). */
export type ScalarMap = Readonly<Record<string, number>>;

export interface Quota {
  guarantees: ScalarMap;
  limits: ScalarMap;
}

export const QUOTA_CALLS: ReadonlySet<string> = new Set(["GET_QUOTA", "UPDATE_QUOTA"]);

export type QuotaAnswer = { status: 200; body?: JsonObject } | { status: 400; error: string };

/** What the master knows that a quota update is checked against. */
export interface QuotaContext {
  /** The role's consumed quota (`RoleResourceBreakdown::consumedQuota`). */
  consumedOf(role: string): Quantities;
  /** The scalar resources of every registered agent. */
  capacity: Quantities;
}

export class QuotaBook {
  private readonly quotas = new Map<string, Quota>();

  /** The quotas that bound something: an empty one is the allocator's DEFAULT_QUOTA, no quota at all. */
  *entries(): IterableIterator<[string, Quota]> {
    for (const [role, quota] of this.quotas) if (!isEmpty(quota)) yield [role, quota];
  }

  /**
   * A master failover recovers quota from the registry, where quota.cpp `UpdateQuota::perform` erased the empty
   * ones: until then GET_QUOTA lists them.
   */
  failover(): void {
    for (const [role, quota] of [...this.quotas]) if (isEmpty(quota)) this.quotas.delete(role);
  }

  /**
   * `GET_QUOTA`'s QuotaStatus (quota_handler.cpp `QuotaHandler::status`): the legacy `infos` (role and guarantees as
   * Resources) beside `configs`. Empty repeated fields are left out, as stout's JSON writer leaves them out: a
   * master without quota answers `{}`, and a quota without guarantees has an info with no `guarantee`.
   */
  status(): JsonObject {
    const quotas = [...this.quotas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (quotas.length === 0) return {};
    return {
      infos: quotas.map(([role, q]) => {
        const info: JsonObject = { role };
        const guarantee = Object.entries(q.guarantees).map(([name, value]) => ({
          name,
          type: "SCALAR",
          scalar: { value },
        }));
        if (guarantee.length > 0) info.guarantee = guarantee;
        return info;
      }),
      configs: quotas.map(([role, q]) => {
        const config: JsonObject = { role };
        if (Object.keys(q.guarantees).length > 0) config.guarantees = scalarJson(q.guarantees);
        if (Object.keys(q.limits).length > 0) config.limits = scalarJson(q.limits);
        return config;
      }),
    };
  }

  /**
   * `UPDATE_QUOTA`: every config checked first, then all applied. A config with neither map leaves the role an empty
   * quota, which bounds nothing but GET_QUOTA still lists (quota_handler.cpp `_update` sets
   * `master->quotas[role] = Quota(config)` whatever it is).
   */
  update(call: JsonObject, context: QuotaContext): QuotaAnswer {
    const force = call.force === true;
    const configs = (Array.isArray(call.quota_configs) ? call.quota_configs : []).filter(isObject);
    const parsed: Array<[string, Quota]> = [];
    for (const config of configs) {
      const role = typeof config.role === "string" ? config.role : "";
      if (role.includes("/"))
        return { status: 400, error: `Updating quota on nested role '${role}' is not supported yet` };
      const quota = { guarantees: scalarsOf(config.guarantees), limits: scalarsOf(config.limits) };
      const error = configError(role, quota);
      if (error !== undefined) return { status: 400, error: `Invalid QuotaConfig: ${error}` };
      parsed.push([role, { ...quota, guarantees: withoutZeros(quota.guarantees) }]);
    }
    for (const [role, quota] of parsed) {
      const consumed = context.consumedOf(role);
      if (!force && !limitsContain(quota.limits, consumed))
        return {
          status: 400,
          error: `Invalid QuotaConfig: Role '${role}' is already consuming '${quantitiesText(consumed)}'; this is more than the requested limits '${mapText(quota.limits)}' (use 'force' flag to bypass this check)`,
        };
    }
    const after = new Map(this.quotas);
    for (const [role, quota] of parsed) after.set(role, quota);
    const guarantees = emptyQuantities();
    for (const quota of after.values())
      for (const name of SCALAR_NAMES) guarantees[name] += quota.guarantees[name] ?? 0;
    if (!force && SCALAR_NAMES.some((name) => guarantees[name] > context.capacity[name]))
      return {
        status: 400,
        error: `Invalid QuotaConfig: total quota guarantees '${quantitiesText(guarantees)}' exceed cluster capacity '${quantitiesText(context.capacity)}' (use 'force' flag to bypass this check)`,
      };
    for (const [role, quota] of parsed) this.quotas.set(role, quota);
    return { status: 200 };
  }
}

function isEmpty(quota: Quota): boolean {
  return Object.keys(quota.guarantees).length === 0 && Object.keys(quota.limits).length === 0;
}

/**
 * `Quota(QuotaConfig)` keeps guarantees as ResourceQuantities, whose `add` ignores a zero, and Value::Scalar's
 * `==` compares in fixed point (three decimals): a guarantee that rounds to zero is none. Limits keep theirs.
 */
function withoutZeros(map: ScalarMap): ScalarMap {
  return Object.fromEntries(Object.entries(map).filter(([, value]) => Math.round(value * 1000) !== 0));
}

/** src/master/quota.cpp `validate(QuotaConfig)`, in its order. */
function configError(role: string, quota: Quota): string | undefined {
  if (role === "") return "'QuotaConfig.role' must be set";
  const invalidRole = roleError(role);
  if (invalidRole !== undefined) return `Invalid 'QuotaConfig.role': ${invalidRole}`;
  for (const [kind, map] of [
    ["guarantees", quota.guarantees],
    ["limits", quota.limits],
  ] as const) {
    const tooLarge = tooLargeError(map);
    if (tooLarge !== undefined) return `Invalid 'QuotaConfig.${kind}': ${tooLarge}`;
  }
  for (const [kind, map] of [
    ["guarantee", quota.guarantees],
    ["limit", quota.limits],
  ] as const) {
    for (const [name, value] of Object.entries(map)) {
      const problem = scalarValueError(value);
      if (problem !== undefined)
        return `Invalid ${kind} configuration {'${name}': ${scalarText(value)}}: ${problem}`;
    }
  }
  const over = Object.entries(quota.guarantees).some(
    ([name, value]) => quota.limits[name] !== undefined && value > (quota.limits[name] as number),
  );
  if (over)
    return `'QuotaConfig.guarantees' ${protoMapText(quota.guarantees)} is not contained within the 'QuotaConfig.limits' ${protoMapText(quota.limits)}`;
  return undefined;
}

/**
 * quota.cpp `validate(QuotaConfig)`, before any other check of the values (force lifts none of it): what the
 * fixed point of Value::Scalar could not hold, mem and disk above 1 exabyte in megabytes, anything else above
 * 1 trillion. An infinity is above both; the value is written as values.cpp `operator<<(Value::Scalar)` writes it.
 */
function tooLargeError(map: ScalarMap): string | undefined {
  for (const [name, value] of Object.entries(map)) {
    const bytes = name === "mem" || name === "disk";
    const bound = bytes ? EXABYTE_IN_MEGABYTES : ONE_TRILLION;
    if (value > bound)
      return `{'${name}': ${scalarText(value)}} is invalid: values greater than ${bytes ? "1 exabyte" : "1 trillion"} (${bound}) are not supported`;
  }
  return undefined;
}

const EXABYTE_IN_MEGABYTES = 1024 ** 4;
const ONE_TRILLION = 1000 ** 4;

/** src/common/validation.cpp `validateInputScalarValue`. */
function scalarValueError(value: number): string | undefined {
  if (Number.isNaN(value)) return "NaN not supported";
  if (!Number.isFinite(value)) return "Infinite values not supported";
  if (value !== 0 && Math.abs(value) < Number.MIN_VALUE * 2 ** 52) return "Subnormal values not supported";
  if (value < 0) return "Negative values not supported";
  return undefined;
}

function scalarsOf(map: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(map)) return out;
  for (const [name, scalar] of Object.entries(map))
    out[name] = Number(isObject(scalar) ? scalar.value : Number.NaN);
  return out;
}

function scalarJson(map: ScalarMap): JsonObject {
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, { value }]));
}

/** `ResourceLimits::contains`: every limited quantity at most its limit (names without a limit are unlimited). */
function limitsContain(limits: ScalarMap, quantities: Quantities): boolean {
  return SCALAR_NAMES.every(
    (name) => limits[name] === undefined || quantities[name] <= (limits[name] as number),
  );
}

/**
 * `cpus:1; mem:128`, as resource_quantities.cpp prints quantities (sorted by name, zeros left out), each value as
 * values.cpp prints a Value::Scalar (three decimals, 15 significant digits).
 */
function quantitiesText(q: Quantities): string {
  const parts = [...SCALAR_NAMES]
    .sort()
    .filter((name) => q[name] > 0)
    .map((name) => `${name}:${scalarText(q[name])}`);
  return parts.length === 0 ? "{}" : parts.join("; ");
}

/**
 * The protobuf map as include/mesos/type_utils.hpp `operator<<(Map)` prints it, each value as values.cpp prints a
 * Value::Scalar: `{ cpus: 2, mem: 64 }`, `{  }` when empty.
 */
function protoMapText(map: ScalarMap): string {
  return `{ ${Object.entries(map)
    .map(([name, value]) => `${name}: ${scalarText(value)}`)
    .join(", ")} }`;
}

function mapText(map: ScalarMap): string {
  const parts = Object.keys(map)
    .sort()
    .map((name) => `${name}:${scalarText(map[name] as number)}`);
  return parts.length === 0 ? "{}" : parts.join("; ");
}

/**
 * `RoleResourceBreakdown::consumedQuota` (master.cpp): the scalar resources allocated to the role's subtree (tasks
 * with what they use, `held`), plus the part of every reservation to that subtree nothing uses.
 */
export function consumedQuota(
  role: string,
  agentPools: ReadonlyArray<readonly Pool[]>,
  held: ReadonlyArray<{ role: string; pools: readonly Pool[] }>,
): Quantities {
  const consumed = emptyQuantities();
  const addScalars = (pool: Pool, sign: 1 | -1) => {
    for (const name of SCALAR_NAMES) consumed[name] += sign * pool.quantities[name];
  };
  for (const pools of agentPools)
    for (const pool of pools) if (reservedInSubtree(pool, role)) addScalars(pool, 1);
  for (const h of held) {
    if (!inRoleSubtree(h.role, role)) continue;
    for (const pool of h.pools) if (!reservedInSubtree(pool, role)) addScalars(pool, 1);
  }
  for (const name of SCALAR_NAMES) consumed[name] = Math.round(consumed[name] * 1000) / 1000;
  return consumed;
}

function reservedInSubtree(pool: Pool, role: string): boolean {
  return pool.reservations.length > 0 && inRoleSubtree(poolRole(pool), role);
}
