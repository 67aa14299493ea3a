import type { LocalAgentHandle, ResourceJson, TaskInfoJson, TaskStateName } from "../agent/api.js";
import type { JsonObject } from "../json.js";
import type { Pool } from "../pools.js";
import type { Quantities } from "../resources.js";

/** The open SUBSCRIBE connection of a framework: an event sink that writes RecordIO records. */
export interface Subscription {
  readonly streamId: string;
  send(event: JsonObject): void;
  /** Ends the stream normally (after an ERROR event). */
  close(): void;
  /** Drops the connection as a crashing master does. */
  drop(): void;
}

export interface FrameworkCapabilities {
  multiRole: boolean;
  partitionAware: boolean;
  killingState: boolean;
  refinement: boolean;
  gpuResources: boolean;
  regionAware: boolean;
}

export interface OfferFilter {
  agentId: string;
  /** Filters are kept per role, as the allocator's `offerFilters[role][agent]`. */
  role: string;
  quantities: Quantities;
  expiresAt: number;
}

export interface TaskRecord {
  taskId: string;
  frameworkId: string;
  agentId: string;
  /** The TaskInfo as launched, with the offer's allocation_info filled in on its resources. */
  info: TaskInfoJson & JsonObject;
  resources: ResourceJson[];
  quantities: Quantities;
  /** Its resources by reservation stack (pools.ts). */
  pools: Pool[];
  role: string;
  state: TaskStateName;
  /**
   * The state and uuid of the last agent update the master forwarded to the framework (master.cpp
   * `Master::forward`); kept after its acknowledgement. Reconciliation answers it rather than `state`.
   */
  statusUpdateState?: TaskStateName;
  statusUpdateUuid?: string;
  statuses: JsonObject[];
  containerId: string;
  user: string;
  unreachableAt?: number;
}

export interface FrameworkRecord {
  id: string;
  /** FrameworkInfo as Mesos keeps it: the subscribed one, with `id` filled in. */
  info: JsonObject;
  capabilities: FrameworkCapabilities;
  roles: string[];
  subscription?: Subscription;
  /** Subscribed and not deactivated: gets offers. */
  active: boolean;
  /** Known from agents after a master failover, not re-subscribed yet. */
  recovered: boolean;
  registeredAt: number;
  reregisteredAt?: number;
  unregisteredAt?: number;
  suppressedRoles: Set<string>;
  filters: OfferFilter[];
  tasks: Map<string, TaskRecord>;
  unreachableTasks: Map<string, TaskRecord>;
  completedTasks: TaskRecord[];
  failoverTimer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
}

export interface OfferRecord {
  id: string;
  frameworkId: string;
  agentId: string;
  role: string;
  quantities: Quantities;
  /** What is offered, by reservation stack; `quantities` is their sum. */
  pools: Pool[];
  json: JsonObject;
  timer?: NodeJS.Timeout;
}

export type AgentState = "registered" | "unreachable";

export interface AgentRecord {
  handle: LocalAgentHandle;
  id: string;
  state: AgentState;
  /** The agent's process is gone (stopped or restarted under a new id): nothing it says reaches the master. */
  dead: boolean;
  /** Partitioned by fault injection: the master has not noticed yet or has marked it unreachable. */
  partitioned: boolean;
  /**
   * Kills the master could not deliver while the agent was cut off, by `frameworkId\0taskId` (with their grace):
   * sent again when it re-registers (master.cpp `Master::kill` keeps them in `killedTasks`).
   */
  killedTasks?: Map<string, { frameworkId: string; taskId: string; graceMs?: number }>;
  total: Quantities;
  /** The total by reservation stack: unreserved, statically and dynamically reserved. */
  pools: Pool[];
  registeredAt: number;
  reregisteredAt?: number;
  unreachableAt?: number;
  unreachableTimer?: NodeJS.Timeout;
  /**
   * After a master failover, the agent has not re-registered yet (the master's `slaves.recovered`): the master
   * knows only its AgentInfo, none of its tasks, makes no offers for it and answers no reconciliation about it.
   */
  recovering?: boolean;
  /**
   * The tasks the agent ran when the master failed over, which the new master does not know (its registry holds only
   * AgentInfos) until the agent re-registers with them, with the frameworks they belong to.
   */
  unknownTasks?: Array<{ framework: FrameworkRecord; task: TaskRecord }>;
  /**
   * Marked gone while it had not re-registered after a failover: the registry no longer lists it, but this master
   * keeps it among its recovered agents (master.cpp `Master::markGone` returns before erasing it, MESOS-9739).
   */
  markedGone?: boolean;
  /** The agent's re-registration with a new master, still to come. */
  reregisterTimer?: NodeJS.Timeout;
  registryTimer?: NodeJS.Timeout;
}
