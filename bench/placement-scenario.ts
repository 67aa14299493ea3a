import { place } from "../src/placement/index.js";
import type { Constraint, PlacementInput, PortRange, TaskRequest } from "../src/placement/types.js";

/**
 * Turns a generated workload into what a user has on disk: the master's `GET /master/state` JSON (agents with
 * attributes and resources, other frameworks' tasks with what they hold) and titan.yaml manifests, one app per
 * group of identical requests. `titan plan --snapshot state.json -f apps-0.yaml -f apps-1.yaml …` then reads them
 * through the same code a user runs.
 */
export interface Scenario {
  masterState: string;
  /** Manifest files' text; split so that each stays well under the manifest size limit. */
  manifests: string[];
  apps: number;
}

const APPS_PER_FILE = 1_500;

/** An instance titan already runs: in the snapshot with titan's labels and a digest of an older spec. */
export interface Deployed {
  app: string;
  instance: number;
  agentId: string;
  ports: readonly number[];
}

/** Every instance of the input running where placement puts it: the same workload a release later. */
export function deployedAsPlaced(input: PlacementInput): Deployed[] {
  return place(input).placements.map((p) => ({
    app: p.app,
    instance: p.instance,
    agentId: p.agentId,
    ports: Object.values(p.ports),
  }));
}

/** With `deployed`, those instances run already from an older spec, so the plan replaces them with a rolling update. */
export function toScenario(
  input: PlacementInput,
  deployed: readonly Deployed[] = [],
  appsPerFile = APPS_PER_FILE,
): Scenario {
  return { masterState: masterState(input, deployed), ...manifests(input.requests, appsPerFile) };
}

function rangeText(ranges: readonly PortRange[]): string {
  return `[${ranges.map((r) => `${r.begin}-${r.end}`).join(", ")}]`;
}

function masterState(input: PlacementInput, deployed: readonly Deployed[]): string {
  const frameworkOf = new Map<string, Array<Record<string, unknown>>>();
  const usedOn = new Map<
    string,
    { cpus: number; mem: number; disk: number; gpus: number; ports: PortRange[] }
  >();
  const agentsById = new Map(input.agents.map((a) => [a.id, a]));
  const demandOf = new Map(input.requests.map((r) => [`${r.app}\u0000${r.instance}`, r.demand]));
  const titanTasks: Array<Record<string, unknown>> = [];
  for (const d of deployed) {
    const demand = demandOf.get(`${d.app}\u0000${d.instance}`);
    if (!demand) continue;
    const ports = d.ports.map((p) => ({ begin: p, end: p }));
    titanTasks.push({
      id: `${d.app}.${d.instance}.old`,
      name: d.app,
      framework_id: "fw-titan",
      slave_id: d.agentId,
      state: "TASK_RUNNING",
      resources: { ...demand, ...(ports.length > 0 ? { ports: rangeText(ports) } : {}) },
      role: "*",
      labels: [
        { key: "titan.app", value: d.app },
        { key: "titan.instance", value: String(d.instance) },
        { key: "titan.digest", value: "000000000000" },
      ],
      statuses: [],
    });
    const used = usedOn.get(d.agentId) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] };
    used.cpus = Math.round((used.cpus + demand.cpus) * 1000) / 1000;
    used.mem += demand.mem;
    used.disk += demand.disk;
    used.gpus += demand.gpus;
    used.ports.push(...ports);
    usedOn.set(d.agentId, used);
  }
  if (titanTasks.length > 0) frameworkOf.set("titan", titanTasks);
  input.running.forEach((task, k) => {
    const agent = agentsById.get(task.agentId);
    const base = agent?.freePorts[0]?.begin ?? 31000;
    // The workload's running tasks hold the ports just below the agent's first free one.
    const ports = task.portCount > 0 ? [{ begin: base - task.portCount, end: base - 1 }] : [];
    const resources = { ...task.demand, ...(ports.length > 0 ? { ports: rangeText(ports) } : {}) };
    const list = frameworkOf.get(task.app) ?? [];
    list.push({
      id: `${task.app}.task-${k}`,
      name: `${task.app}-${k}`,
      framework_id: `fw-${task.app}`,
      slave_id: task.agentId,
      state: "TASK_RUNNING",
      resources,
      role: "*",
      statuses: [],
    });
    frameworkOf.set(task.app, list);
    const used = usedOn.get(task.agentId) ?? { cpus: 0, mem: 0, disk: 0, gpus: 0, ports: [] };
    used.cpus = Math.round((used.cpus + task.demand.cpus) * 1000) / 1000;
    used.mem += task.demand.mem;
    used.disk += task.demand.disk;
    used.gpus += task.demand.gpus;
    used.ports.push(...ports);
    usedOn.set(task.agentId, used);
  });
  const slaves = input.agents.map((a) => {
    const used = usedOn.get(a.id);
    const zone = a.attributes.zone;
    return {
      id: a.id,
      hostname: a.hostname,
      port: 5051,
      attributes: a.attributes,
      ...(zone === undefined
        ? {}
        : { domain: { fault_domain: { region: { name: "us-east" }, zone: { name: zone } } } }),
      resources: { ...a.total, ports: "[31000-32000]" },
      used_resources: used
        ? {
            cpus: used.cpus,
            mem: used.mem,
            disk: used.disk,
            gpus: used.gpus,
            ...(used.ports.length > 0 ? { ports: rangeText(used.ports) } : {}),
          }
        : { cpus: 0, mem: 0, disk: 0, gpus: 0 },
      offered_resources: { cpus: 0, mem: 0, disk: 0, gpus: 0 },
      reserved_resources: {},
      active: true,
      deactivated: false,
      version: "1.12.0",
    };
  });
  const frameworks = [...frameworkOf].map(([name, tasks]) => ({
    id: `fw-${name}`,
    name,
    active: true,
    role: "*",
    tasks,
    unreachable_tasks: [],
    completed_tasks: [],
  }));
  return JSON.stringify({
    version: "1.12.0",
    id: "bench-master",
    hostname: "master-1.us-east.example.com",
    leader: "master@10.0.0.2:5050",
    activated_slaves: slaves.length,
    slaves,
    frameworks,
  });
}

