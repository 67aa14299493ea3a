/**
 * The legacy hand-written JSON endpoints (`GET /master/state`, agent `GET /state`) and the files API. These are
 * NOT the protobuf JSON mapping: ids are plain strings, `slave` instead of `agent`, resources a flat object
 * (`{"cpus":8,"mem":31744,"ports":"[31000-32000]"}`), labels an array. Type declarations only.
 */
import type { ContainerInfo, DiscoveryInfo, HealthCheck, Label, TaskState } from "./mesos.js";

/** Scalars as numbers; ranges and sets as text, e.g. `"[31000-31004, 31006-32000]"`. */
export type LegacyResources = Record<string, number | string>;

export interface LegacyTaskStatus {
  state: TaskState;
  timestamp: number;
  healthy?: boolean;
  labels?: Label[];
  container_status?: unknown;
}

export interface LegacyTask {
  id: string;
  name: string;
  framework_id: string;
  /** "" for command tasks in the master's view. */
  executor_id: string;
  slave_id: string;
  state: TaskState;
  resources: LegacyResources;
  role?: string;
  statuses?: LegacyTaskStatus[];
  labels?: Label[];
  discovery?: DiscoveryInfo;
  container?: ContainerInfo;
  health_check?: HealthCheck;
}

export interface LegacySlave {
  id: string;
  hostname: string;
  port: number;
  pid: string;
  attributes: Record<string, number | string>;
  resources: LegacyResources;
  used_resources: LegacyResources;
  offered_resources: LegacyResources;
  reserved_resources?: Record<string, LegacyResources>;
  unreserved_resources?: LegacyResources;
  active: boolean;
  deactivated?: boolean;
  version?: string;
  capabilities?: string[];
  registered_time?: number;
}

export interface LegacyFramework {
  id: string;
  name: string;
  active?: boolean;
  connected?: boolean;
  user?: string;
  principal?: string;
  roles?: string[];
  role?: string;
  tasks?: LegacyTask[];
  unreachable_tasks?: LegacyTask[];
  completed_tasks?: LegacyTask[];
  labels?: Label[];
}

/** `GET /master/state`. */
export interface LegacyMasterState {
  version: string;
  id: string;
  pid: string;
  hostname: string;
  leader?: string;
  leader_info?: { id: string; pid: string; port: number; hostname: string };
  activated_slaves?: number;
  slaves: LegacySlave[];
  frameworks: LegacyFramework[];
  completed_frameworks?: LegacyFramework[];
}

export interface LegacyExecutor {
  id: string;
  name?: string;
  source?: string;
  container?: string;
  /** Absolute sandbox directory on the agent. */
  directory: string;
  resources?: LegacyResources;
  role?: string;
  type?: string;
  tasks?: LegacyTask[];
  queued_tasks?: LegacyTask[];
  completed_tasks?: LegacyTask[];
}

export interface LegacyAgentFramework {
  id: string;
  name: string;
  executors?: LegacyExecutor[];
  completed_executors?: LegacyExecutor[];
}

/** Agent `GET /state`. */
export interface LegacyAgentState {
  version?: string;
  id: string;
  pid?: string;
  hostname: string;
  flags?: Record<string, string>;
  frameworks?: LegacyAgentFramework[];
  completed_frameworks?: LegacyAgentFramework[];
}

/** `GET /files/read`: `data` is the raw bytes in a JSON string; `offset` echoes the request (or the size for a probe). */
export interface FilesReadResponse {
  data: string;
  offset: number;
}
