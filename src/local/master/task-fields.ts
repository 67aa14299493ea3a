import {
  checkInfoError,
  containerInfoError,
  environmentError,
  healthCheckError,
} from "../common-validation.js";
import { isObject, type JsonObject } from "../json.js";

/**
 * The checks of a TaskInfo's own fields that src/master/validation.cpp task::internal::validateTask makes between
 * the agent id and the resources (kill policy, max completion time, check, health check), and those after the
 * resources (command, container), with the master's TASK_ERROR messages.
 */

function nanosecondsOf(duration: unknown): number | undefined {
  if (!isObject(duration)) return undefined;
  const n = Number(duration.nanoseconds);
  return Number.isNaN(n) ? undefined : n;
}

/** validateKillPolicy, validateMaxCompletionTime, validateCheck and validateHealthCheck, in that order. */
export function taskFieldsBeforeResourcesError(task: JsonObject): string | undefined {
  const grace = isObject(task.kill_policy) ? nanosecondsOf(task.kill_policy.grace_period) : undefined;
  if (grace !== undefined && grace < 0) return "Task's 'kill_policy.grace_period' must be non-negative";
  const maxCompletion = nanosecondsOf(task.max_completion_time);
  if (maxCompletion !== undefined && maxCompletion < 0)
    return "Task's `max_completion_time` must be non-negative";
  if (isObject(task.check)) {
    const error = checkInfoError(task.check);
    if (error !== undefined) return `Task uses invalid check: ${error}`;
  }
  if (isObject(task.health_check)) {
    const error = healthCheckError(task.health_check);
    if (error !== undefined) return `Task uses invalid health check: ${error}`;
  }
  return undefined;
}

/** validateCommandInfo and validateContainerInfo. */
export function taskCommandAndContainerError(task: JsonObject): string | undefined {
  if (isObject(task.command)) {
    const error = environmentError(task.command.environment);
    if (error !== undefined) return `Task's \`CommandInfo\` is invalid: ${error}`;
  }
  if (isObject(task.container)) {
    const error = containerInfoError(task.container);
    if (error !== undefined) return `Task's \`ContainerInfo\` is invalid: ${error}`;
  }
  return undefined;
}

/** validateShareCgroups: only tasks of a task group may leave their executor's cgroups. */
export function shareCgroupsError(task: JsonObject): string | undefined {
  const linux = isObject(task.container) ? task.container.linux_info : undefined;
  if (isObject(linux) && linux.share_cgroups === false)
    return "Only tasks in a task group may have 'share_cgroups' set to 'false'";
  return undefined;
}
