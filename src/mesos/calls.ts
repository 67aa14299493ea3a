import { defined, ifSet } from "./defined.js";
import type {
  FrameworkCapabilityType,
  FrameworkID,
  FrameworkInfo,
  Labels,
  OfferOperation,
  TaskInfo,
  TaskStatus,
} from "./types/mesos.js";
import type {
  AcceptCall,
  AcceptInverseOffersCall,
  AcknowledgeCall,
  DeclineCall,
  DeclineInverseOffersCall,
  KillCall,
  ReconcileCall,
  ReviveCall,
  SubscribeCall,
  SuppressCall,
  TeardownCall,
} from "./types/scheduler.js";

/**
 * Pure builders for every scheduler call titan sends. Each returns the exact JSON Mesos expects (snake_case,
 * `{value}` ids, `{nanoseconds}` durations); fixtures/mesos/scheduler/calls holds one reference per call.
 */

/**
 * MULTI_ROLE is required for `roles`; PARTITION_AWARE gives TASK_UNREACHABLE/GONE/DROPPED instead of the
 * ambiguous TASK_LOST; TASK_KILLING_STATE reports graceful kills; RESERVATION_REFINEMENT is the resource
 * format titan copies from offers.
 */
export const TITAN_CAPABILITIES: readonly FrameworkCapabilityType[] = [
  "MULTI_ROLE",
  "PARTITION_AWARE",
  "TASK_KILLING_STATE",
  "RESERVATION_REFINEMENT",
];

export interface FrameworkSettings {
  name: string;
  /** Unix user tasks run as unless a task's CommandInfo says otherwise; must be explicit with the HTTP API. */
  user: string;
  roles: readonly string[];
  principal?: string;
  /** Seconds Mesos keeps the framework's tasks after the subscription drops; titan uses weeks, never 0. */
  failoverTimeoutSeconds: number;
  /** Must be true for tasks to survive an agent restart. */
  checkpoint: boolean;
  hostname?: string;
  webuiUrl?: string;
  labels?: Readonly<Record<string, string>>;
  /** The id to fail over to (re-subscribe); absent for a new framework. */
  id?: string;
  /** The app asks for GPUs: subscribe with GPU_RESOURCES. */
  gpus?: boolean;
}

export function toLabels(labels: Readonly<Record<string, string>>): Labels {
  return { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) };
}

/**
 * The capabilities titan subscribes with: GPU_RESOURCES only when the app needs GPU agents (it asks for GPUs, or
 * its plan put it there for want of other room), because a master started with --filter_gpu_resources (the
 * default) offers GPU agents only to such frameworks, and a framework that has it would be offered (and could
 * fill) GPU agents with work that needs no GPU.
 */
export function frameworkCapabilities(needsGpus: boolean): FrameworkCapabilityType[] {
  return needsGpus ? [...TITAN_CAPABILITIES, "GPU_RESOURCES"] : [...TITAN_CAPABILITIES];
}

export function frameworkInfo(settings: FrameworkSettings): FrameworkInfo {
  return defined({
    user: settings.user,
    name: settings.name,
    roles: [...settings.roles],
    failover_timeout: settings.failoverTimeoutSeconds,
    checkpoint: settings.checkpoint,
    principal: settings.principal,
    hostname: settings.hostname,
    webui_url: settings.webuiUrl,
    capabilities: frameworkCapabilities(settings.gpus === true).map((type) => ({ type })),
    labels: ifSet(settings.labels, toLabels),
    id: ifSet(settings.id, id),
  });
}

/** SUBSCRIBE; when `info.id` is set the same id goes to the top-level `framework_id` (the master requires both). */
export function subscribeCall(info: FrameworkInfo): SubscribeCall {
  return defined({
    framework_id: ifSet(info.id, (fid) => id(fid.value)),
    type: "SUBSCRIBE" as const,
    subscribe: { framework_info: info },
  });
}

function id(value: string): { value: string } {
  return { value };
}

export function launchOperation(tasks: readonly TaskInfo[]): OfferOperation {
  return { type: "LAUNCH", launch: { task_infos: [...tasks] } };
}

