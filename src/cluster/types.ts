import type { TaskState } from "../mesos/types/mesos.js";
import type { QuotaStatus } from "../mesos/types/operator.js";
import type { Agent, RunningTask, Scalars } from "../placement/types.js";
import type { TaskHealth } from "./task-status.js";

/** The two real formats a snapshot can be in. */
export type SnapshotFormat = "master-state" | "operator-get-state";

/**
 * One task titan runs, recognised by its labels: the one model plan, deploy, ps and logs read from a cluster
 * state (`collectTitanTasks`).
 */
export interface TitanTask {
  taskId: string;
  /** The framework that launched it, and that framework's name (titan's is `titan:<app>`). */
  frameworkId: string;
  framework: string;
  app: string;
  instance: number;
  /** The release that launched it, when labelled. */
  release?: number;
  region?: string;
  /** The manifest digest of the app spec it was launched from. */
  digest: string;
  /** The container image it runs, when it runs one. */
  image?: string;
  /** Mesos task state, e.g. TASK_RUNNING (a snapshot's `titanTasks` lists only non-terminal ones). */
  state: TaskState;
  agentId: string;
  /** The agent's hostname; the agent id when the master no longer lists the agent (partitioned, removed). */
  hostname: string;
  /** The agent's zone (fault domain or `zone` attribute). */
  zone?: string;
  demand: Scalars;
  /** Host ports it holds. */
  ports: readonly number[];
  health: TaskHealth;
  /** When the current state began (epoch ms). */
  since?: number;
  /** When the task was first seen (epoch ms): its age. */
  startedAt?: number;
}

/** The cluster as the plan sees it: agents titan may use, what runs on them, and titan's own tasks. */
export interface ClusterSnapshot {
  format: SnapshotFormat;
  /** The Mesos role titan launches under; free resources are computed for it. */
  role: string;
  /** Agents the master would offer, with what is free for `role`. */
  agents: Agent[];
  /** Every non-terminal task on those agents, titan's and other frameworks'. */
  running: RunningTask[];
  /** Titan's tasks by app name, ordered by instance. */
  titanTasks: Readonly<Record<string, readonly TitanTask[]>>;
  /** Things a user should know: agents skipped, tasks with unreadable titan labels. */
  warnings: readonly string[];
  /** Disk the agents have on MOUNT or PATH disks and volumes, which titan's tasks cannot take; absent when none. */
  setAsideDisk?: { agents: number; mb: number };
  /** The quota limit of titan's role and what the role consumes; absent when it has none, or from a snapshot file. */
  quota?: RoleQuota;
  /**
   * Agents that have not re-registered since the master failed over: it shows neither them nor their tasks, so
   * instances running there look missing. Absent when there are none, or from a snapshot file.
   */
  recoveringAgents?: number;
  /**
   * While agents have not re-registered: how long the master waits for them (its --agent_reregister_timeout, as it
   * writes it, and in ms) and when, by its clock, it gives up on them (its election plus that timeout), when it says.
   */
  reregisterWait?: { timeout: string; timeoutMs: number; endsAt?: number };
}

/**
 * What quota lets titan's role be offered: its limits (resources without one are unlimited) and consumed quota, as
 * the master counts them, and the headroom other roles' guarantees hold back.
 */
export interface RoleQuota {
  role: string;
  limits: Partial<Scalars>;
  consumed: Scalars;
  /**
   * Set when roles with quota guarantees lack some of them: the cluster's unallocated unreserved scalars, what the
   * other roles' unmet guarantees hold back of them, and what titan's role itself lacks of its own guarantee.
   */
  headroom?: { available: Scalars; heldBack: Scalars; ownUnmet: Scalars };
  /**
   * By agent id, the role's reservations nothing uses there, and by task id, what titan's tasks use of the role's
   * reservations: reserved resources are consumed quota already, so a task that takes them adds nothing to it.
   */
  reservedFree: Readonly<Record<string, Scalars>>;
  reservedUse: Readonly<Record<string, Scalars>>;
}

/** Where the plan reads the cluster from: a snapshot file now, the live master later. */
export interface ClusterStateSource {
  /** For messages: `snapshot us-east.json`, `master https://…`. */
  describe(): string;
  read(signal: AbortSignal): Promise<ClusterSnapshot>;
}

export interface SnapshotOptions {
  /** Titan's Mesos role; `*` (unreserved resources only) unless configured. */
  role: string;
  /** The master's quota, given beside a GET_STATE snapshot (`--quota`): the plan then checks it as live. */
  quota?: QuotaStatus;
}
