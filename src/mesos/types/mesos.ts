/**
 * Hand-written JSON shapes for the subset of `mesos.v1` (mesos.proto) that titan sends or reads. Names and
 * snake_case keys follow the proto exactly; see fixtures/mesos/proto. Type declarations only: this file has no
 * runtime code, so any module may import it with `import type`.
 *
 * JSON mapping reminders: ids are `{value}` objects, TimeInfo/DurationInfo are `{nanoseconds}`, enums are
 * their names, bytes are base64 strings, 64-bit integers are numbers (Mesos also accepts decimal strings).
 */

export interface FrameworkID {
  value: string;
}
export interface AgentID {
  value: string;
}
export interface TaskID {
  value: string;
}
export interface ExecutorID {
  value: string;
}
export interface OfferID {
  value: string;
}
export interface ContainerID {
  value: string;
  parent?: ContainerID;
}
export interface OperationID {
  value: string;
}

/** `mesos.v1.UUID`: `value` is base64 of 16 bytes. */
export interface MesosUUID {
  value: string;
}

export interface TimeInfo {
  nanoseconds: number | string;
}
export interface DurationInfo {
  nanoseconds: number | string;
}

export interface Label {
  key: string;
  value?: string;
}
export interface Labels {
  labels?: Label[];
}

export interface Parameter {
  key: string;
  value: string;
}

export interface Address {
  hostname?: string;
  ip?: string;
  port: number;
}

export interface URL {
  scheme: string;
  address: Address;
  path?: string;
  query?: Parameter[];
  fragment?: string;
}

// --------------------------------------------------------------------------------------------------------
// Values and resources

export type ValueType = "SCALAR" | "RANGES" | "SET" | "TEXT";

export interface ValueScalar {
  /** A number; Mesos' parser also accepts "Infinity" (used by TaskInfo.limits). */
  value: number | string;
}
export interface ValueRange {
  begin: number;
  end: number;
}
export interface ValueRanges {
  range?: ValueRange[];
}
export interface ValueSet {
  item?: string[];
}
export interface ValueText {
  value: string;
}

export interface Attribute {
  name: string;
  type: ValueType;
  scalar?: ValueScalar;
  ranges?: ValueRanges;
  set?: ValueSet;
  text?: ValueText;
}

export interface ResourceAllocationInfo {
  role?: string;
}

export type ReservationType = "UNKNOWN" | "STATIC" | "DYNAMIC";

export interface ResourceReservationInfo {
  type?: ReservationType;
  role?: string;
  principal?: string;
  labels?: Labels;
}

export interface Resource {
  name: string;
  type: ValueType;
  scalar?: ValueScalar;
  ranges?: ValueRanges;
  set?: ValueSet;
  /** Deprecated single-role form ("*" = unreserved); only present for pre-refinement schedulers. */
  role?: string;
  allocation_info?: ResourceAllocationInfo;
  /** Deprecated pre-refinement reservation; kept verbatim when copied from an offer. */
  reservation?: ResourceReservationInfo;
  reservations?: ResourceReservationInfo[];
  disk?: Record<string, unknown>;
  revocable?: Record<string, never>;
  shared?: Record<string, never>;
  provider_id?: { value: string };
}

// --------------------------------------------------------------------------------------------------------
// Framework, master, agent

export type FrameworkCapabilityType =
  | "UNKNOWN"
  | "REVOCABLE_RESOURCES"
  | "TASK_KILLING_STATE"
  | "GPU_RESOURCES"
  | "SHARED_RESOURCES"
  | "PARTITION_AWARE"
  | "MULTI_ROLE"
  | "RESERVATION_REFINEMENT"
  | "REGION_AWARE";

export interface FrameworkInfo {
  user: string;
  name: string;
  id?: FrameworkID;
  /** Seconds; 0 (the default) tears the framework down as soon as it disconnects. */
  failover_timeout?: number;
  checkpoint?: boolean;
  /** Deprecated single role; titan always uses `roles` with the MULTI_ROLE capability. */
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  capabilities?: Array<{ type: FrameworkCapabilityType }>;
  labels?: Labels;
}

export interface DomainInfo {
  fault_domain?: {
    region: { name: string };
    zone: { name: string };
  };
}

