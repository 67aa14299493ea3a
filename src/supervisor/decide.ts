import { nextActions, type RolloutDecision, type RolloutTask, type TaskPhase } from "../deploy/rollout.js";

/** One task of the app as the supervisor sees it. */
export interface SupervisedTask {
  taskId: string;
  instance: number;
  incarnation: number;
  state: string;
  killSent: boolean;
  /** Since when it runs healthy (or runs, without a health check). */
  healthySince?: number;
  /** Since when the master reports it unreachable. */
  unreachableSince?: number;
  /** Asked about in reconciliation and not answered yet. */
  unanswered: boolean;
}

export interface SuperviseInput {
  desired: number;
  now: number;
  tasks: readonly SupervisedTask[];
  /** Instances that may not be launched before the given time (restart backoff). */
  backoffUntil: ReadonlyMap<number, number>;
  /** An unreachable task may still run: its instance is replaced only after this long. */
  unreachableGraceMs: number;
}

/**
 * What the supervisor does next, with the deploy's rollout core: kills of duplicates and surplus, launches of
 * instances without a task. A supervisor never rolls: a task of any release stands for its instance (a rollout is
 * a deploy's job), so every task counts as current. An unreachable task may still run: until its grace passed it
 * holds its instance like a task reconciliation has not answered (never killed, never replaced); after it, its
 * instance is launched again, and when the original comes back the duplicate is killed.
 */
export function superviseDecision(input: SuperviseInput): RolloutDecision {
  const tasks: RolloutTask[] = input.tasks.map((t) => ({
    taskId: t.taskId,
    instance: t.instance,
    incarnation: t.incarnation,
    current: true,
    phase: phaseOf(t, input.now, input.unreachableGraceMs),
    ...(t.healthySince === undefined ? {} : { healthySince: t.healthySince }),
  }));
  // Replacements of lost instances are not a rollout's surge: any number may be on their way at once, and kills
  // of duplicates and surplus never wait for a replacement to count.
  return nextActions({
    desired: input.desired,
    maxSurge: input.desired + tasks.length,
    maxUnavailable: input.desired,
    minHealthyMs: 0,
    now: input.now,
    tasks,
    backoffUntil: input.backoffUntil,
  });
}

function phaseOf(task: SupervisedTask, now: number, graceMs: number): TaskPhase {
  if (task.unanswered) return "unknown";
  if (task.killSent || task.state === "TASK_KILLING") return "killing";
  if (task.state === "TASK_UNREACHABLE") {
    const since = task.unreachableSince ?? now;
    return now - since < graceMs ? "unknown" : "unreachable";
  }
  if (task.state === "TASK_RUNNING") return "running";
  return "starting";
}

/** Instances with no task that runs or may run: what the brake weighs recovery by. */
export function missingInstances(desired: number, tasks: readonly SupervisedTask[]): number {
  const present = new Set<number>();
  for (const t of tasks) {
    if (t.killSent || t.instance >= desired) continue;
    if (t.state === "TASK_RUNNING" || t.unanswered) present.add(t.instance);
  }
  return desired - present.size;
}
