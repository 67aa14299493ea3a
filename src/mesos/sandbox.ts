import type { LegacyAgentState, LegacyExecutor } from "./types/legacy.js";
import type { Task } from "./types/mesos.js";
import type { AgentGetState } from "./types/operator.js";

/**
 * Where a task's sandbox is on its agent. The v1 agent API does not expose directories, so from GET_STATE
 * this builds the agent's virtual path of the executor's latest run; the legacy `/state` has the absolute
 * `directory`. Command tasks use the task id as executor id; tasks of a task group (DEFAULT executor) live in
 * `tasks/<task id>` below the executor's sandbox.
 */
export function sandboxPathFromAgentState(
  state: AgentGetState,
  frameworkId: string,
  taskId: string,
): string | undefined {
  const tasks = state.get_tasks;
  const all: Task[] = [
    ...(tasks?.launched_tasks ?? []),
    ...(tasks?.queued_tasks ?? []),
    ...(tasks?.terminated_tasks ?? []),
    ...(tasks?.completed_tasks ?? []),
  ];
  const task = all.find((t) => t.task_id.value === taskId && t.framework_id.value === frameworkId);
  if (task === undefined) return undefined;
  const executorId = task.executor_id?.value ?? taskId;
  const executors = [
    ...(state.get_executors?.executors ?? []),
    ...(state.get_executors?.completed_executors ?? []),
  ];
  const executor = executors.find(
    (e) =>
      e.executor_info.executor_id.value === executorId &&
      (e.executor_info.framework_id === undefined || e.executor_info.framework_id.value === frameworkId),
  );
  const run = `/frameworks/${frameworkId}/executors/${executorId}/runs/latest`;
  return executor?.executor_info.type === "DEFAULT" && executorId !== taskId ? `${run}/tasks/${taskId}` : run;
}

function holdsTask(executor: LegacyExecutor, taskId: string): boolean {
  return [
    ...(executor.tasks ?? []),
    ...(executor.queued_tasks ?? []),
    ...(executor.completed_tasks ?? []),
  ].some((t) => t.id === taskId);
}

/** The absolute sandbox directory from the legacy agent `/state`, or undefined when the agent does not know the task. */
export function sandboxDirectoryFromLegacyState(
  state: LegacyAgentState,
  frameworkId: string,
  taskId: string,
): string | undefined {
  const frameworks = [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])].filter(
    (f) => f.id === frameworkId,
  );
  for (const framework of frameworks) {
    const executors = [...(framework.executors ?? []), ...(framework.completed_executors ?? [])];
    const executor = executors.find((e) => holdsTask(e, taskId)) ?? executors.find((e) => e.id === taskId);
    if (executor === undefined) continue;
    return executor.type === "DEFAULT" && executor.id !== taskId
      ? `${executor.directory}/tasks/${taskId}`
      : executor.directory;
  }
  return undefined;
}
