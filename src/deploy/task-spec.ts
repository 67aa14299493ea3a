import { taskLabels } from "../cluster/labels.js";
import { portVariable } from "../manifest/index.js";
import type { AppSpec, HealthSpec } from "../manifest/types.js";
import type {
  CommandSpec,
  ContainerSpec,
  HealthCheckSpec,
  SecretReference,
  TaskSpec,
} from "../mesos/task-builder.js";
import type { Offer } from "../mesos/types/mesos.js";
import { launchReference } from "../registry/launch-reference.js";

/** One instance to launch: which release, where, and with which host ports. */
export interface LaunchRequest {
  spec: AppSpec;
  taskId: string;
  release: number;
  instance: number;
  digest: string;
  region: string | null;
  offer: Offer;
  /** Port name -> host port chosen by placement. */
  ports: Readonly<Record<string, number>>;
  /** The app's env with secrets resolved; only ever put into the TaskInfo. */
  environment: Readonly<Record<string, string>>;
  /** The cluster's containerizer for images (the config's `containerizer`); `mesos` when absent. */
  containerizer?: Containerizer;
  /**
   * Variables the agent's secret resolver fills from the cluster's secret store (a cluster that opts in to Mesos
   * secrets): sent as references, so no value is in the TaskInfo. They win over `environment`.
   */
  secretReferences?: Readonly<Record<string, SecretReference>>;
}

export type Containerizer = "mesos" | "docker";

/**
 * How an image runs. `mesos`: the Mesos containerizer pulls `name@sha256:…` and the task shares the host network,
 * listening on its `$PORT_<NAME>`. `docker`: the Docker containerizer with BRIDGE networking, each host port
 * mapped to the port's `container_port` (or to the same number when the image listens on `$PORT_<NAME>`).
 */
export function containerSpec(
  spec: Pick<AppSpec, "image" | "ports">,
  ports: Readonly<Record<string, number>>,
  containerizer: Containerizer = "mesos",
): ContainerSpec | undefined {
  if (spec.image === undefined) return undefined;
  const image = launchReference(spec.image);
  if (containerizer === "mesos") return { kind: "mesos", image };
  const portMappings = spec.ports.flatMap((port) => {
    const hostPort = ports[port.name];
    if (hostPort === undefined) return [];
    return [{ hostPort, containerPort: port.containerPort ?? hostPort, protocol: port.protocol }];
  });
  return { kind: "docker", image, network: "BRIDGE", portMappings };
}

const PORT_REFERENCE = /\$\{(PORT_[A-Z0-9_]+)\}/g;

/** `${PORT_<NAME>}` replaced by the instance's host ports; the manifest check guarantees every name exists. */
export function substitutePorts(text: string, ports: Readonly<Record<string, number>>): string {
  const byVariable = new Map(Object.entries(ports).map(([name, port]) => [portVariable(name), String(port)]));
  return text.replace(PORT_REFERENCE, (whole, variable: string) => byVariable.get(variable) ?? whole);
}

function commandOf(
  spec: AppSpec,
  environment: Record<string, string>,
  ports: LaunchRequest["ports"],
  secretReferences: LaunchRequest["secretReferences"],
): CommandSpec {
  // CommandInfo.user: an app's own user reaches its tasks even when its framework was registered with another.
  const env = {
    environment,
    ...(secretReferences === undefined ? {} : { secretEnvironment: secretReferences }),
    ...(spec.user === undefined ? {} : { user: spec.user }),
  };
  if (spec.shell !== undefined) return { shell: true, value: substitutePorts(spec.shell, ports), ...env };
  if (spec.command !== undefined && spec.command.length > 0) {
    const argv = spec.command.map((a) => substitutePorts(a, ports));
    return { shell: false, value: argv[0] ?? "", arguments: argv, ...env };
  }
  // An image without a command runs its entrypoint.
  return { shell: false, ...env };
}

function healthOf(health: HealthSpec, ports: LaunchRequest["ports"]): HealthCheckSpec {
  const timing = {
    delaySeconds: health.delayMs / 1000,
    intervalSeconds: health.intervalMs / 1000,
    timeoutSeconds: health.timeoutMs / 1000,
    consecutiveFailures: health.failures,
    gracePeriodSeconds: health.graceMs / 1000,
  };
  const probe = health.probe;
  switch (probe.kind) {
    case "http":
      return {
        kind: "http",
        port: ports[probe.port] ?? 0,
        path: probe.path,
        scheme: probe.scheme,
        ...timing,
      };
    case "tcp":
      return { kind: "tcp", port: ports[probe.port] ?? 0, ...timing };
    case "command":
      if (probe.shell !== undefined)
        return { kind: "command", command: substitutePorts(probe.shell, ports), ...timing };
      return { kind: "command", argv: (probe.argv ?? []).map((a) => substitutePorts(a, ports)), ...timing };
  }
}

/** The TaskSpec for one instance: command, env with PORT_<NAME>, image, health check, kill policy, labels. */
export function launchSpec(request: LaunchRequest): TaskSpec {
  const { spec, ports } = request;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.environment))
    environment[name] = substitutePorts(value, ports);
  for (const [name, port] of Object.entries(ports)) environment[portVariable(name)] = String(port);
  const container = containerSpec(spec, ports, request.containerizer);
  const labels: Record<string, string> = { ...spec.labels };
  for (const label of taskLabels({
    app: spec.name,
    instance: request.instance,
    digest: request.digest,
    release: request.release,
    ...(request.region === null ? {} : { region: request.region }),
  }))
    labels[label.key] = label.value;
  return {
    taskId: request.taskId,
    name: `${spec.name}.${request.instance}`,
    offer: request.offer,
    demand: {
      cpus: spec.resources.cpus,
      mem: spec.resources.mem,
      disk: spec.resources.disk,
      gpus: spec.resources.gpus,
      ports: Object.values(ports),
    },
    command: commandOf(spec, environment, ports, request.secretReferences),
    ...(container ? { container } : {}),
    ...(spec.health ? { healthCheck: healthOf(spec.health, ports) } : {}),
    killGracePeriodMs: spec.killGraceMs,
    labels,
    ...(spec.fetch.length === 0
      ? {}
      : {
          fetch: spec.fetch.map((f) => ({
            uri: f.uri,
            executable: f.executable,
            extract: f.extract,
            ...(f.outputFile === undefined ? {} : { outputFile: f.outputFile }),
          })),
        }),
  };
}