export interface MasterInfo {
  id: string;
  ip: number;
  port: number;
  pid?: string;
  hostname?: string;
  version?: string;
  address?: Address;
  domain?: DomainInfo;
  capabilities?: Array<{ type: string }>;
}

export interface AgentInfo {
  hostname: string;
  port?: number;
  resources?: Resource[];
  attributes?: Attribute[];
  id?: AgentID;
  domain?: DomainInfo;
}

// --------------------------------------------------------------------------------------------------------
// Tasks

/** `mesos.v1.Secret`: a reference into the cluster's secret store (resolved on the agent), or a value. */
export interface Secret {
  type?: "UNKNOWN" | "REFERENCE" | "VALUE";
  reference?: { name: string; key?: string };
  /** `bytes`: base64 in JSON. */
  value?: { data: string };
}

export interface EnvironmentVariable {
  name: string;
  type?: "UNKNOWN" | "VALUE" | "SECRET";
  value?: string;
  /** With type SECRET: only one of `value` and `secret` is set. */
  secret?: Secret;
}

export interface CommandInfoURI {
  value: string;
  executable?: boolean;
  extract?: boolean;
  cache?: boolean;
  output_file?: string;
}

export interface CommandInfo {
  uris?: CommandInfoURI[];
  environment?: { variables?: EnvironmentVariable[] };
  /** Default true: `/bin/sh -c value`. false: `value` is the executable and `arguments` the full argv. */
  shell?: boolean;
  value?: string;
  arguments?: string[];
  user?: string;
}

export interface Image {
  type: "APPC" | "DOCKER";
  docker?: { name: string };
  cached?: boolean;
}

export interface PortMapping {
  host_port: number;
  container_port: number;
  protocol?: string;
}

export interface DockerInfo {
  image: string;
  network?: "HOST" | "BRIDGE" | "NONE" | "USER";
  port_mappings?: PortMapping[];
  privileged?: boolean;
  parameters?: Parameter[];
  force_pull_image?: boolean;
}

export interface Volume {
  mode?: "RW" | "RO";
  container_path: string;
  host_path?: string;
}

export interface ContainerInfo {
  type: "DOCKER" | "MESOS";
  volumes?: Volume[];
  hostname?: string;
  docker?: DockerInfo;
  mesos?: { image?: Image };
  network_infos?: Array<{
    name?: string;
    ip_addresses?: Array<{ protocol?: "IPv4" | "IPv6"; ip_address?: string }>;
  }>;
}

export interface HealthCheckHTTP {
  scheme?: string;
  port: number;
  path?: string;
  protocol?: "IPv4" | "IPv6";
  statuses?: number[];
}

export interface HealthCheck {
  type?: "UNKNOWN" | "COMMAND" | "HTTP" | "TCP";
  delay_seconds?: number;
  interval_seconds?: number;
  timeout_seconds?: number;
  consecutive_failures?: number;
  grace_period_seconds?: number;
  command?: CommandInfo;
  http?: HealthCheckHTTP;
  tcp?: { port: number; protocol?: "IPv4" | "IPv6" };
}

export interface KillPolicy {
  grace_period?: DurationInfo;
}

export interface Port {
  number: number;
  name?: string;
  protocol?: string;
  visibility?: "FRAMEWORK" | "CLUSTER" | "EXTERNAL";
  labels?: Labels;
}

export interface DiscoveryInfo {
  visibility: "FRAMEWORK" | "CLUSTER" | "EXTERNAL";
  name?: string;
  environment?: string;
  location?: string;
  version?: string;
  ports?: { ports?: Port[] };
  labels?: Labels;
}

export interface ExecutorInfo {
  type?: "UNKNOWN" | "DEFAULT" | "CUSTOM";
  executor_id: ExecutorID;
  framework_id?: FrameworkID;
  command?: CommandInfo;
  container?: ContainerInfo;
  resources?: Resource[];
  name?: string;
  source?: string;
  labels?: Labels;
}

