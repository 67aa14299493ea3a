import type { ResourceJson } from "../agent/api.js";
import { doubleOf, normalizeHealthCheckType, validateId } from "../common-validation.js";
import { isObject, type JsonObject } from "../json.js";
import { mergePools, type Pool, subtractPools, sumPools } from "../pools.js";
import { fromResourceJson, type Quantities } from "../resources.js";
import type { OfferRecord } from "./model.js";
import {
  shareCgroupsError,
  taskCommandAndContainerError,
  taskFieldsBeforeResourcesError,
} from "./task-fields.js";
import {
  duplicatePersistenceIdError,
  launchResourcesError,
  masterResourceError,
  moreThanAvailable,
  offeredContains,
  revocableMixError,
  taskPools,
  withAllocation,
} from "./task-resources.js";

/**
 * Validation of an ACCEPT call, as Master::accept does it: first the offers (unknown, used, another framework's,
 * several agents or roles), then each task of each LAUNCH against what is left of the offered resources. Pure:
 * the master applies the resulting plan.
 */

export interface AcceptInput {
  frameworkId: string;
  offerIds: readonly string[];
  operations: readonly JsonObject[];
  findOffer(id: string): OfferRecord | undefined;
  /** Whether the framework has an active or an unreachable task of this id (completed ones may be reused). */
  taskIdInUse(taskId: string): "active" | "unreachable" | undefined;
}

export interface Launch {
  task: JsonObject;
  taskId: string;
  quantities: Quantities;
  pools: Pool[];
  /** The task's resources with the offer's allocation_info filled in where the scheduler left it out. */
  resources: ResourceJson[];
}

export interface TaskRejection {
  task: JsonObject;
  taskId: string;
  agentId: string;
  message: string;
  reason: "REASON_TASK_INVALID" | "REASON_TASK_GROUP_INVALID";
}

export type AcceptPlan =
  | {
      kind: "invalid-offers";
      error: string;
      /**
       * Every outstanding offer named in the call, whichever framework holds it: removed, their resources recovered
       * without a filter and nobody told (Master::accept discards each, master.cpp discardOffer).
       */
      namedOffers: OfferRecord[];
      tasks: Array<{ task: JsonObject; taskId: string; agentId: string }>;
    }
  | {
      kind: "valid";
      offers: OfferRecord[];
      agentId: string;
      role: string;
      launches: Launch[];
      rejections: TaskRejection[];
      /** Offered resources no launch used: declined with the call's filter. */
      unused: Quantities;
      unusedPools: Pool[];
    };

function idOf(v: unknown): string {
  return isObject(v) && typeof v.value === "string" ? v.value : "";
}

interface LaunchedTask {
  task: JsonObject;
  group: boolean;
  /** Set when a resource of its operation is invalid: every task of that operation fails with it. */
  operationError?: string;
}

/** Every task named by LAUNCH and LAUNCH_GROUP operations, in order. */
function launchedTasks(operations: readonly JsonObject[]): LaunchedTask[] {
  const out: LaunchedTask[] = [];
  for (const op of operations) {
    const launch = op.launch;
    if (isObject(launch) && Array.isArray(launch.task_infos)) {
      const tasks = launch.task_infos.filter(isObject);
      // Master::accept: the operation's resources are checked first; then a LAUNCH may not ask for operation
      // feedback (an `id`), which only the other operations get.
      const operationError =
        launchResourcesError(tasks) ??
        (op.id === undefined ? undefined : "The `id` field cannot be set on LAUNCH operations");
      for (const task of tasks)
        out.push(
          operationError === undefined ? { task, group: false } : { task, group: false, operationError },
        );
    }
    const group = op.launch_group;
    if (isObject(group) && isObject(group.task_group) && Array.isArray(group.task_group.tasks)) {
      for (const t of group.task_group.tasks) if (isObject(t)) out.push({ task: t, group: true });
    }
  }
  return out;
}

/**
 * src/master/validation.cpp offer::validate, after Master::accept's own "No offers specified": each rule over every
 * offer before the next rule (unique ids, offers still outstanding, the framework's own, one role, one agent).
 */
