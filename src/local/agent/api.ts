import type { FaultDomain } from "../fault-domain.js";
/**
 * The boundary between the local cluster's master and its agents. Agents run in the master's process; the master
 * validates calls, owns offers and the reliable delivery of status updates to frameworks (uuid, retry until
 * acknowledged); an agent runs tasks as real processes in sandboxes, runs their health checks and reports every
 * state change through `onStatus`. JSON shapes below follow mesos.v1 (mesos.proto) field names exactly.
 */

import type { TaskState } from "../../mesos/types/mesos.js";

export interface ValueJson {
  value: string;
}

export interface RangeJson {
  begin: number;
  end: number;
}

export interface ResourceJson {
  name: string;
  type: "SCALAR" | "RANGES" | "SET" | "TEXT";
  scalar?: { value: number };
  ranges?: { range: RangeJson[] };
  set?: { item: string[] };
  role?: string;
  allocation_info?: { role: string };
  reservations?: Array<{
    type: "STATIC" | "DYNAMIC";
    role?: string;
    principal?: string;
    labels?: LabelsJson;
  }>;
  disk?: DiskInfoJson;
}

/** mesos.v1.Resource.DiskInfo.Source of the two kinds an agent's `--resources` declares: a whole mount, or a path. */
export interface DiskSourceJson {
  type: "MOUNT" | "PATH";
  mount?: { root: string };
  path?: { root: string };
}

/** mesos.v1.Resource.DiskInfo as the local cluster's agents have it: a disk with a source, never a volume. */
export interface DiskInfoJson {
  source: DiskSourceJson;
}

export interface LabelsJson {
  labels: Array<{ key: string; value?: string }>;
}

export interface EnvironmentJson {
  variables: Array<{
    name: string;
    type?: "VALUE" | "SECRET" | "UNKNOWN";
    value?: string;
    /** mesos.proto Secret: a REFERENCE (name, key) for a resolver module, or a VALUE (base64 `data`). */
    secret?: {
      type?: "UNKNOWN" | "REFERENCE" | "VALUE";
      reference?: { name: string; key?: string };
      value?: { data: string };
    };
  }>;
}

export interface CommandInfoJson {
  /** Files the fetcher puts into the sandbox before the command starts. */
  uris?: Array<{
    value: string;
    executable?: boolean;
    extract?: boolean;
    cache?: boolean;
    output_file?: string;
  }>;
  shell?: boolean;
  value?: string;
  arguments?: string[];
  environment?: EnvironmentJson;
  user?: string;
}

export interface ContainerInfoJson {
  type: "DOCKER" | "MESOS";
  docker?: { image: string; network?: string; force_pull_image?: boolean };
  mesos?: { image?: { type: "APPC" | "DOCKER"; docker?: { name: string } } };
}

export interface HealthCheckJson {
  type: "COMMAND" | "HTTP" | "TCP" | "UNKNOWN";
  delay_seconds?: number;
  interval_seconds?: number;
  timeout_seconds?: number;
  consecutive_failures?: number;
  grace_period_seconds?: number;
  command?: CommandInfoJson;
  http?: { scheme?: string; port: number; path?: string; statuses?: number[] };
  tcp?: { port: number };
}

export interface KillPolicyJson {
  /** A bigint past 2^53, as the master's parser keeps an int64 (json.ts `parseJson`). */
  grace_period?: { nanoseconds: number | bigint | string };
}

/** mesos.v1.FrameworkInfo as the master passes it to the agent with a launch (the agent shows it in its state). */
export interface FrameworkInfoJson {
  user: string;
  name: string;
  id?: ValueJson;
  failover_timeout?: number;
  checkpoint?: boolean;
  role?: string;
  roles?: string[];
  hostname?: string;
  principal?: string;
  webui_url?: string;
  /** A capability whose type name the master did not know has no type (stout drops the name). */
  capabilities?: Array<{ type?: string }>;
  labels?: LabelsJson;
}

/** mesos.v1.ContainerStatus as the agent attaches it to TASK_RUNNING (health updates repeat it). */
export interface ContainerStatusJson {
  container_id?: ValueJson;
  network_infos?: Array<{ ip_addresses?: Array<{ protocol?: "IPv4" | "IPv6"; ip_address?: string }> }>;
  executor_pid?: number;
}

/** The subset of mesos.v1.TaskInfo the local cluster runs. */
export interface TaskInfoJson {
  name: string;
  task_id: ValueJson;
  agent_id: ValueJson;
  resources: ResourceJson[];
  command?: CommandInfoJson;
  container?: ContainerInfoJson;
  health_check?: HealthCheckJson;
  kill_policy?: KillPolicyJson;
  /** TaskInfo.limits (cpus, mem) as the master passes them on: a number, or Infinity for an unlimited one. */
  limits?: Record<string, { value: number }>;
  labels?: LabelsJson;
  discovery?: unknown;
}

/** mesos.v1.TaskState names, as the protocol's types declare them. */
export type TaskStateName = TaskState;

