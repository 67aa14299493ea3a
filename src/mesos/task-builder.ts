import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import { durationMs, toLabels } from "./calls.js";
import { defined, ifSet } from "./defined.js";
import { isPlainResource } from "./plain-resource.js";
import type {
  CommandInfo,
  ContainerInfo,
  DiscoveryInfo,
  EnvironmentVariable,
  HealthCheck,
  Offer,
  Parameter,
  Resource,
  TaskInfo,
  ValueRange,
} from "./types/mesos.js";

/**
 * Pure builders for LAUNCH TaskInfos. Resources are carved out of the offer by copying the offer's Resource
 * objects (role, reservations, allocation_info intact) and changing only the amount, as the master requires.
 */

/** The offer cannot hold what was asked; the deploy loop should wait for another offer. */
export class OfferTooSmallError extends TitanError {
  constructor(message: string) {
    super(message, {
      exitCode: ExitCode.DoesNotFit,
      hint: "wait for a larger offer or lower the app's resources",
    });
  }
}

export interface ResourceDemand {
  cpus: number;
  /** MB */
  mem: number;
  /** MB; omitted from the task when 0 or absent. */
  disk?: number;
  gpus?: number;
  /** Host ports to take from the offer's `ports` ranges. */
  ports?: readonly number[];
}

/** Mesos keeps three decimals of a scalar. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** How many reservations a resource carries, in either format: 0 unreserved, 2+ refined. */
function reservationDepth(resource: Resource): number {
  if (resource.reservations !== undefined && resource.reservations.length > 0)
    return resource.reservations.length;
  return resource.role !== undefined && resource.role !== "*" ? 1 : 0;
}

/**
 * The offer's entries in the order a task takes from them: the most refined reservation first, unreserved last. An
 * offer holds a role's reservations only because the framework's role may use them; left untaken they sit idle,
 * while unreserved resources serve every role (Marathon and Aurora take reserved resources first, too).
 */
export function carvingOrder(offer: Offer): Resource[] {
  return [...(offer.resources ?? [])].sort((a, b) => reservationDepth(b) - reservationDepth(a));
}

function takeScalar(offer: Offer, name: string, amount: number): Resource[] {
  const taken: Resource[] = [];
  let remaining = round3(amount);
  for (const resource of carvingOrder(offer)) {
    if (remaining <= 0) break;
    if (resource.name !== name || resource.type !== "SCALAR" || !isPlainResource(resource)) continue;
    const available = Number(resource.scalar?.value ?? 0);
    const take = round3(Math.min(available, remaining));
    if (take <= 0) continue;
    taken.push({ ...structuredClone(resource), scalar: { value: take } });
    remaining = round3(remaining - take);
  }
  if (remaining > 0) {
    throw new OfferTooSmallError(`offer ${offer.id.value} on ${offer.hostname} lacks ${remaining} ${name}`);
  }
  return taken;
}

function takePorts(offer: Offer, ports: readonly number[]): Resource[] {
  const bySource = new Map<Resource, ValueRange[]>();
  const entries = carvingOrder(offer);
  for (const port of ports) {
    const source = entries.find(
      (r) =>
        r.name === "ports" &&
        r.type === "RANGES" &&
        isPlainResource(r) &&
        (r.ranges?.range ?? []).some((x) => x.begin <= port && port <= x.end),
    );
    if (source === undefined) {
      throw new OfferTooSmallError(
        `offer ${offer.id.value} on ${offer.hostname} does not include port ${port}`,
      );
    }
    const list = bySource.get(source) ?? [];
    list.push({ begin: port, end: port });
    bySource.set(source, list);
  }
  return [...bySource].map(([source, range]) => ({ ...structuredClone(source), ranges: { range } }));
}

/** The task's resources, copied from the offer: cpus, mem, disk, gpus, then ports. */
export function carveResources(offer: Offer, demand: ResourceDemand): Resource[] {
  const resources: Resource[] = [];
  const scalars: Array<[string, number | undefined]> = [
    ["cpus", demand.cpus],
    ["mem", demand.mem],
    ["disk", demand.disk],
    ["gpus", demand.gpus],
  ];
  for (const [name, amount] of scalars) {
    if (amount !== undefined && amount > 0) resources.push(...takeScalar(offer, name, amount));
  }
  if (demand.ports !== undefined && demand.ports.length > 0)
    resources.push(...takePorts(offer, demand.ports));
  return resources;
}