function validateOffers(input: AcceptInput): { error?: string; offers: OfferRecord[] } {
  const ids = input.offerIds;
  if (ids.length === 0) return { error: "No offers specified", offers: [] };
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return { error: `Duplicate offer ${id} in offer list`, offers: [] };
    seen.add(id);
  }
  const offers: OfferRecord[] = [];
  for (const id of ids) {
    const offer = input.findOffer(id);
    if (!offer) return { error: `Offer ${id} is no longer valid`, offers: [] };
    offers.push(offer);
  }
  for (const offer of offers) {
    if (offer.frameworkId !== input.frameworkId) {
      return {
        error: `Offer ${offer.id} has invalid framework ${offer.frameworkId} while framework ${input.frameworkId} is expected`,
        offers,
      };
    }
  }
  const first = offers[0] as OfferRecord;
  for (const offer of offers) {
    // The quotes are unbalanced in Mesos' own message (validateAllocationRole); kept as a master writes it.
    if (offer.role !== first.role)
      return {
        error: `Aggregated offers must be allocated to the same role. Offer ${offer.id} uses role '${offer.role} but another is using role '${first.role}`,
        offers,
      };
  }
  for (const offer of offers) {
    if (offer.agentId !== first.agentId)
      return {
        error: `Aggregated offers must belong to one single agent. Offer ${offer.id} uses agent ${offer.agentId} and agent ${first.agentId}`,
        offers,
      };
  }
  return { offers };
}

interface TaskCheck {
  error?: string;
  quantities?: Quantities;
  pools?: Pool[];
  resources?: ResourceJson[];
}

/**
 * src/master/validation.cpp task::validate for a task of a LAUNCH, in its order: validateTask (id, unique id,
 * agent, kill policy, max completion time, check, health check, resources, command, container, limits), then
 * validateExecutor (command or executor, and the offered resources containing the task's), then
 * validateShareCgroups. The first failing check is the TASK_ERROR message.
 */
function checkTask(
  task: JsonObject,
  agentId: string,
  role: string,
  available: readonly Pool[],
  seen: Set<string>,
  input: AcceptInput,
): TaskCheck {
  const taskId = idOf(task.task_id);
  const idError = validateId(taskId);
  if (idError) return { error: idError };
  const inUse = seen.has(taskId) ? "active" : input.taskIdInUse(taskId);
  if (inUse === "active") return { error: `Task has duplicate ID: ${taskId}` };
  if (inUse === "unreachable") return { error: `Task reuses the ID of an unreachable task: ${taskId}` };
  const taskAgent = idOf(task.agent_id);
  if (taskAgent !== agentId)
    return { error: `Task uses invalid agent ${taskAgent} while agent ${agentId} is expected` };
  const fieldsError = taskFieldsBeforeResourcesError(task);
  if (fieldsError !== undefined) return { error: fieldsError };
  // The master gives every resource without allocation_info the offers' role before validating
  // (protobuf::injectAllocationInfo in Master::accept).
  const resources = withAllocation(Array.isArray(task.resources) ? task.resources : [], role);
  if (resources.length === 0) return { error: "Task uses no resources" };
  const parsed = fromResourceJson(resources);
  if (!parsed.ok) return { error: `Task uses invalid resources: Invalid resources: ${parsed.error}` };
  const masterError = masterResourceError(resources, parsed.quantities.gpus);
  if (masterError !== undefined) return { error: `Task uses invalid resources: ${masterError}` };
  const pools = taskPools(resources);
  if (typeof pools === "string") return { error: `Task uses invalid resources: Invalid resources: ${pools}` };
  const duplicateId = duplicatePersistenceIdError(resources);
  if (duplicateId !== undefined) return { error: `Task uses duplicate persistence ID: ${duplicateId}` };
  const allocation = allocationRoleOf(resources);
  if (allocation.error !== undefined) return { error: `Invalid task resources: ${allocation.error}` };
  const revocableMix = revocableMixError(resources);
  if (revocableMix !== undefined)
    return { error: `Task mixes revocable and non-revocable resources: ${revocableMix}` };
  const commandOrContainerError = taskCommandAndContainerError(task);
  if (commandOrContainerError !== undefined) return { error: commandOrContainerError };
  const limitsError = normalizeLimits(task, parsed.quantities);
  if (limitsError !== undefined) return { error: limitsError };
  if ((task.command === undefined) === (task.executor === undefined)) {
    return { error: "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present" };
  }
  if (task.executor !== undefined)
    return { error: "Custom executors are not supported by the titan local cluster" };
  // Entry by entry, never by totals: reserved cpus do not stand in for unreserved ones, nor one role's for
  // another's; resources allocated to a role other than the offers' are never contained in them.
  if (allocation.role !== role || !offeredContains(available, pools))
    return { error: moreThanAvailable(pools, available, role, allocation.role) };
  const cgroupsError = shareCgroupsError(task);
  if (cgroupsError !== undefined) return { error: cgroupsError };
  return { quantities: parsed.quantities, pools: pools.pools, resources };
}

/**
 * resource::validateAllocatedToSingleRole (src/master/validation.cpp), on resources that all carry allocation_info:
 * the one role they are allocated to.
 */