export function acceptCall(
  frameworkId: FrameworkID,
  offerIds: readonly string[],
  operations: readonly OfferOperation[],
  refuseSeconds?: number,
): AcceptCall {
  return {
    framework_id: frameworkId,
    type: "ACCEPT",
    accept: defined({
      offer_ids: offerIds.map(id),
      operations: [...operations],
      filters: ifSet(refuseSeconds, (seconds) => ({ refuse_seconds: seconds })),
    }),
  };
}

export function declineCall(
  frameworkId: FrameworkID,
  offerIds: readonly string[],
  refuseSeconds?: number,
): DeclineCall {
  return {
    framework_id: frameworkId,
    type: "DECLINE",
    decline: defined({
      offer_ids: offerIds.map(id),
      filters: ifSet(refuseSeconds, (seconds) => ({ refuse_seconds: seconds })),
    }),
  };
}

/**
 * ACCEPT_INVERSE_OFFERS (the framework can give the agents back before the window) or DECLINE_INVERSE_OFFERS;
 * `refuseSeconds` keeps the master from asking again about those agents for that long.
 */
export function inverseOffersCall(
  frameworkId: FrameworkID,
  answer: "ACCEPT" | "DECLINE",
  inverseOfferIds: readonly string[],
  refuseSeconds?: number,
): AcceptInverseOffersCall | DeclineInverseOffersCall {
  const payload = {
    inverse_offer_ids: inverseOfferIds.map(id),
    ...(refuseSeconds === undefined ? {} : { filters: { refuse_seconds: refuseSeconds } }),
  };
  return answer === "ACCEPT"
    ? { framework_id: frameworkId, type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: payload }
    : { framework_id: frameworkId, type: "DECLINE_INVERSE_OFFERS", decline_inverse_offers: payload };
}

export function killCall(
  frameworkId: FrameworkID,
  task: { taskId: string; agentId?: string; gracePeriodMs?: number },
): KillCall {
  return {
    framework_id: frameworkId,
    type: "KILL",
    kill: defined({
      task_id: id(task.taskId),
      agent_id: ifSet(task.agentId, id),
      kill_policy: ifSet(task.gracePeriodMs, (ms) => ({ grace_period: durationMs(ms) })),
    }),
  };
}

/** `{nanoseconds}` for a duration in milliseconds (exact for any whole number of milliseconds). */
export function durationMs(ms: number): { nanoseconds: number } {
  return { nanoseconds: Math.round(ms) * 1_000_000 };
}

/**
 * ACKNOWLEDGE for an update, echoing `status.uuid` unchanged; undefined for updates without a uuid (reconciliation
 * answers and other master-generated updates), which must never be acknowledged.
 */
export function acknowledgeCall(frameworkId: FrameworkID, status: TaskStatus): AcknowledgeCall | undefined {
  if (status.uuid === undefined || status.uuid === "" || status.agent_id === undefined) return undefined;
  return {
    framework_id: frameworkId,
    type: "ACKNOWLEDGE",
    acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
  };
}

/** RECONCILE: explicit for the given tasks, implicit (every task the master knows) for an empty list. */
export function reconcileCall(
  frameworkId: FrameworkID,
  tasks: ReadonlyArray<{ taskId: string; agentId?: string }>,
): ReconcileCall {
  return {
    framework_id: frameworkId,
    type: "RECONCILE",
    reconcile: {
      tasks: tasks.map((t) => defined({ task_id: id(t.taskId), agent_id: ifSet(t.agentId, id) })),
    },
  };
}

export function suppressCall(frameworkId: FrameworkID, roles: readonly string[]): SuppressCall {
  return { framework_id: frameworkId, type: "SUPPRESS", suppress: { roles: [...roles] } };
}

export function reviveCall(frameworkId: FrameworkID, roles: readonly string[]): ReviveCall {
  return { framework_id: frameworkId, type: "REVIVE", revive: { roles: [...roles] } };
}

export function teardownCall(frameworkId: FrameworkID): TeardownCall {
  return { framework_id: frameworkId, type: "TEARDOWN" };
}