/** A resource entry's identity in an offer: everything but its amount (role, reservations, allocation, ...). */
function entryKey(resource: Resource): string {
  const { scalar: _scalar, ranges: _ranges, set: _set, ...identity } = resource;
  return canonicalJson(identity);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function withoutPorts(ranges: readonly ValueRange[], ports: ReadonlySet<number>): ValueRange[] {
  const left: ValueRange[] = [];
  for (const range of ranges) {
    let begin = Number(range.begin);
    const end = Number(range.end);
    for (const port of [...ports].filter((p) => p >= begin && p <= end).sort((a, b) => a - b)) {
      if (port > begin) left.push({ begin, end: port - 1 });
      begin = port + 1;
    }
    if (begin <= end) left.push({ begin, end });
  }
  return left;
}

/**
 * What is left of an offer once a task carved `taken` from it. Every task of one ACCEPT must be carved from what
 * the previous ones left: the master checks their sum against each resource entry of the offer, so two tasks
 * that each take the same role's cpus from the first entry would together ask that entry for more than it holds.
 */
export function remainingOffer(offer: Offer, taken: readonly Resource[]): Offer {
  const scalarTaken = new Map<string, number>();
  const portsTaken = new Map<string, Set<number>>();
  for (const resource of taken) {
    const key = entryKey(resource);
    if (resource.type === "SCALAR")
      scalarTaken.set(key, round3((scalarTaken.get(key) ?? 0) + Number(resource.scalar?.value ?? 0)));
    if (resource.type === "RANGES") {
      const ports = portsTaken.get(key) ?? new Set<number>();
      for (const range of resource.ranges?.range ?? [])
        for (let port = Number(range.begin); port <= Number(range.end); port++) ports.add(port);
      portsTaken.set(key, ports);
    }
  }
  const resources: Resource[] = [];
  for (const resource of offer.resources ?? []) {
    const key = entryKey(resource);
    if (resource.type === "SCALAR" && scalarTaken.has(key)) {
      const available = Number(resource.scalar?.value ?? 0);
      const owed = scalarTaken.get(key) ?? 0;
      const take = Math.min(available, owed);
      scalarTaken.set(key, round3(owed - take));
      const left = round3(available - take);
      if (left > 0) resources.push({ ...resource, scalar: { value: left } });
      continue;
    }
    const ports = portsTaken.get(key);
    if (resource.type === "RANGES" && ports !== undefined) {
      const range = withoutPorts(resource.ranges?.range ?? [], ports);
      if (range.length > 0) resources.push({ ...resource, ranges: { range } });
      continue;
    }
    resources.push(resource);
  }
  return { ...offer, resources };
}

/** A secret in the cluster's secret store, by name (and key within it); the agent's secret resolver reads it. */
export interface SecretReference {
  name: string;
  key?: string;
}

export type CommandSpec =
  /** `/bin/sh -c value`; ignores an image's entrypoint. */
  | {
      shell: true;
      value: string;
      environment?: Readonly<Record<string, string>>;
      secretEnvironment?: Readonly<Record<string, SecretReference>>;
      user?: string;
    }
  /**
   * No shell. Without an image `value` is the executable and `arguments` the full argv (argv[0] included); with
   * an image and no `value` the image's entrypoint runs and `arguments` replace its cmd.
   */
  | {
      shell: false;
      value?: string;
      arguments?: readonly string[];
      environment?: Readonly<Record<string, string>>;
      secretEnvironment?: Readonly<Record<string, SecretReference>>;
      user?: string;
    };

export type ContainerSpec =
  /** Mesos containerizer running a Docker image (agent needs docker/runtime and filesystem/linux isolation). */
  | { kind: "mesos"; image: string; cached?: boolean }
  /** Docker containerizer. */
  | {
      kind: "docker";
      image: string;
      network?: "HOST" | "BRIDGE" | "NONE";
      portMappings?: ReadonlyArray<{ hostPort: number; containerPort: number; protocol?: "tcp" | "udp" }>;
      forcePullImage?: boolean;
      privileged?: boolean;
      parameters?: readonly Parameter[];
    };

export interface HealthCheckTiming {
  delaySeconds?: number;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  consecutiveFailures?: number;
  gracePeriodSeconds?: number;
}

export type HealthCheckSpec =
  | ({ kind: "http"; port: number; path?: string; scheme?: "http" | "https" } & HealthCheckTiming)
  | ({ kind: "tcp"; port: number } & HealthCheckTiming)
  | ({ kind: "command"; command: string } & HealthCheckTiming)
  /** No shell: `argv[0]` is run with `argv` as its full argument vector. */
  | ({ kind: "command"; argv: readonly string[] } & HealthCheckTiming);

export interface DiscoverySpec {
  name: string;
  visibility?: "FRAMEWORK" | "CLUSTER" | "EXTERNAL";
  ports?: ReadonlyArray<{ number: number; name?: string; protocol?: "tcp" | "udp" }>;
}

/** A file for the Mesos fetcher (CommandInfo.URI). */
export interface FetchUri {
  uri: string;
  executable?: boolean;
  extract?: boolean;
  cache?: boolean;
  outputFile?: string;
}

export function commandUris(fetch: readonly FetchUri[] | undefined): Pick<CommandInfo, "uris"> {
  if (fetch === undefined || fetch.length === 0) return {};
  return {
    uris: fetch.map((f) =>
      defined({
        value: f.uri,
        executable: f.executable,
        extract: f.extract,
        cache: f.cache,
        output_file: f.outputFile,
      }),
    ),
  };
}

export interface TaskSpec {
  taskId: string;
  name: string;
  offer: Offer;
  demand: ResourceDemand;
  command: CommandSpec;
  /** Files fetched into the sandbox before the command starts. */
  fetch?: readonly FetchUri[];
  container?: ContainerSpec;
  healthCheck?: HealthCheckSpec;
  /** SIGTERM, then SIGKILL after this long. */
  killGracePeriodMs?: number;
  labels?: Readonly<Record<string, string>>;
  discovery?: DiscoverySpec;
}

/**
 * `CommandInfo.environment`: plain values as VALUE variables, and references as SECRET variables whose
 * `secret` is a REFERENCE (mesos.proto, Environment.Variable and Secret), so the value never enters the TaskInfo
 * and never shows in an agent's or the master's `/state`; the agent's secret resolver module reads it at launch.
 * A name in both keeps the reference.
 */
export function environmentInfo(
  values: Readonly<Record<string, string>> | undefined,
  secrets: Readonly<Record<string, SecretReference>> | undefined = undefined,
): Pick<CommandInfo, "environment"> {
  const variables: EnvironmentVariable[] = [];
  for (const [name, value] of Object.entries(values ?? {}))
    if (secrets?.[name] === undefined) variables.push({ name, type: "VALUE", value });
  for (const [name, ref] of Object.entries(secrets ?? {})) {
    const reference = ref.key === undefined ? { name: ref.name } : { name: ref.name, key: ref.key };
    variables.push({ name, type: "SECRET", secret: { type: "REFERENCE", reference } });
  }
  return variables.length === 0 ? {} : { environment: { variables } };
}

export function commandInfo(spec: CommandSpec): CommandInfo {
  const user = spec.user === undefined ? {} : { user: spec.user };
  const environment = environmentInfo(spec.environment, spec.secretEnvironment);
  if (spec.shell) return { shell: true, value: spec.value, ...environment, ...user };
  return {
    ...defined({ shell: false, value: spec.value, arguments: ifSet(spec.arguments, (a) => [...a]) }),
    ...environment,
    ...user,
  };
}

export function containerInfo(spec: ContainerSpec): ContainerInfo {
  if (spec.kind === "mesos") {
    return {
      type: "MESOS",
      mesos: {
        image: defined({ type: "DOCKER" as const, docker: { name: spec.image }, cached: spec.cached }),
      },
    };
  }
  return {
    type: "DOCKER",
    docker: defined({
      image: spec.image,
      network: spec.network,
      port_mappings: ifSet(spec.portMappings, (mappings) =>
        mappings.map((m) => ({
          host_port: m.hostPort,
          container_port: m.containerPort,
          protocol: m.protocol ?? "tcp",
        })),
      ),
      privileged: spec.privileged,
      parameters: ifSet(spec.parameters, (p) => [...p]),
      force_pull_image: spec.forcePullImage,
    }),
  };
}

export function healthCheck(spec: HealthCheckSpec): HealthCheck {
  const timing: HealthCheck = defined({
    delay_seconds: spec.delaySeconds,
    interval_seconds: spec.intervalSeconds,
    timeout_seconds: spec.timeoutSeconds,
    consecutive_failures: spec.consecutiveFailures,
    grace_period_seconds: spec.gracePeriodSeconds,
  });
  switch (spec.kind) {
    case "http":
      return {
        type: "HTTP",
        http: defined({ scheme: spec.scheme ?? "http", port: spec.port, path: spec.path }),
        ...timing,
      };
    case "tcp":
      return { type: "TCP", tcp: { port: spec.port }, ...timing };
    case "command":
      if ("argv" in spec) {
        return {
          type: "COMMAND",
          command: { shell: false, value: spec.argv[0] ?? "", arguments: [...spec.argv] },
          ...timing,
        };
      }
      return { type: "COMMAND", command: { shell: true, value: spec.command }, ...timing };
  }
}

export function discoveryInfo(spec: DiscoverySpec): DiscoveryInfo {
  return defined({
    visibility: spec.visibility ?? "FRAMEWORK",
    name: spec.name,
    ports: ifSet(spec.ports, (ports) => ({
      ports: ports.map((p) => defined({ number: p.number, name: p.name, protocol: p.protocol ?? "tcp" })),
    })),
  });
}

/** A command task (no custom executor) for a LAUNCH operation on `spec.offer`. */
export function taskInfo(spec: TaskSpec): TaskInfo {
  return defined({
    name: spec.name,
    task_id: { value: spec.taskId },
    agent_id: { value: spec.offer.agent_id.value },
    resources: carveResources(spec.offer, spec.demand),
    command: { ...commandUris(spec.fetch), ...commandInfo(spec.command) },
    container: ifSet(spec.container, containerInfo),
    health_check: ifSet(spec.healthCheck, healthCheck),
    kill_policy: ifSet(spec.killGracePeriodMs, (ms) => ({ grace_period: durationMs(ms) })),
    labels: ifSet(spec.labels, toLabels),
    discovery: ifSet(spec.discovery, discoveryInfo),
  });
}