function allocationRoleOf(resources: readonly ResourceJson[]): { role: string; error?: string } {
  let role: string | undefined;
  for (const resource of resources) {
    const own = resource.allocation_info?.role;
    if (typeof own !== "string") return { role: "", error: "The resources are not allocated to a role" };
    if (role === undefined) role = own;
    else if (own !== role)
      return {
        role,
        error: `The resources have multiple allocation roles ('${own}' and '${role}') but only one allocation role is allowed`,
      };
  }
  return { role: role ?? "" };
}

export function planAccept(input: AcceptInput): AcceptPlan {
  const tasks = launchedTasks(input.operations);
  const offerCheck = validateOffers(input);
  if (offerCheck.error !== undefined) {
    const namedOffers = input.offerIds
      .map((id) => input.findOffer(id))
      .filter((o): o is OfferRecord => o !== undefined);
    return {
      kind: "invalid-offers",
      error: offerCheck.error,
      namedOffers: [...new Set(namedOffers)],
      tasks: tasks.map(({ task }) => ({ task, taskId: idOf(task.task_id), agentId: idOf(task.agent_id) })),
    };
  }
  const offers = offerCheck.offers;
  const first = offers[0] as OfferRecord;
  let available = mergePools(...offers.map((o) => o.pools));
  const launches: Launch[] = [];
  const rejections: TaskRejection[] = [];
  const seen = new Set<string>();
  for (const { task, group, operationError } of tasks) {
    const taskId = idOf(task.task_id);
    if (operationError !== undefined) {
      rejections.push({
        task,
        taskId,
        agentId: idOf(task.agent_id),
        message: operationError,
        reason: "REASON_TASK_INVALID",
      });
      continue;
    }
    if (group) {
      rejections.push({
        task,
        taskId,
        agentId: idOf(task.agent_id),
        message: "LAUNCH_GROUP is not supported by the titan local cluster",
        reason: "REASON_TASK_GROUP_INVALID",
      });
      continue;
    }
    if (isObject(task.health_check)) normalizeHealthCheckType(task.health_check);
    const check = checkTask(task, first.agentId, first.role, available, seen, input);
    if (check.error !== undefined || !check.quantities || !check.resources || !check.pools) {
      rejections.push({
        task,
        taskId,
        agentId: idOf(task.agent_id),
        message: check.error ?? "",
        reason: "REASON_TASK_INVALID",
      });
      continue;
    }
    seen.add(taskId);
    available = subtractPools(available, check.pools);
    launches.push({
      task,
      taskId,
      quantities: check.quantities,
      pools: check.pools,
      resources: check.resources,
    });
  }
  return {
    kind: "valid",
    offers,
    agentId: first.agentId,
    role: first.role,
    launches,
    rejections,
    unused: sumPools(available),
    unusedPools: available,
  };
}

/**
 * src/master/validation.cpp task::internal::validateResourceLimits: only cpus and mem, each at least its request
 * (an infinite memory limit always passes; memory compared in whole megabytes). The values are kept as doubles, so `"Infinity"` is written back as the
 * bare token a real master writes.
 */
function normalizeLimits(task: JsonObject, requested: Quantities): string | undefined {
  if (task.limits === undefined) return undefined;
  if (!isObject(task.limits)) return "Invalid limits: expected a map of resource names to values";
  const normalized: JsonObject = {};
  for (const [name, entry] of Object.entries(task.limits)) {
    if (name !== "cpus" && name !== "mem")
      return "Only cpus and mem may be included in a task's resource limits";
    const value = isObject(entry) ? doubleOf(entry.value) : undefined;
    if (value === undefined) return `Invalid limit for '${name}': expected {"value": <double>}`;
    normalized[name] = { value };
  }
  const cpus = normalized.cpus as { value: number } | undefined;
  if (cpus !== undefined) {
    if (requested.cpus <= 0) return "When a CPU limit is specified, a CPU request must also be specified";
    if (cpus.value < requested.cpus) return "The cpu limit must be greater than or equal to the cpu request";
  }
  const mem = normalized.mem as { value: number } | undefined;
  if (mem !== undefined) {
    if (requested.mem <= 0)
      return "When a memory limit is specified, a memory request must also be specified";
    // Both sides are whole megabytes there: the request as Resources::mem() truncates it, the limit as it becomes
    // Bytes (an integral count of megabytes), so 100.2 is no less than 100.5.
    if (Number.isFinite(mem.value) && Math.trunc(mem.value) < Math.trunc(requested.mem))
      return "The memory limit must be greater than or equal to the memory request";
  }
  task.limits = normalized;
  return undefined;
}
