import type { AgentResources, DiskSourceJson, RangeJson, SourcedDisk } from "./agent/api.js";
import { roleError } from "./common-validation.js";
import { isObject, type JsonObject } from "./json.js";
import { normalizeRanges, parseResourceSpec, SCALAR_NAMES } from "./resources.js";

type Parsed = { ok: true; resources: AgentResources } | { ok: false; error: string };

/** An agent's `--resources` in either of Mesos' forms: a JSON array, else the `name:value;…` text. */
export function parseAgentResourcesFlag(spec: string): Parsed {
  return isJsonForm(spec) ? parseResourceJsonSpec(spec) : parseResourceSpec(spec);
}

function isJsonForm(spec: string): boolean {
  return spec.trim().startsWith("[");
}

/** The resource names an agent's `--resources` gives (of a spec `parseAgentResourcesFlag` accepts). */
export function givenResourceNames(spec: string): Set<string> {
  if (isJsonForm(spec)) {
    const list: unknown = JSON.parse(spec);
    return new Set(
      (Array.isArray(list) ? list : []).flatMap((item) =>
        isObject(item) && typeof item.name === "string" ? [item.name] : [],
      ),
    );
  }
  return new Set(
    spec
      .split(";")
      .map((part) => part.split(":")[0]?.replace(/\(.*$/, "").trim() ?? "")
      .filter((name) => name !== ""),
  );
}

/**
 * An agent's `--resources` in Mesos' JSON form: an array of mesos.v1.Resource objects, which `Resources::parse`
 * (src/common/resources.cpp) reads before trying the `name:value` text. It is the only form that can declare a
 * disk with a source (`disk.source` MOUNT or PATH with a root), as operators give a dedicated mount to an agent.
 * Amounts of one name and role add up; a role other than `*`, or one STATIC reservation, reserves them.
 */
function parseResourceJsonSpec(spec: string): Parsed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch (error) {
    return { ok: false, error: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!Array.isArray(parsed)) return { ok: false, error: "the JSON form is an array of Resource objects" };
  const resources: AgentResources = { cpus: 0, mem: 0, disk: 0, ports: [] };
  for (const [index, item] of parsed.entries()) {
    const error = isObject(item) ? addResource(resources, item) : "is not a Resource object";
    if (error !== undefined) return { ok: false, error: `resource ${index + 1}: ${error}` };
  }
  return { ok: true, resources };
}

function addResource(resources: AgentResources, item: JsonObject): string | undefined {
  const name = item.name;
  if (typeof name !== "string" || name === "") return 'needs a "name"';
  const role = reservedRole(item);
  if (typeof role === "object") return role.error;
  if (name === "ports") {
    if (item.type !== "RANGES") return 'ports needs "type": "RANGES"';
    if (role !== undefined) return "only cpus, mem, disk and gpus can be reserved";
    const ranges = rangesOf(item.ranges);
    if (typeof ranges === "string") return ranges;
    resources.ports = normalizeRanges([...resources.ports, ...ranges]);
    return undefined;
  }
  if (!(SCALAR_NAMES as readonly string[]).includes(name))
    return `unknown resource '${name}' (known: cpus, mem, disk, gpus, ports)`;
  const scalarName = name as (typeof SCALAR_NAMES)[number];
  const value = isObject(item.scalar) ? item.scalar.value : undefined;
  if (item.type !== "SCALAR" || typeof value !== "number" || !Number.isFinite(value) || value < 0)
    return `${name} needs "type": "SCALAR" and a "scalar" of a non-negative "value"`;
  if (item.disk !== undefined) {
    if (name !== "disk") return `DiskInfo should not be set for ${name} resource`;
    const disk = sourcedDisk(item.disk, value, role);
    if (typeof disk === "string") return disk;
    resources.disks = [...(resources.disks ?? []), disk];
    return undefined;
  }
  if (role === undefined) {
    resources[scalarName] = (resources[scalarName] ?? 0) + value;
    return undefined;
  }
  const byRole = resources.reserved ?? {};
  const reserved = byRole[role] ?? { cpus: 0, mem: 0, disk: 0 };
  reserved[scalarName] = (reserved[scalarName] ?? 0) + value;
  byRole[role] = reserved;
  resources.reserved = byRole;
  return undefined;
}

/** The role an entry is statically reserved to: its `role`, or its one STATIC `reservations` entry; `*` is none. */
function reservedRole(item: JsonObject): string | undefined | { error: string } {
  const stack = Array.isArray(item.reservations) ? item.reservations : [];
  if (stack.length > 1 || stack.some((r) => !isObject(r) || r.type !== "STATIC"))
    return { error: "an agent reserves statically, to one role (dynamic reservations are made by RESERVE)" };
  const first = stack[0];
  const role = isObject(first) ? first.role : (item.role ?? "*");
  if (typeof role !== "string") return { error: '"role" must be a string' };
  const invalid = roleError(role);
  if (invalid !== undefined) return { error: invalid };
  return role === "*" ? undefined : role;
}

function rangesOf(value: unknown): RangeJson[] | string {
  const list = isObject(value) && Array.isArray(value.range) ? value.range : undefined;
  if (list === undefined) return 'ports needs "ranges": {"range": [{"begin": …, "end": …}]}';
  const ranges: RangeJson[] = [];
  for (const r of list) {
    const begin = isObject(r) ? r.begin : undefined;
    const end = isObject(r) ? r.end : undefined;
    if (typeof begin !== "number" || typeof end !== "number" || begin > end || end > 65535 || begin < 0)
      return "ports ranges need a begin and an end from 0 to 65535, begin first";
    ranges.push({ begin, end });
  }
  return ranges;
}

/**
 * A MOUNT or PATH disk. A real agent refuses to start without the source's root ("MOUNT disk root directory is not
 * specified", src/slave/slave.cpp), creates a PATH root and needs a MOUNT root in its mount table; the local
 * cluster's agents write no data to it, so the root is only checked to be an absolute path.
 */
function sourcedDisk(disk: unknown, size: number, role: string | undefined): SourcedDisk | string {
  if (!isObject(disk)) return '"disk" must be a DiskInfo object';
  if (disk.persistence !== undefined || disk.volume !== undefined)
    return "persistent volumes are made with CREATE, not declared by an agent";
  const source = disk.source;
  if (!isObject(source)) return 'a disk of the local cluster needs a "source" (MOUNT or PATH)';
  const type = source.type;
  if (type !== "MOUNT" && type !== "PATH")
    return `a ${String(type)} disk comes from a resource provider, which the local cluster does not run; use MOUNT or PATH`;
  const holder = type === "MOUNT" ? source.mount : source.path;
  const root = isObject(holder) ? holder.root : undefined;
  if (typeof root !== "string" || root === "") return `${type} disk root directory is not specified`;
  if (!root.startsWith("/")) return `${type} disk root '${root}' must be an absolute path`;
  const sourceJson: DiskSourceJson = type === "MOUNT" ? { type, mount: { root } } : { type, path: { root } };
  return { source: sourceJson, size, ...(role === undefined ? {} : { role }) };
}
