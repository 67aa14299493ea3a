import type { DiskInfoJson, LabelsJson, ResourceJson } from "../agent/api.js";
import { roleError } from "../common-validation.js";
import { isObject, type JsonObject } from "../json.js";
import {
  diskSourceText,
  formatPools,
  isStrictSubrole,
  labelsText,
  mergePools,
  type Pool,
  poolsContain,
  reservationsOf,
  reservationText,
  resourcePrefix,
} from "../pools.js";
import { formatRanges, fromResourceJson } from "../resources.js";

/**
 * A task's resources as the master reads them, entry by entry: first checked and upgraded to the
 * post-reservation-refinement format (src/common/resources_utils.cpp `validateAndUpgradeResources`, which runs
 * `Resources::validate` on every resource of a LAUNCH before anything else), then given the offer's allocation
 * role where they carry none (`protobuf::injectAllocationInfo` in master.cpp `Master::accept`), then checked
 * against the offered resources with `Resources::contains` (validation.cpp `validateExecutor`: "Total resources
 * ... is more than available ..."), which matches every resource only with offered resources of the same identity:
 * name, allocation role, reservation stack, disk, revocable, shared, provider (resources.cpp `subtractable`).
 */

/** Labels as a scheduler wrote them, in the form `labelsText` prints (an unset key is ""). */
function rawLabels(labels: unknown): LabelsJson {
  const list = isObject(labels) && Array.isArray(labels.labels) ? labels.labels.filter(isObject) : [];
  return {
    labels: list.map((l) =>
      l.value === undefined
        ? { key: String(l.key ?? "") }
        : { key: String(l.key ?? ""), value: String(l.value) },
    ),
  };
}

/** resources.cpp `operator<<(ReservationInfo)` of a reservation as written: an unset or unknown type is UNKNOWN. */
function rawReservationText(x: JsonObject): string {
  return reservationText({
    type: x.type === "STATIC" || x.type === "DYNAMIC" ? x.type : "UNKNOWN",
    role: String(x.role ?? ""),
    ...(x.principal === undefined ? {} : { principal: String(x.principal) }),
    ...(isObject(x.labels) ? { labels: rawLabels(x.labels) } : {}),
  });
}

/** The text src/common/resources.cpp `operator<<(Resource)` gives a resource as the scheduler wrote it. */
function rawText(r: JsonObject): string {
  const allocation = isObject(r.allocation_info) ? String(r.allocation_info.role ?? "") : undefined;
  const reservations = Array.isArray(r.reservations) ? r.reservations.filter(isObject) : [];
  const prefix = resourcePrefix(String(r.name ?? ""), allocation, reservations.map(rawReservationText), {
    ...(isObject(r.disk) ? { disk: diskText(r.disk) } : {}),
    revocable: r.revocable !== undefined,
    shared: r.shared !== undefined,
  });
  let value = "";
  if (isObject(r.scalar)) value = scalarText(Number(r.scalar.value));
  else if (isObject(r.ranges) && Array.isArray(r.ranges.range))
    value = formatRanges(
      r.ranges.range.filter(isObject).map((x) => ({ begin: Number(x.begin), end: Number(x.end) })),
    );
  else if (isObject(r.set) && Array.isArray(r.set.item)) value = `{${r.set.item.map(String).join(", ")}}`;
  return `${prefix}:${value}`;
}

/**
 * values.cpp `convertToFixed`: `llround(value * 1000)`, halves away from zero; what x86-64 gives for a value no
 * int64 holds (an infinity or NaN too) is LLONG_MIN.
 */
function fixedPoint(value: number): number {
  const scaled = value * 1000;
  if (!(Math.abs(scaled) < 2 ** 63)) return -(2 ** 63);
  return Math.sign(scaled) * Math.round(Math.abs(scaled));
}

