/**
 * The boundary between the local cluster's master and its agents. Agents run in the master's process; the master
 * validates calls, owns offers and the reliable delivery of status updates to frameworks (uuid, retry until
 * acknowledged); an agent runs tasks as real processes in sandboxes, runs their health checks and reports every
 * state change through `onStatus`. JSON shapes below follow mesos.v1 (mesos.proto) field names exactly.
 */

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
  reservations?: Array<{ type: "STATIC" | "DYNAMIC"; role?: string; principal?: string; labels?: LabelsJson }>;
}

export interface LabelsJson {
  labels: Array<{ key: string; value?: string }>;
}

export interface EnvironmentJson {
  variables: Array<{ name: string; type?: "VALUE" | "SECRET" | "UNKNOWN"; value?: string }>;
}

export interface CommandInfoJson {
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
  grace_period?: { nanoseconds: number | string };
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
  labels?: LabelsJson;
  discovery?: unknown;
}

/** mesos.v1.TaskState names. */
export type TaskStateName =
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
}

export interface AgentResources {
  cpus: number;
  mem: number;
  disk: number;
  gpus?: number;
  ports: RangeJson[];
}

export interface LocalAgentOptions {
  id: string;
  hostname: string;
  /** TEXT attributes: zone, rack, instance_type. */
  attributes: Readonly<Record<string, string>>;
  resources: AgentResources;
  /** Root directory for this agent's sandboxes and its state. */
  workDir: string;
  /** The agent's HTTP port on 127.0.0.1 (0 = pick a free one). */
  port?: number;
  /** The master's URL, for the agent's /state `master_hostname` and links. */
  masterUrl?: string;
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
}

/** What the master needs from an agent. Implemented by src/local/agent/agent.ts. */
export interface LocalAgentHandle {
  readonly id: string;
  readonly hostname: string;
  /** http://127.0.0.1:PORT once started. */
  readonly url: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly resources: AgentResources;
  start(): Promise<void>;
  /** Kills every task (SIGTERM, then SIGKILL after each task's grace) and closes the HTTP server. */
  stop(): Promise<void>;
  /** Starts the task's process; reports TASK_STARTING, TASK_RUNNING, ... through onStatus. Never throws for task-level failures (they become TASK_FAILED/TASK_ERROR statuses). */
  launch(frameworkId: string, task: TaskInfoJson): void;
  /** Kills a task honouring the grace period (defaults to the task's kill_policy, else 3 s); reports TASK_KILLING (if the framework asked for it) and TASK_KILLED. */
  kill(frameworkId: string, taskId: string, gracePeriodMs?: number): void;
  /** Tasks known to the agent, including terminal ones not yet cleaned up. */
  tasks(): AgentTaskView[];
  /** Fault injection: stop answering HTTP and stop reporting statuses (queued, delivered on heal), tasks keep running. */
  partition(): void;
  heal(): void;
}