function constraintYaml(c: Constraint): string {
  switch (c.kind) {
    case "unique":
      return `{ unique: ${c.attribute} }`;
    case "max_per":
      return `{ max_per: ${c.attribute}, count: ${c.count} }`;
    case "balance":
      return c.hard ? `{ balance: ${c.attribute}, hard: true }` : `{ balance: ${c.attribute} }`;
    case "attribute":
      // Single quotes keep a regular expression's backslashes as written.
      return `{ attribute: ${c.attribute}, ${c.op}: '${c.value}' }`;
  }
  return "";
}

function appYaml(first: TaskRequest, instances: number): string {
  const d = first.demand;
  const resources = [`cpus: ${d.cpus}`, `mem: ${d.mem}Mi`, `disk: ${d.disk}Mi`];
  if (d.gpus > 0) resources.push(`gpus: ${d.gpus}`);
  const lines = [
    `  - name: ${first.app}`,
    `    image: registry.example.com/bench/${first.app}:1.0.0`,
    `    resources: { ${resources.join(", ")} }`,
    `    instances: ${instances}`,
  ];
  if (first.ports.length > 0) lines.push(`    ports: [${first.ports.join(", ")}]`);
  if (first.constraints.length > 0)
    lines.push(`    constraints: [${first.constraints.map(constraintYaml).join(", ")}]`);
  if (first.strategy !== "binpack") lines.push(`    placement: ${first.strategy}`);
  return lines.join("\n");
}

/** The titan.yaml of one app of the workload, as `toScenario` writes it among the others. */
export function manifestOfApp(requests: readonly TaskRequest[], app: string): string {
  const ofApp = requests.filter((r) => r.app === app);
  if (ofApp.length === 0) throw new Error(`no app ${app} in the workload`);
  return `apps:\n${appYaml(ofApp[0] as TaskRequest, ofApp.length)}\n`;
}

function manifests(
  requests: readonly TaskRequest[],
  appsPerFile: number,
): { manifests: string[]; apps: number } {
  const byApp = new Map<string, TaskRequest[]>();
  for (const r of requests) {
    const list = byApp.get(r.app);
    if (list) list.push(r);
    else byApp.set(r.app, [r]);
  }
  const blocks = [...byApp.values()].map((list) => appYaml(list[0] as TaskRequest, list.length));
  const files: string[] = [];
  for (let k = 0; k < blocks.length; k += appsPerFile)
    files.push(`apps:\n${blocks.slice(k, k + appsPerFile).join("\n")}\n`);
  return { manifests: files, apps: blocks.length };
}