/** A state change an agent reports; the master turns it into a mesos.v1.TaskStatus with a uuid. */
export interface AgentStatus {
  frameworkId: string;
  taskId: string;
  state: TaskStateName;
  source: "SOURCE_EXECUTOR" | "SOURCE_AGENT";
  /** mesos.v1.TaskStatus.Reason name, e.g. REASON_COMMAND_EXECUTOR_FAILED, REASON_TASK_HEALTH_CHECK_STATUS_UPDATED. */
  reason?: string;
  message?: string;
  /** Present once a health check has run (as Mesos sets TaskStatus.healthy). */
  healthy?: boolean;
  /** Seconds since the epoch, as TaskStatus.timestamp. */
  timestamp: number;
  /** TaskStatus.executor_id: for a command task the agent's executor id equals the task id. */
  executorId?: string;
  /** TaskStatus.uuid (base64 of 16 random bytes) generated by the executor, as Mesos does; the master may reuse it. */
  uuid?: string;
  /** TaskStatus.container_status (container id, the agent's IP) on updates sent while the container runs. */
  containerStatus?: ContainerStatusJson;
}

export interface AgentResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus?: number;
  ports: RangeJson[];
  /** Statically reserved scalars by role, on top of the above (the agent's `--resources` `cpus(web):2`). */
  reserved?: Record<string, ReservedScalars>;
  /** Disks with a source (MOUNT or PATH), on top of `disk`: only a task naming the same source may use them. */
  disks?: SourcedDisk[];
}

/** A disk an agent's `--resources` JSON declares with a `disk.source`, of `size` MB, reserved to `role` when set. */
export interface SourcedDisk {
  source: DiskSourceJson;
  size: number;
  role?: string;
}

export interface ReservedScalars {
  cpus: number;
  mem: number;
  disk: number;
  gpus?: number;
}

export interface LocalAgentOptions {
  id: string;
  hostname: string;
  /** TEXT attributes: zone (unless the fault domain has it), rack, instance_type. */
  attributes: Readonly<Record<string, string>>;
  /** The agent's fault domain, as an agent started with --domain has one. */
  domain?: FaultDomain;
  resources: AgentResources;
  /** Root directory for this agent's sandboxes and its state. */
  workDir: string;
  /** The agent's HTTP port on 127.0.0.1 (0 = pick a free one). */
  port?: number;
  /** The master's URL, for the agent's /state `master_hostname` and links. */
  masterUrl?: string;
  /**
   * Run tasks as their user (FrameworkInfo.user or CommandInfo.user), as an agent started with --switch_user does;
   * default: when this process runs as root. Users are always checked: an unknown one drops the task.
   */
  switchUser?: boolean;
  /** HTTP Basic credentials for the agent's protected endpoints (as --authenticate_http_readonly/readwrite). */
  credentials?: { principal: string; secret: string };
  /**
   * How long a task's container may take to start its executor (image pull, fetch) before the agent destroys it, as
   * --executor_registration_timeout (default 1 minute).
   */
  executorRegistrationTimeoutMs?: number;
  /** Called for every task state change, in order per task. */
  onStatus(status: AgentStatus): void;
}

export interface AgentTaskView {
  frameworkId: string;
  taskInfo: TaskInfoJson;
  state: TaskStateName;
  /** The sandbox directory (the executor's `directory` in agent state). */
  sandbox: string;
  executorId: string;
  pid?: number;
  healthy?: boolean;
  /** The container id: the last component of the sandbox path. */
  containerId?: string;
}

/** What the master needs from an agent. Implemented by src/local/agent/agent.ts. */
export interface LocalAgentHandle {
  readonly id: string;
  readonly hostname: string;
  /** http://127.0.0.1:PORT once started. */
  readonly url: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly domain?: FaultDomain;
  readonly resources: AgentResources;
  start(): Promise<void>;
  /** Kills every task (SIGTERM, then SIGKILL after each task's grace) and closes the HTTP server. */
  stop(): Promise<void>;
  /**
   * Starts the task's process; reports TASK_STARTING, TASK_RUNNING, ... through onStatus. Never throws for task-level
   * failures (they become TASK_FAILED/TASK_ERROR statuses). `framework` is the framework's FrameworkInfo: the agent
   * shows it in /state and GET_STATE and sends TASK_KILLING only when it has the TASK_KILLING_STATE capability.
   */
  launch(frameworkId: string, task: TaskInfoJson, framework?: FrameworkInfoJson): void;
  /** Kills a task honouring the grace period (defaults to the task's kill_policy, else 3 s); reports TASK_KILLING (if the framework has TASK_KILLING_STATE) and TASK_KILLED; a repeated kill can only shorten the grace. */
  kill(frameworkId: string, taskId: string, gracePeriodMs?: number): void;
  /** Tasks known to the agent, including terminal ones not yet cleaned up. */
  tasks(): AgentTaskView[];
  /**
   * The master's ReconcileTasksMessage at re-registration: each of these tasks the agent does not know ends
   * TASK_DROPPED (TASK_LOST for a framework that is not partition-aware), "Reconciliation: task unknown to the
   * agent" (src/slave/slave.cpp `Slave::reregistered`).
   */
  reconcile(frameworkId: string, taskIds: readonly string[], partitionAware: boolean): void;
  /** Fault injection: stop answering HTTP and stop reporting statuses (queued, delivered on heal), tasks keep running. */
  partition(): void;
  heal(): void;
}
