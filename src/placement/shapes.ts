import type { Agent, AgentShape, PortRange, Scalars } from "./types.js";

const DEFAULT_PORTS: readonly PortRange[] = [{ begin: 31000, end: 32000 }];

/**
 * The distinct agent shapes of a cluster: agents grouped by total resources and by the attributes that are the same
 * on all of them (instance_type, say). Attributes that vary inside a shape (zone, rack, hostname-like ones) are
 * listed in `choices`, so that scale-out can pick the value a constraint needs.
 */
export function shapesOf(agents: readonly Agent[]): AgentShape[] {
  const byTotal = new Map<string, Agent[]>();
  for (const agent of agents) {
    const t = agent.total;
    const key = `${t.cpus}/${t.mem}/${t.disk}/${t.gpus}`;
    const list = byTotal.get(key);
    if (list) list.push(agent);
    else byTotal.set(key, [agent]);
  }
  const shapes: AgentShape[] = [];
  for (const members of byTotal.values()) {
    const first = members[0] as Agent;
    const names = new Set(members.flatMap((a) => Object.keys(a.attributes)));
    const attributes: Record<string, string> = {};
    const choices: Record<string, string[]> = {};
    for (const name of [...names].sort()) {
      const values = [...new Set(members.map((a) => a.attributes[name]))];
      if (values.length === 1 && values[0] !== undefined) attributes[name] = values[0];
      else if (!values.includes(undefined)) {
        // Values shared by agents are pools (zones, racks); a value per agent (a serial number) is not a choice.
        const defined = values.filter((v): v is string => v !== undefined).sort();
        if (defined.length < members.length || members.length < 4) choices[name] = defined;
      }
    }
    shapes.push({
      name: shapeName(first.total, attributes),
      total: { ...first.total },
      ports: widestPorts(members),
      attributes,
      choices,
    });
  }
  return shapes.sort(
    (a, b) => a.total.cpus - b.total.cpus || a.total.mem - b.total.mem || (a.name < b.name ? -1 : 1),
  );
}

function widestPorts(members: readonly Agent[]): readonly PortRange[] {
  let best: readonly PortRange[] = [];
  let bestCount = -1;
  for (const agent of members) {
    const count = agent.freePorts.reduce((s, r) => s + (r.end - r.begin + 1), 0);
    if (count > bestCount) {
      best = agent.freePorts;
      bestCount = count;
    }
  }
  return bestCount > 0 ? best.map((r) => ({ ...r })) : DEFAULT_PORTS;
}

function shapeName(total: Scalars, attributes: Readonly<Record<string, string>>): string {
  const type = attributes.instance_type;
  const size = formatShape(total);
  return type ? `${type} (${size})` : size;
}

/** `16cpu,64Gi`, plus disk and gpus when set: the same text `parseShape` reads. */
export function formatShape(total: Scalars): string {
  const parts = [`${total.cpus}cpu`, formatMem(total.mem)];
  if (total.disk > 0) parts.push(`disk=${formatMem(total.disk)}`);
  if (total.gpus > 0) parts.push(`gpus=${total.gpus}`);
  return parts.join(",");
}

/**
 * The shape as `parseShape` reads it back, attributes included (`4cpu,8Gi,disk=20000Mi,zone=b`): what
 * `titan local agents add --shape` takes to carry out scale-out advice. Attributes whose text cannot be written
 * in that form (a comma, `=` or `|` in it) are left out.
 */
export function shapeSpec(shape: AgentShape): string {
  const attributes = Object.entries(shape.attributes)
    .filter(([k, v]) => !/[,=|]/.test(k) && !/[,=|]/.test(v) && v !== "")
    .map(([k, v]) => `${k}=${v}`);
  return [formatShape(shape.total), ...attributes].join(",");
}

function formatMem(mb: number): string {
  if (mb >= 1024 && mb % 1024 === 0) return `${mb / 1024}Gi`;
  return `${mb}Mi`;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  mi: 1,
  mb: 1,
  m: 1,
  gi: 1024,
  gb: 1024,
  g: 1024,
  ti: 1024 * 1024,
  tb: 1024 * 1024,
  t: 1024 * 1024,
};

