import type { Diagnostic } from "../cli/errors.js";
import type { Constraint, PlacementStrategy, Scalars } from "../placement/types.js";
import type { DisruptionWindow } from "./windows.js";

/**
 * The validated, normalised form of a titan.yaml app. Durations are milliseconds; mem and disk are MB as Mesos
 * counts them; cpus keep Mesos' 3 decimals. Everything that reaches here has passed validation.
 */

/**
 * An environment value: plain text, a reference resolved only at deploy time and never printed (`file`, `env`), or
 * a reference into the cluster's secret store that the agents resolve (`mesos`, sent as a Mesos REFERENCE secret).
 */
export type EnvValue =
  | { kind: "plain"; value: string }
  | { kind: "secret"; source: "file" | "env"; ref: string; raw: string }
  | { kind: "secret"; source: "mesos"; ref: string; key?: string; raw: string };

/** A file the agent fetches into the sandbox before the command starts (Mesos CommandInfo.URI). */
export interface FetchSpec {
  /** An absolute URL: http(s)://, or file:// (a path on the agent, or next to the manifest for a relative one). */
  uri: string;
  executable: boolean;
  /** Unpack archives (.tar, .tar.gz, .tgz, .zip) into the sandbox, as Mesos does by default. */
  extract: boolean;
  outputFile?: string;
}

export interface PortSpec {
  name: string;
  protocol: "tcp" | "udp";
  /** The port inside a bridge-networked container; the host port is mapped to it. */
  containerPort?: number;
}

export type HealthProbe =
  | { kind: "http"; port: string; path: string; scheme: "http" | "https" }
  | { kind: "tcp"; port: string }
  | { kind: "command"; argv?: readonly string[]; shell?: string };

export interface HealthSpec {
  probe: HealthProbe;
  intervalMs: number;
  timeoutMs: number;
  graceMs: number;
  delayMs: number;
  failures: number;
}

/** A count or a percentage of the instance count (`25%`). */
export type Amount = { kind: "count"; value: number } | { kind: "percent"; value: number };

export interface UpdateSpec {
  maxSurge: Amount;
  maxUnavailable: Amount;
  minHealthyTimeMs: number;
  healthyDeadlineMs: number;
  progressDeadlineMs: number;
  autoRollback: boolean;
}

/** When and how fast titan may take running instances down on purpose (Titus's disruption budget). */
export interface DisruptionSpec {
  /** A change that replaces instances outside every window is refused; absent: any time. */
  windows?: readonly DisruptionWindow[];
  /** Running instances replaced or moved in any hour, over every command; absent: no limit. */
  maxPerHour?: Amount;
}

/** The most replacements an hour allows for this many instances: a percentage rounds down, to at least 1. */
export function hourlyReplacements(spec: Pick<AppSpec, "disruption">, instances: number): number | undefined {
  const amount = spec.disruption?.maxPerHour;
  if (amount === undefined) return undefined;
  return Math.max(1, resolveAmount(amount, instances, "down"));
}

export interface RestartSpec {
  backoffMs: number;
  factor: number;
  maxDelayMs: number;
}

/** Where in which file an app was declared, for messages. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
  /** Path of the app in its file: "" for a single-app file, "apps[2]" in a list. */
  path: string;
}

/** What a region changes for its instances only: env merged over the app's, resources field by field, constraints replaced. */
export interface RegionOverride {
  env?: Readonly<Record<string, EnvValue>>;
  resources?: Partial<Scalars>;
  constraints?: readonly Constraint[];
}

/** What a failed region does to the rest of a multi-region deploy. */
export type FailurePolicy = "abort" | "rollback_all" | "continue";

/** The order a deploy takes through the regions: waves in turn, the regions of a wave in parallel. */
export interface RolloutPolicy {
  waves: ReadonlyArray<readonly string[]>;
  soakMs: number;
  onFailure: FailurePolicy;
}

export interface AppSpec {
  name: string;
  image?: string;
  /** `os/arch[/variant]` to pin from a multi-platform image; linux/amd64 when absent. */
  platform?: string;
  /** argv form; exclusive with `shell`. */
  command?: readonly string[];
  /** One shell string run with /bin/sh -c; exclusive with `command`. */
  shell?: string;
  env: Readonly<Record<string, EnvValue>>;
  /** Files fetched into the sandbox before the command starts. */
  fetch: readonly FetchSpec[];
  resources: Scalars;
  ports: readonly PortSpec[];
  /** Total instances over all regions. */
  instances: number;
  /** Instances per region; absent when the app does not name regions (then it runs `instances` in the target region). */
  regions?: Readonly<Record<string, number>>;
  /** What a region changes for its own instances (`regions: {eu-west: {instances: 2, env: ...}}`). */
  regionOverrides?: Readonly<Record<string, RegionOverride>>;
  /** How a deploy goes through the regions; absent when the app names no regions or leaves the default. */
  rollout?: RolloutPolicy;
  constraints: readonly Constraint[];
  placement: PlacementStrategy;
  health?: HealthSpec;
  update: UpdateSpec;
  restart: RestartSpec;
  /** Absent: replacing instances is allowed at any time. */
  disruption?: DisruptionSpec;
  killGraceMs: number;
  /** The Unix user instances run as; unset: the cluster's `user`, else `nobody`. */
  user?: string;
  labels: Readonly<Record<string, string>>;
  source: SourceRef;
}

export interface Manifest {
  apps: readonly AppSpec[];
  files: readonly string[];
  /** Things that validate but are rarely what was meant (a fetch from the agent's own disk). */
  warnings: readonly Diagnostic[];
}

/** Surge rounds up, unavailability rounds down (as Kubernetes and Marathon do). */
export function resolveAmount(amount: Amount, instances: number, round: "up" | "down"): number {
  if (amount.kind === "count") return amount.value;
  const exact = (amount.value / 100) * instances;
  return round === "up" ? Math.ceil(exact) : Math.floor(exact);
}