export interface TaskInfo {
  name: string;
  task_id: TaskID;
  agent_id: AgentID;
  resources?: Resource[];
  executor?: ExecutorInfo;
  command?: CommandInfo;
  container?: ContainerInfo;
  health_check?: HealthCheck;
  kill_policy?: KillPolicy;
  /** base64 */
  data?: string;
  labels?: Labels;
  discovery?: DiscoveryInfo;
  max_completion_time?: DurationInfo;
  limits?: Record<string, ValueScalar>;
}

export type TaskState =
  | "TASK_STAGING"
  | "TASK_STARTING"
  | "TASK_RUNNING"
  | "TASK_KILLING"
  | "TASK_FINISHED"
  | "TASK_FAILED"
  | "TASK_KILLED"
  | "TASK_ERROR"
  | "TASK_LOST"
  | "TASK_DROPPED"
  | "TASK_UNREACHABLE"
  | "TASK_GONE"
  | "TASK_GONE_BY_OPERATOR"
  | "TASK_UNKNOWN";

export type TaskStatusSource = "SOURCE_MASTER" | "SOURCE_AGENT" | "SOURCE_EXECUTOR";

export interface ContainerStatus {
  container_id?: ContainerID;
  network_infos?: ContainerInfo["network_infos"];
  executor_pid?: number;
}

export interface TaskStatus {
  task_id: TaskID;
  state: TaskState;
  message?: string;
  source?: TaskStatusSource;
  /** A `TaskStatus.Reason` name, e.g. REASON_RECONCILIATION; kept as a string so new reasons never break parsing. */
  reason?: string;
  /** base64 */
  data?: string;
  agent_id?: AgentID;
  executor_id?: ExecutorID;
  /** Seconds since the epoch (a plain double, unlike TimeInfo). */
  timestamp?: number;
  /** base64 of 16 bytes; present only on updates that must be acknowledged. */
  uuid?: string;
  healthy?: boolean;
  labels?: Labels;
  container_status?: ContainerStatus;
  unreachable_time?: TimeInfo;
}

/** `mesos.v1.Task`: what masters and agents report about a task. */
export interface Task {
  name: string;
  task_id: TaskID;
  framework_id: FrameworkID;
  executor_id?: ExecutorID;
  agent_id: AgentID;
  state: TaskState;
  resources?: Resource[];
  statuses?: TaskStatus[];
  status_update_state?: TaskState;
  status_update_uuid?: string;
  labels?: Labels;
  discovery?: DiscoveryInfo;
  container?: ContainerInfo;
  health_check?: HealthCheck;
  kill_policy?: KillPolicy;
  user?: string;
  limits?: Record<string, ValueScalar>;
}

// --------------------------------------------------------------------------------------------------------
// Offers and operations

/** `mesos.v1.Unavailability`: a maintenance window; without `duration` the machine may never come back. */
export interface Unavailability {
  start: TimeInfo;
  duration?: DurationInfo;
}

/** `mesos.v1.MachineID`: an agent's machine matches only when both fields match (hostname case-insensitively). */
export interface MachineID {
  hostname?: string;
  ip?: string;
}

export interface Offer {
  id: OfferID;
  framework_id: FrameworkID;
  agent_id: AgentID;
  hostname: string;
  url?: URL;
  domain?: DomainInfo;
  resources?: Resource[];
  attributes?: Attribute[];
  executor_ids?: ExecutorID[];
  allocation_info?: ResourceAllocationInfo;
  /** Set when the agent's machine is scheduled for maintenance. */
  unavailability?: Unavailability;
}

export interface InverseOffer {
  id: OfferID;
  url?: URL;
  framework_id: FrameworkID;
  agent_id?: AgentID;
  unavailability: Unavailability;
  /** Empty for maintenance: the whole agent is asked back. */
  resources?: Resource[];
}

export interface OfferOperation {
  type: "LAUNCH" | "LAUNCH_GROUP";
  id?: OperationID;
  launch?: { task_infos: TaskInfo[] };
  launch_group?: { executor: ExecutorInfo; task_group: { tasks: TaskInfo[] } };
}

export interface Filters {
  refuse_seconds?: number;
}

export interface OperationStatus {
  operation_id?: OperationID;
  state: string;
  message?: string;
  uuid?: MesosUUID;
  agent_id?: AgentID;
}
