import type {
  Agent,
  Constraint,
  PlacementInput,
  PlacementResult,
  RunningTask,
  TaskRequest,
} from "../../src/placement/types.js";

/** Independent checks of a placement result against its input: the properties every result must have. */

function attributeValue(a: Agent, attribute: string): string | undefined {
  return attribute === "hostname" ? a.hostname : a.attributes[attribute];
}

function fullMatch(pattern: string, v: string | undefined): boolean {
  return v !== undefined && new RegExp(`^(?:${pattern})$`).test(v);
}

export function attributeAllows(a: Agent, c: Constraint): boolean {
  if (c.kind !== "attribute") return true;
  const v = attributeValue(a, c.attribute);
  if (c.op === "equals") return v === c.value;
  if (c.op === "like") return fullMatch(c.value, v);
  return !fullMatch(c.value, v);
}

/** Free resources left on each agent after the placements (may go negative if the engine over-commits). */
export function leftovers(
  input: PlacementInput,
  result: PlacementResult,
): Map<string, { cpus: number; mem: number; disk: number; gpus: number; ports: number }> {
  const requestOf = new Map(input.requests.map((r) => [`${r.app}/${r.instance}`, r]));
  const left = new Map(
    input.agents.map((a) => [
      a.id,
      { ...a.free, ports: a.freePorts.reduce((s, r) => s + r.end - r.begin + 1, 0) },
    ]),
  );
  for (const p of result.placements) {
    const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
    const l = left.get(p.agentId);
    if (!l) throw new Error(`placement on unknown agent ${p.agentId}`);
    l.cpus -= r.demand.cpus;
    l.mem -= r.demand.mem;
    l.disk -= r.demand.disk;
    l.gpus -= r.demand.gpus;
    l.ports -= r.ports.length;
  }
  return left;
}