/** values.cpp `operator<<(Value::Scalar)`: the fixed-point value, written with 15 significant digits (`%.15g`). */
export function scalarText(value: number): string {
  const fixed = fixedPoint(value);
  const floating = Math.trunc(fixed / 1000) + (fixed % 1000) / 1000;
  if (floating === 0) return "0";
  const [mantissa = "", exponent = "0"] = floating.toExponential(14).split("e");
  const e = Number(exponent);
  const trim = (t: string) => (t.includes(".") ? t.replace(/\.?0+$/, "") : t);
  if (e < -4 || e >= 15)
    return `${trim(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return trim(floating.toFixed(14 - e));
}

/** resources.cpp `operator<<(Resource::DiskInfo)`: the source, the persistence id, then `:` and the volume's path. */
function diskText(disk: JsonObject): string {
  let text = isObject(disk.source) ? diskSourceText(disk.source) : "";
  const persistence = isObject(disk.persistence) ? disk.persistence.id : undefined;
  if (persistence !== undefined) text += `${text === "" ? "" : ","}${String(persistence)}`;
  const volume = isObject(disk.volume) ? disk.volume.container_path : undefined;
  if (volume !== undefined) text += `:${String(volume)}`;
  return text;
}

/** A DiskInfo's MOUNT or PATH source; undefined for none, or for a kind the local cluster's agents never have. */
function sourceOf(disk: JsonObject): DiskInfoJson["source"] | undefined {
  const source = disk.source;
  if (!isObject(source)) return undefined;
  const kind = source.type === "MOUNT" ? source.mount : source.type === "PATH" ? source.path : undefined;
  if (!isObject(kind))
    return source.type === "MOUNT" || source.type === "PATH" ? { type: source.type } : undefined;
  const root = typeof kind.root === "string" ? { root: kind.root } : undefined;
  if (source.type === "MOUNT") return root === undefined ? { type: "MOUNT" } : { type: "MOUNT", mount: root };
  return root === undefined ? { type: "PATH" } : { type: "PATH", path: root };
}

/** The DiskInfo of a disk with a source and nothing else (no volume), the only kind an agent here offers. */
function sourcedDisk(r: JsonObject): DiskInfoJson | undefined {
  const disk = r.disk;
  if (!isObject(disk) || disk.persistence !== undefined || disk.volume !== undefined) return undefined;
  const source = sourceOf(disk);
  return source === undefined ? undefined : { source };
}

function rangesOf(r: JsonObject): Array<{ begin: number; end: number }> {
  const ranges = isObject(r.ranges) && Array.isArray(r.ranges.range) ? r.ranges.range.filter(isObject) : [];
  return ranges.map((x) => ({ begin: Number(x.begin), end: Number(x.end) }));
}

/**
 * Resources::validate's checks of a RANGES value: none inverted, and none starting inside an earlier one (the
 * check is one-sided, so `[5-6, 1-10]` passes and is coalesced).
 */
function rangesError(r: JsonObject): string | undefined {
  const ranges = rangesOf(r);
  for (const [i, range] of ranges.entries()) {
    if (range.begin > range.end) return "Invalid ranges resource: begin > end";
    if (ranges.slice(i + 1).some((later) => range.begin <= later.begin && later.begin <= range.end))
      return "Invalid ranges resource: overlapping ranges";
  }
  return undefined;
}

/** Resources::validate's checks of the value against the type (src/common/resources.cpp). */
function valueError(r: JsonObject): string | undefined {
  const [scalar, ranges, set] = [r.scalar !== undefined, r.ranges !== undefined, r.set !== undefined];
  switch (r.type) {
    case "SCALAR":
      if (!scalar || ranges || set) return "Invalid scalar resource";
      // Negative values, and non-zero ones the fixed-point scalar (three decimals) makes zero, are refused.
      return isObject(r.scalar) && r.scalar.value !== 0 && fixedPoint(Number(r.scalar.value)) <= 0
        ? "Invalid scalar resource: value <= 0"
        : undefined;
    case "RANGES":
      return scalar || !ranges || set ? "Invalid ranges resource" : rangesError(r);
    case "SET": {
      if (scalar || ranges || !set) return "Invalid set resource";
      const items = isObject(r.set) && Array.isArray(r.set.item) ? r.set.item : [];
      return new Set(items).size === items.length ? undefined : "Invalid set resource: duplicated elements";
    }
    default:
      return "Unsupported resource type";
  }
}

/** Resources::validate's sharing rule: only persistent volumes may be shared. */
function sharedError(r: JsonObject): string | undefined {
  if (r.shared === undefined) return undefined;
  if (r.name !== "disk") return `Resource ${String(r.name)} cannot be shared`;
  return isObject(r.disk) && r.disk.persistence !== undefined
    ? undefined
    : "Only persistent volumes can be shared";
}

/**
 * Resources::validate's checks of a DiskInfo: only on a disk, and a BLOCK or RAW source has neither a mount nor a
 * path (what they say is the device's); a source of type UNKNOWN is refused.
 */
function diskError(r: JsonObject): string | undefined {
  if (r.disk === undefined) return undefined;
  if (r.name !== "disk") return `DiskInfo should not be set for ${String(r.name)} resource`;
  const source = isObject(r.disk) ? r.disk.source : undefined;
  if (!isObject(source)) return undefined;
  switch (source.type) {
    case "MOUNT":
    case "PATH":
      return undefined;
    case "BLOCK":
    case "RAW":
      if (source.mount !== undefined) return `Mount should not be set for ${source.type} disk source`;
      if (source.path !== undefined) return `Path should not be set for ${source.type} disk source`;
      return undefined;
    default:
      return `Unsupported 'DiskInfo.Source.Type' in '${diskSourceText(source)}'`;
  }
}

/** Resources::validate (src/common/resources.cpp) for one resource, in its order. */
function resourceError(r: JsonObject): string | undefined {
  if (r.name === "") return "Empty resource name";
  return valueError(r) ?? diskError(r) ?? reservationError(r) ?? sharedError(r);
}

/** type_utils.cpp `operator==(Labels)`: as many labels, each of one found (key and value, unset is "") in the other. */
function sameLabels(a: unknown, b: unknown): boolean {
  const list = (x: unknown) => (isObject(x) && Array.isArray(x.labels) ? x.labels.filter(isObject) : []);
  const [left, right] = [list(a), list(b)];
  const same = (x: JsonObject, y: JsonObject) =>
    String(x.key ?? "") === String(y.key ?? "") && String(x.value ?? "") === String(y.value ?? "");
  return left.length === right.length && left.every((x) => right.some((y) => same(x, y)));
}

/**
 * Resources::validate's rules for the pre-refinement fields (`role`, `reservation`) set beside `reservations`: with
 * one reservation they must agree with it (a STATIC one has no `reservation`; a DYNAMIC one has both fields or
 * neither, and the same principal and labels); with more, neither may be set.
 */
function formatError(r: JsonObject, reservations: readonly JsonObject[]): string | undefined {
  const [only] = reservations;
  if (reservations.length > 1 || only === undefined) {
    if (r.role !== undefined)
      return "Invalid resource format: 'Resource.role' must not be set if there is more than one reservation in 'Resource.reservations'";
    if (r.reservation !== undefined)
      return "Invalid resource format: 'Resource.reservation' must not be set if there is more than one reservation in 'Resource.reservations'";
    return undefined;
  }
  if (r.role !== undefined && r.role !== only.role)
    return `Invalid resource format: 'Resource.role' field with '${String(r.role)}' does not match the role '${String(only.role)}' in 'Resource.reservations'`;
  switch (only.type) {
    case "STATIC":
      return r.reservation === undefined
        ? undefined
        : "Invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC";
    case "DYNAMIC": {
      if ((r.role !== undefined) !== (r.reservation !== undefined))
        return "Invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC";
      if (!isObject(r.reservation)) return undefined;
      const [given, stacked] = [String(r.reservation.principal ?? ""), String(only.principal ?? "")];
      if (given !== stacked)
        return `Invalid resource format: 'Resource.reservation.principal' field with '${given}' does not match the principal '${stacked}' in 'Resource.reservations'`;
      if (!sameLabels(r.reservation.labels, only.labels)) {
        const text = (labels: unknown) => labelsText(rawLabels(labels));
        return `Invalid resource format: 'Resource.reservation.labels' field with '${text(r.reservation.labels)}' does not match the labels '${text(only.labels)}' in 'Resource.reservations'`;
      }
      return undefined;
    }
    default:
      return "Unsupported 'Resource.ReservationInfo.Type'";
  }
}

/** Resources::validate's reservation rules (src/common/resources.cpp), for one resource. */
function reservationError(r: JsonObject): string | undefined {
  const reservations = Array.isArray(r.reservations) ? r.reservations : [];
  if (reservations.length === 0) {
    const role = roleError(typeof r.role === "string" ? r.role : "*");
    if (role !== undefined) return role;
    const reservation = r.reservation;
    if (isObject(reservation)) {
      if (reservation.type !== undefined)
        return "'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field";
      if (reservation.role !== undefined)
        return "'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field";
      if ((r.role ?? "*") === "*") return 'Invalid reservation: role "*" cannot be dynamically reserved';
    }
    return undefined;
  }
  for (const reservation of reservations) {
    if (!isObject(reservation) || reservation.type === undefined)
      return "Invalid reservation: 'Resource.ReservationInfo.type' field must be set.";
    if (reservation.role === undefined)
      return "Invalid reservation: 'Resource.ReservationInfo.role' field must be set.";
    const role = roleError(String(reservation.role));
    if (role !== undefined) return role;
    if (reservation.role === "*") return 'Invalid reservation: role "*" cannot be reserved';
  }
  let ancestor = String((reservations[0] as JsonObject).role);
  for (const reservation of reservations.slice(1) as JsonObject[]) {
    if (reservation.type === "STATIC")
      return "Invalid refined reservation: A refined reservation cannot be STATIC";
    const descendant = String(reservation.role);
    if (!isStrictSubrole(descendant, ancestor))
      return `Invalid refined reservation: role '${descendant}' is not a refinement of '${ancestor}'`;
    ancestor = descendant;
  }
  return formatError(r, reservations as JsonObject[]);
}

/**
 * `validateAndUpgradeResources` for one LAUNCH: the first invalid resource of any of its tasks, as
 * "Resource '<resource>' is invalid: <why>". The master then fails every task of that operation with it.
 */
export function launchResourcesError(tasks: readonly JsonObject[]): string | undefined {
  for (const task of tasks) {
    const error = resourcesError(Array.isArray(task.resources) ? task.resources : []);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** `Resources::validate` of a list: the first invalid resource, as "Resource '<resource>' is invalid: <why>". */
export function resourcesError(resources: readonly unknown[]): string | undefined {
  for (const r of resources) {
    if (!isObject(r)) continue;
    const error = resourceError(r);
    if (error !== undefined) return `Resource '${rawText(r)}' is invalid: ${error}`;
  }
  return undefined;
}

/**
 * The checks master/validation.cpp `resource::validate` makes after `Resources::validate`: `validateGpus` (a whole
 * number of gpus in all), `validateDiskInfo` (a DiskInfo is a persistent volume on reserved resources, or a disk
 * with a source) and `validateDynamicReservationInfo` (nothing revocable is dynamically reserved), with their
 * messages.
 */
export function masterResourceError(resources: readonly unknown[], gpus: number): string | undefined {
  if (Math.trunc(gpus * 1000) % 1000 !== 0)
    return "Invalid 'gpus' resource: The 'gpus' resource must be an unsigned integer";
  for (const r of resources) {
    if (!isObject(r) || !isObject(r.disk)) continue;
    const disk = r.disk;
    let error: string | undefined;
    if (disk.persistence !== undefined) {
      if (r.revocable !== undefined) error = "Persistent volumes cannot be created from revocable resources";
      else if (reservationsOf(r).length === 0)
        error = "Persistent volumes cannot be created from unreserved resources";
      else if (!isObject(disk.volume)) error = "Expecting 'volume' to be set for persistent volume";
      else if (disk.volume.host_path !== undefined)
        error = "Expecting 'host_path' to be unset for persistent volume";
    } else if (disk.volume !== undefined) error = "Non-persistent volume not supported";
    else if (disk.source === undefined) error = "DiskInfo is set but empty";
    if (error !== undefined) return `Invalid DiskInfo: ${error}`;
  }
  for (const r of resources) {
    if (!isObject(r) || r.revocable === undefined) continue;
    // Resources::isDynamicallyReserved of the upgraded resource: its last reservation is DYNAMIC.
    const reservations = reservationsOf(r);
    if (reservations.at(-1)?.type !== "DYNAMIC") continue;
    const upgraded = rawText({ ...r, reservations: reservations.map((x) => ({ ...x })) });
    return `Invalid ReservationInfo: Dynamically reserved resource ${upgraded} cannot be created from revocable resources`;
  }
  return undefined;
}

export interface TaskPools {
  pools: Pool[];
  /** Entries no agent of the local cluster ever offers (volumes, revocable, shared, resource providers). */
  foreign: string[];
}

/** A task's (format-checked) resources grouped by reservation stack, once upgraded. */
export function taskPools(resources: readonly unknown[]): TaskPools | string {
  const pools: Pool[] = [];
  const foreign: string[] = [];
  for (const r of resources) {
    if (!isObject(r)) continue;
    const disk = sourcedDisk(r);
    if (
      (r.disk !== undefined && disk === undefined) ||
      r.revocable !== undefined ||
      r.shared !== undefined ||
      r.provider_id !== undefined
    ) {
      foreign.push(rawText(r));
      continue;
    }
    const parsed = fromResourceJson([r]);
    if (!parsed.ok) return parsed.error;
    const pool: Pool = { reservations: reservationsOf(r), quantities: parsed.quantities };
    if (disk !== undefined) pool.disk = disk;
    pools.push(pool);
  }
  return { pools: mergePools(pools), foreign };
}

/** Resources::contains of the offered pools (all allocated to `role`) over the task's. */
export function offeredContains(offered: readonly Pool[], task: TaskPools): boolean {
  return task.foreign.length === 0 && poolsContain(offered, task.pools);
}

/**
 * "Total resources <task> required by task and its executor is more than available <offered>": the offered
 * resources are allocated to `role`, the task's to `taskRole` (the same, unless the scheduler named another).
 */
export function moreThanAvailable(
  task: TaskPools,
  offered: readonly Pool[],
  role: string,
  taskRole: string = role,
): string {
  const taskText = [formatPools(task.pools.map((p) => ({ ...p, allocationRole: taskRole }))), ...task.foreign]
    .filter((t) => t !== "{}")
    .join("; ");
  const offeredText = formatPools(offered.map((p) => ({ ...p, allocationRole: role })));
  return `Total resources ${taskText} required by task and its executor is more than available ${offeredText}`;
}

/** The task's resources as launched: the offer's allocation role filled in where the scheduler left it out. */
export function withAllocation(resources: readonly unknown[], role: string): ResourceJson[] {
  return resources.filter(isObject).map((r) => {
    const copy = { ...(r as unknown as ResourceJson) };
    if (copy.allocation_info === undefined) copy.allocation_info = { role };
    return copy;
  });
}

/** An entry the master's `Resources` drops on construction: a zero scalar, no ranges, no set items. */
function isEmptyEntry(r: JsonObject): boolean {
  if (r.type === "SCALAR") return isObject(r.scalar) && Number(r.scalar.value) === 0;
  if (r.type === "RANGES")
    return !isObject(r.ranges) || !Array.isArray(r.ranges.range) || r.ranges.range.length === 0;
  if (r.type === "SET") return !isObject(r.set) || !Array.isArray(r.set.item) || r.set.item.length === 0;
  return false;
}

/**
 * validation.cpp `resource::validateUniquePersistenceID`: two persistent volumes of a task may not share an id
 * within one role (the role of their last reservation). Identical shared volumes are one entry to the master's
 * `Resources` (they add up), so only distinct ones can clash.
 */
export function duplicatePersistenceIdError(resources: readonly unknown[]): string | undefined {
  const seen = new Map<string, Set<string>>();
  const sharedSeen = new Set<string>();
  for (const r of resources) {
    if (!isObject(r) || !isObject(r.disk) || !isObject(r.disk.persistence)) continue;
    if (r.shared !== undefined) {
      const text = JSON.stringify(r);
      if (sharedSeen.has(text)) continue;
      sharedSeen.add(text);
    }
    const role = reservationsOf(r).at(-1)?.role ?? "*";
    const id = typeof r.disk.persistence.id === "string" ? r.disk.persistence.id : "";
    const ids = seen.get(role) ?? new Set<string>();
    if (ids.has(id)) return `Persistence ID '${id}' is not unique`;
    ids.add(id);
    seen.set(role, ids);
  }
  return undefined;
}

/**
 * validation.cpp `resource::validateRevocableAndNonRevocableResources`: a resource name is all revocable or not at
 * all, checked name by name in sorted order (`Resources::names` is a std::set), empty entries left out.
 */
export function revocableMixError(resources: readonly unknown[]): string | undefined {
  const kinds = new Map<string, Set<boolean>>();
  for (const r of resources) {
    if (!isObject(r) || isEmptyEntry(r)) continue;
    const name = typeof r.name === "string" ? r.name : "";
    const set = kinds.get(name) ?? new Set<boolean>();
    set.add(r.revocable !== undefined);
    kinds.set(name, set);
  }
  for (const name of [...kinds.keys()].sort())
    if (kinds.get(name)?.size === 2)
      return `Cannot use both revocable and non-revocable '${name}' at the same time`;
  return undefined;
}
