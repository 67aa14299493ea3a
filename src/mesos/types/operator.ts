/**
 * JSON shapes of the v1 operator API (`mesos.v1.master.Call`/`Response`, `mesos.v1.agent.Call`/`Response`)
 * for the calls titan makes: master GET_STATE, GET_AGENTS, GET_TASKS, GET_FRAMEWORKS, GET_VERSION,
 * GET_HEALTH, GET_MASTER, GET_FLAGS, the maintenance calls and agent GET_STATE and GET_CONTAINERS. Type declarations
 * only.
 */
import type {
  AgentID,
  AgentInfo,
  ContainerID,
  ContainerStatus,
  ExecutorID,
  ExecutorInfo,
  FrameworkID,
  FrameworkInfo,
  MachineID,
  MasterInfo,
  Offer,
  Resource,
  Task,
  TimeInfo,
  Unavailability,
} from "./mesos.js";

export type MasterCallType =
  | "GET_STATE"
  | "GET_AGENTS"
  | "GET_TASKS"
  | "GET_FRAMEWORKS"
  | "GET_VERSION"
  | "GET_HEALTH"
  | "GET_MASTER"
  | "GET_FLAGS"
  | "GET_MAINTENANCE_STATUS"
  | "GET_MAINTENANCE_SCHEDULE"
  | "GET_QUOTA";
export type AgentCallType = "GET_STATE";

export interface OperatorCall<T extends string> {
  type: T;
}

export interface VersionInfo {
  version: string;
  build_date?: string;
  build_time?: number;
  build_user?: string;
  git_sha?: string;
  git_branch?: string;
  git_tag?: string;
}

export interface GetHealth {
  healthy: boolean;
}

export interface GetVersion {
  version_info: VersionInfo;
}

/** `mesos.v1.master.Response.GetMaster`. */
export interface GetMaster {
  master_info?: MasterInfo;
  start_time?: number;
  elected_time?: number;
}

/** `mesos.v1.master.Response.GetFlags`: every flag of the master that has a value, as text. */
export interface GetFlags {
  flags?: Array<{ name: string; value?: string }>;
}

export interface GetAgentsAgent {
  agent_info: AgentInfo;
  active: boolean;
  deactivated?: boolean;
  version: string;
  pid?: string;
  registered_time?: TimeInfo;
  reregistered_time?: TimeInfo;
  total_resources?: Resource[];
  allocated_resources?: Resource[];
  offered_resources?: Resource[];
  capabilities?: Array<{ type: string }>;
}

export interface GetAgents {
  agents?: GetAgentsAgent[];
  recovered_agents?: AgentInfo[];
}

export interface GetFrameworksFramework {
  framework_info: FrameworkInfo;
  active: boolean;
  connected: boolean;
  recovered: boolean;
  registered_time?: TimeInfo;
  reregistered_time?: TimeInfo;
  unregistered_time?: TimeInfo;
  offers?: Offer[];
  allocated_resources?: Resource[];
  offered_resources?: Resource[];
}

export interface GetFrameworks {
  frameworks?: GetFrameworksFramework[];
  completed_frameworks?: GetFrameworksFramework[];
}

export interface GetExecutors {
  executors?: Array<{ executor_info: ExecutorInfo; agent_id: AgentID }>;
}

export interface GetTasks {
  tasks?: Task[];
  unreachable_tasks?: Task[];
  completed_tasks?: Task[];
}

export interface GetState {
  get_tasks?: GetTasks;
  get_executors?: GetExecutors;
  get_frameworks?: GetFrameworks;
  get_agents?: GetAgents;
}

/** `mesos.v1.master.Response` for the calls titan makes; the payload key is the lower-snake call type. */
/** `mesos.v1.maintenance.Window` / `Schedule` (maintenance.proto). */
export interface MaintenanceWindow {
  machine_ids: MachineID[];
  unavailability: Unavailability;
}

export interface MaintenanceSchedule {
  windows?: MaintenanceWindow[];
}

/** `mesos.v1.allocator.InverseOfferStatus`: a framework's latest answer to an inverse offer for the machine. */
export interface InverseOfferStatus {
  status: "UNKNOWN" | "ACCEPT" | "DECLINE";
  framework_id: FrameworkID;
  timestamp: TimeInfo;
}

/** `mesos.v1.maintenance.ClusterStatus`. */
export interface MaintenanceClusterStatus {
  draining_machines?: Array<{ id: MachineID; statuses?: InverseOfferStatus[] }>;
  down_machines?: MachineID[];
}

/** `mesos.v1.quota.QuotaConfig`: a role's guarantees and limits, by resource name (absent: none). */
export interface QuotaConfig {
  role: string;
  guarantees?: Record<string, { value: number }>;
  limits?: Record<string, { value: number }>;
}

/** `mesos.v1.quota.QuotaStatus`; `infos` is the deprecated form of `configs`, without limits. */
export interface QuotaStatus {
  configs?: QuotaConfig[];
}

export interface MasterResponses {
  GET_STATE: GetState;
  GET_AGENTS: GetAgents;
  GET_TASKS: GetTasks;
  GET_FRAMEWORKS: GetFrameworks;
  GET_VERSION: GetVersion;
  GET_HEALTH: GetHealth;
  GET_MASTER: GetMaster;
  GET_FLAGS: GetFlags;
  GET_MAINTENANCE_STATUS: { status: MaintenanceClusterStatus };
  GET_MAINTENANCE_SCHEDULE: { schedule: MaintenanceSchedule };
  GET_QUOTA: { status: QuotaStatus };
}

export interface AgentGetTasks {
  pending_tasks?: Task[];
  queued_tasks?: Task[];
  launched_tasks?: Task[];
  terminated_tasks?: Task[];
  completed_tasks?: Task[];
}

export interface AgentGetExecutors {
  executors?: Array<{ executor_info: ExecutorInfo }>;
  completed_executors?: Array<{ executor_info: ExecutorInfo }>;
}

export interface AgentGetFrameworks {
  frameworks?: Array<{ framework_info: FrameworkInfo }>;
  completed_frameworks?: Array<{ framework_info: FrameworkInfo }>;
}

/**
 * `mesos.v1.ResourceStatistics`, the fields titan reads: what an agent's posix isolators fill from the container's
 * process tree (cpu times, resident memory), what cgroups isolators add (processes, threads), and the allocation
 * the containerizer adds (containerizer.cpp `_usage`: the soft limits are the container's requests, executor's
 * included; `cpus_limit` only when the task sets a cpu limit or the agent enforces CFS quotas).
 */
export interface ResourceStatistics {
  /** When the agent took the sample, seconds since the epoch. */
  timestamp: number;
  processes?: number;
  threads?: number;
  cpus_user_time_secs?: number;
  cpus_system_time_secs?: number;
  cpus_limit?: number;
  cpus_soft_limit?: number;
  mem_rss_bytes?: number;
  mem_limit_bytes?: number;
  mem_soft_limit_bytes?: number;
}

/** `mesos.v1.agent.Response.GetContainers.Container`. */
export interface AgentContainer {
  framework_id?: FrameworkID;
  executor_id?: ExecutorID;
  executor_name?: string;
  container_id: ContainerID;
  container_status?: ContainerStatus;
  resource_statistics?: ResourceStatistics;
}

/** `mesos.v1.agent.Response.GetContainers`. */
export interface AgentGetContainers {
  containers?: AgentContainer[];
}

/** `mesos.v1.agent.Response.GetState`. */
export interface AgentGetState {
  get_tasks?: AgentGetTasks;
  get_executors?: AgentGetExecutors;
  get_frameworks?: AgentGetFrameworks;
}