/** Every violated property, as text; empty when the result is sound. */
export function violations(input: PlacementInput, result: PlacementResult): string[] {
  const out: string[] = [];
  const agentById = new Map(input.agents.map((a) => [a.id, a]));
  const requestOf = new Map(input.requests.map((r) => [`${r.app}/${r.instance}`, r]));
  for (const [id, l] of leftovers(input, result)) {
    if (l.cpus < -1e-6 || l.mem < -1e-6 || l.disk < -1e-6 || l.gpus < -1e-6 || l.ports < 0)
      out.push(`agent ${id} over-committed: ${JSON.stringify(l)}`);
  }
  const portsTaken = new Set<string>();
  for (const p of result.placements) {
    const a = agentById.get(p.agentId) as Agent;
    const r = requestOf.get(`${p.app}/${p.instance}`) as TaskRequest;
    if (Object.keys(p.ports).sort().join() !== [...r.ports].sort().join())
      out.push(`${p.app}/${p.instance} port names differ`);
    for (const port of Object.values(p.ports)) {
      const key = `${p.agentId}:${port}`;
      if (portsTaken.has(key)) out.push(`port ${key} handed out twice`);
      portsTaken.add(key);
      if (!a.freePorts.some((range) => port >= range.begin && port <= range.end))
        out.push(`port ${key} not free`);
    }
    for (const c of r.constraints)
      if (!attributeAllows(a, c)) out.push(`${p.app}/${p.instance} breaks ${JSON.stringify(c)}`);
  }
  // unique / max_per, counting running instances.
  const apps = new Set(input.requests.map((r) => r.app));
  for (const app of apps) {
    const constraints = input.requests.find((r) => r.app === app)?.constraints ?? [];
    const where = [
      ...input.running.filter((t) => t.app === app).map((t) => t.agentId),
      ...result.placements.filter((p) => p.app === app).map((p) => p.agentId),
    ];
    for (const c of constraints) {
      if (c.kind !== "unique" && c.kind !== "max_per" && !(c.kind === "balance" && c.hard)) continue;
      const counts = new Map<string, number>();
      for (const id of where) {
        const v = attributeValue(agentById.get(id) as Agent, c.attribute);
        if (v === undefined) {
          if (c.kind !== "balance" || result.placements.some((p) => p.agentId === id && p.app === app))
            out.push(`${app} on ${id} lacks ${c.attribute}`);
          continue;
        }
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const max = c.kind === "unique" ? 1 : c.kind === "max_per" ? c.count : Number.POSITIVE_INFINITY;
      for (const [v, n] of counts)
        if (n > max) out.push(`${app}: ${n} on ${c.attribute}=${v} breaks ${c.kind}`);
      if (c.kind === "balance") {
        const domain = new Set(
          input.agents
            .filter((a) => constraints.every((x) => attributeAllows(a, x)))
            .map((a) => attributeValue(a, c.attribute))
            .filter((v): v is string => v !== undefined),
        );
        const perValue = [...domain].map((v) => counts.get(v) ?? 0);
        if (perValue.length > 0 && Math.max(...perValue) - Math.min(...perValue) > 1) {
          out.push(
            `${app}: hard balance on ${c.attribute} skewed ${JSON.stringify(Object.fromEntries(counts))}`,
          );
        }
      }
    }
  }
  for (const u of result.unplaced) if (u.reasons.length === 0) out.push(`${u.app} unplaced without a reason`);
  const placedCount = result.placements.length + result.unplaced.reduce((s, u) => s + u.instances.length, 0);
  if (placedCount !== input.requests.length)
    out.push(`${placedCount} results for ${input.requests.length} requests`);
  return out;
}

/**
 * Replays scale-in moves one at a time from the running layout and reports every intermediate state that breaks
 * capacity (resources and host port counts), an attribute filter, or a unique / max_per limit. Hard balance is a
 * property of the layout the moves end in (the agents it is measured over change as agents drain), checked there.
 */
export function moveViolations(
  agents: readonly Agent[],
  running: readonly RunningTask[],
  constraintsByApp: Readonly<Record<string, readonly Constraint[]>>,
  moves: ReadonlyArray<{ app: string; instance?: number; from: string; to: string }>,
): string[] {
  const out: string[] = [];
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const free = new Map(
    agents.map((a) => [a.id, { ...a.free, ports: a.freePorts.reduce((s, r) => s + r.end - r.begin + 1, 0) }]),
  );
  const taskOf = new Map(running.map((t) => [`${t.app}/${t.instance}`, t]));
  const where = new Map(running.map((t) => [`${t.app}/${t.instance}`, t.agentId]));
  moves.forEach((m, step) => {
    const key = `${m.app}/${m.instance}`;
    const task = taskOf.get(key);
    if (!task || where.get(key) !== m.from) {
      out.push(`move ${step}: ${key} is not on ${m.from}`);
      return;
    }
    const from = free.get(m.from);
    const to = free.get(m.to);
    const target = agentById.get(m.to);
    if (!from || !to || !target) {
      out.push(`move ${step}: unknown agent`);
      return;
    }
    from.cpus += task.demand.cpus;
    from.mem += task.demand.mem;
    from.disk += task.demand.disk;
    from.gpus += task.demand.gpus;
    from.ports += task.portCount;
    to.cpus -= task.demand.cpus;
    to.mem -= task.demand.mem;
    to.disk -= task.demand.disk;
    to.gpus -= task.demand.gpus;
    to.ports -= task.portCount;
    where.set(key, m.to);
    if (to.cpus < -1e-6 || to.mem < -1e-6 || to.disk < -1e-6 || to.gpus < -1e-6 || to.ports < 0)
      out.push(`move ${step}: ${m.to} over-committed ${JSON.stringify(to)}`);
    const constraints = constraintsByApp[m.app] ?? [];
    for (const c of constraints) {
      if (!attributeAllows(target, c))
        out.push(`move ${step}: ${key} to ${m.to} breaks ${JSON.stringify(c)}`);
      if (c.kind !== "unique" && c.kind !== "max_per") continue;
      const value = attributeValue(target, c.attribute);
      let n = 0;
      for (const [k, agentId] of where) {
        const a = agentById.get(agentId);
        if (k.startsWith(`${m.app}/`) && a && attributeValue(a, c.attribute) === value) n++;
      }
      const max = c.kind === "unique" ? 1 : c.count;
      if (value === undefined || n > max)
        out.push(`move ${step}: ${n} of ${m.app} on ${c.attribute}=${value}`);
    }
  });
  return out;
}