/**
 * Reads `16cpu,64Gi[,disk=200Gi][,gpus=1][,ports=31000-32000][,zone=us-east-1a]`: cpus and memory first (or as
 * cpus= / mem=), then optional keys; any other key=value becomes an attribute of the new agents, and
 * `key=a|b|c` offers a choice of values (scale-out picks what constraints need, e.g. the zone to add to).
 */
export function parseShape(text: string): AgentShape {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const total: Scalars = { cpus: Number.NaN, mem: Number.NaN, disk: 0, gpus: 0 };
  let ports: PortRange[] = [...DEFAULT_PORTS];
  const attributes: Record<string, string> = {};
  const choices: Record<string, string[]> = {};
  const bad = (why: string): Error =>
    new Error(`invalid shape "${text}": ${why} (expected e.g. 16cpu,64Gi or 8cpu,32Gi,disk=200Gi,gpus=1)`);
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      const cpu = /^(-?\d+(?:\.\d+)?)\s*cpus?$/i.exec(part);
      if (cpu) total.cpus = atLeast("cpus", Number(cpu[1]), String(Number(cpu[1])), "more", bad);
      else total.mem = atLeast("memory", parseSize(part, bad), part, "more", bad);
      continue;
    }
    const key = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (key === "cpus" || key === "cpu")
      total.cpus = atLeast("cpus", parseNumber(value, key, bad), value, "more", bad);
    else if (key === "mem" || key === "memory")
      total.mem = atLeast("memory", parseSize(value, bad), value, "more", bad);
    else if (key === "disk") total.disk = atLeast("disk", parseSize(value, bad), value, "zero", bad);
    else if (key === "gpus" || key === "gpu") {
      total.gpus = atLeast("gpus", parseNumber(value, key, bad), value, "zero", bad);
      if (!Number.isInteger(total.gpus)) throw bad("gpus must be a whole number");
    } else if (key === "ports") ports = parsePorts(value, bad);
    else if (value.length === 0) throw bad(`empty value for ${key}`);
    else if (value.includes("|"))
      choices[part.slice(0, eq).trim()] = value.split("|").filter((v) => v.length > 0);
    else attributes[part.slice(0, eq).trim()] = value;
  }
  if (!(total.cpus > 0)) throw bad("missing cpus");
  if (!(total.mem > 0)) throw bad("missing memory");
  // The name leaves the choices out: scale-out appends the value it picks.
  const name = parts.filter((p) => !p.includes("|")).join(",");
  return { name, total, ports, attributes, choices };
}

function parseNumber(value: string, key: string, bad: (why: string) => Error): number {
  const n = Number(value);
  if (value === "" || !Number.isFinite(n)) throw bad(`${key} must be a number`);
  return n;
}

/** `n`, when an agent can have it: cpus and memory more than 0, disk and gpus at least 0. */
function atLeast(
  what: string,
  n: number,
  written: string,
  least: "more" | "zero",
  bad: (why: string) => Error,
): number {
  if (least === "more" && !(n > 0)) throw bad(`${what} must be more than 0, got ${written}`);
  if (least === "zero" && n < 0) throw bad(`${what} must not be negative, got ${written}`);
  return n;
}

/** A size in MB, its sign kept for `atLeast` to judge. */
function parseSize(text: string, bad: (why: string) => Error): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = m ? SIZE_UNITS[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || factor === undefined) throw bad(`cannot read size "${text}" (use Mi, Gi or Ti)`);
  return Math.round(Number(m[1]) * factor);
}

function parsePorts(text: string, bad: (why: string) => Error): PortRange[] {
  return text.split(/[;\s]+/).map((r) => {
    const m = /^(\d+)-(\d+)$/.exec(r);
    const begin = Number(m?.[1]);
    const end = Number(m?.[2]);
    if (!m || begin > end || end > 65535) throw bad(`bad port range "${r}"`);
    return { begin, end };
  });
}
