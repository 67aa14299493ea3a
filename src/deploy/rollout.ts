/**
 * The rollout state machine: given what should run and what runs, the next launches and kills. Pure and
 * re-evaluated after every change, so a re-run after a crash continues from whatever the cluster holds.
 *
 * Two invariants hold at every moment, whatever order updates arrive in:
 *   live     ≤ desired + maxSurge          (live: every non-terminal task, killing ones and launches in flight)
 *   counting ≥ desired − maxUnavailable    (never broken by a kill titan decides; only the cluster can lose tasks)
 */

/** Where a task stands, as far as the rollout cares. Terminal tasks are not passed in at all. */
export type TaskPhase =
  /** Launch sent (intent written), no update yet, or TASK_STAGING/STARTING. */
  | "starting"
  /** TASK_RUNNING (health not yet proven, or proven for less than min_healthy_time). */
  | "running"
  /** A kill was sent (or TASK_KILLING); it still holds resources until it is terminal. */
  | "killing"
  /** TASK_UNREACHABLE: may still run; it neither counts nor may be replaced until it is gone. */
  | "unreachable"
  /**
   * Asked about and not answered (after a master failover, its agent has not re-registered): it may run. It holds
   * its instance (nothing is launched in its place), never counts and is never killed until the master reports it.
   */
  | "unknown";

export interface RolloutTask {
  taskId: string;
  instance: number;
  incarnation: number;
  /** Carries the target release's spec (its digest matches). */
  current: boolean;
  phase: TaskPhase;
  /** Since when the task is RUNNING and healthy (or RUNNING without a health check); absent otherwise. */
  healthySince?: number;
  /** Its replacement was already counted against the disruption budget (its KILL sent once before). */
  charged?: boolean;
  /**
   * A supervisor's: whether the task runs the supervised release's spec. Of two tasks of one instance that serve
   * alike, that one stays (the other may be an interrupted deploy's, whose health nothing judges meanwhile).
   */
  ofTarget?: boolean;
}

export interface RolloutLimits {
  desired: number;
  maxSurge: number;
  maxUnavailable: number;
  minHealthyMs: number;
}

export interface RolloutInput extends RolloutLimits {
  now: number;
  /** Every non-terminal task of the app. */
  tasks: readonly RolloutTask[];
  /** Instances that may not be launched before the given time (restart backoff after a failure). */
  backoffUntil?: ReadonlyMap<number, number>;
  /**
   * The target release has not proved itself (an instance failed after counting): counting tasks of the previous
   * release are not replaced, whatever the unavailability budget allows, until the release succeeds or rolls back.
   */
  keepPrevious?: boolean;
  /**
   * The limits bound replacements alone (a supervisor moving instances off an agent being emptied): a replacement is
   * launched only while live tasks stay within `desired + maxSurge`, and a replaced task that counts is killed only
   * while `desired − maxUnavailable` still count, while a missing instance is launched and a surplus or duplicate
   * task killed whatever they say (restoring the count is no rollout).
   */
  limitsReplacementsOnly?: boolean;
  /**
   * How many more running instances may start being replaced now: what the disruption budget's hour has left.
   * Absent: no limit. An instance whose replacement is on its way while its old task still runs holds a share.
   */
  disruptionAllowance?: number;
}

export type RolloutAction =
  | { kind: "launch"; instance: number }
  | { kind: "kill"; taskId: string; instance: number; reason: "replaced" | "surplus" | "duplicate" };

export interface RolloutDecision {
  actions: RolloutAction[];
  /** Every instance has exactly one current counting task and nothing else runs. */
  done: boolean;
  /** Instances still waiting for a current task, launched or not. */
  pending: number[];
  /** Instances whose replacement waits for the disruption budget (their old task runs on). */
  heldForBudget: number[];
}

export function counts(task: RolloutTask, now: number, minHealthyMs: number): boolean {
  return (
    task.phase === "running" && task.healthySince !== undefined && now - task.healthySince >= minHealthyMs
  );
}

/** The ordered next steps. Kills come first (they free capacity), then launches while the surge allows. */
export function nextActions(input: RolloutInput): RolloutDecision {
  const { desired, maxSurge, maxUnavailable, minHealthyMs, now } = input;
  const floor = Math.max(0, desired - maxUnavailable);
  const isCounting = (t: RolloutTask): boolean => counts(t, now, minHealthyMs);
  const active = input.tasks.filter((t) => t.phase !== "killing");

  // The task that stands for each wanted instance: a current one, the counting one first.
  const standing = new Map<number, RolloutTask>();
  for (const task of [...active].sort(byPreference(isCounting))) {
    if (!task.current || task.instance >= desired || task.phase === "unreachable") continue;
    if (!standing.has(task.instance)) standing.set(task.instance, task);
  }

  const unwanted: Array<{ task: RolloutTask; reason: "replaced" | "surplus" | "duplicate" }> = [];
  for (const task of active) {
    if (task.phase === "unreachable" || task.phase === "unknown") continue;
    if (standing.get(task.instance) === task) continue;
    if (task.instance >= desired) unwanted.push({ task, reason: "surplus" });
    else if (task.current) unwanted.push({ task, reason: "duplicate" });
    else unwanted.push({ task, reason: "replaced" });
  }
  // Kill what costs nothing first (not counting), then old tasks whose replacement already counts; of the rest,
  // what is no longer wanted before what is replaced, lower instances first: the plan's steps stop the surplus
  // first, then replace in instance order.
  const surplusFirst = (u: (typeof unwanted)[number]): number => (u.reason === "replaced" ? 1 : 0);
  unwanted.sort(
    (a, b) =>
      killOrder(a.task, standing, isCounting) - killOrder(b.task, standing, isCounting) ||
      surplusFirst(a) - surplusFirst(b) ||
      a.task.instance - b.task.instance,
  );

  // The disruption budget: replacing a running instance takes a share of the hour's allowance, once, when its
  // replacement is launched or its old task killed, whichever comes first.
  let allowance = input.disruptionAllowance ?? Number.POSITIVE_INFINITY;
  const replacedRunning = new Set(
    unwanted
      .filter((u) => u.reason === "replaced" && u.task.phase === "running" && u.task.charged !== true)
      .map((u) => u.task.instance),
  );
  const shared = new Set<number>();
  for (const instance of replacedRunning)
    if (standing.has(instance)) {
      allowance -= 1;
      shared.add(instance);
    }
  const held = new Set<number>();
  const takesShare = (instance: number): boolean => replacedRunning.has(instance) && !shared.has(instance);

  const actions: RolloutAction[] = [];
  let counting = input.tasks.filter(isCounting).length;
  const bounded = (reason: "replaced" | "surplus" | "duplicate"): boolean =>
    !input.limitsReplacementsOnly || reason === "replaced";
  for (const { task, reason } of unwanted) {
    if (isCounting(task)) {
      if (bounded(reason) && counting - 1 < floor) continue;
      if (input.keepPrevious && reason === "replaced") continue;
    }
    const share = reason === "replaced" && takesShare(task.instance);
    if (share && allowance < 1) {
      held.add(task.instance);
      continue;
    }
    // An old task with no counting replacement yet, while a replacement is on its way, waits for it unless the
    // budget of unavailability allows it to go now.
    if (isCounting(task)) counting -= 1;
    if (share) {
      allowance -= 1;
      shared.add(task.instance);
    }
    actions.push({ kind: "kill", taskId: task.taskId, instance: task.instance, reason });
  }

  // Missing instances first, then replacements, each in instance order: the steps `titan plan` shows (launch, then
  // replace in batches), so each launch finds the room the plan gave it.
  const killed = new Set(actions.map((a) => (a.kind === "kill" ? a.taskId : "")));
  // An unreachable task stands for nothing (below): its instance is missing, as the plan's launch step shows it.
  const occupied = new Set(
    active.filter((t) => !killed.has(t.taskId) && t.phase !== "unreachable").map((t) => t.instance),
  );
  const pending: number[] = [];
  for (let instance = 0; instance < desired; instance++)
    if (!standing.has(instance) && !occupied.has(instance)) pending.push(instance);
  for (let instance = 0; instance < desired; instance++)
    if (!standing.has(instance) && occupied.has(instance)) pending.push(instance);
  // An unreachable task holds nothing the cluster can offer (its agent is out of the allocator) and cannot be
  // killed until its agent returns (master.cpp, Master::kill: a task the master does not hold is reconciled
  // instead); a master keeps it unreachable for weeks (--registry_max_agent_age), then drops it without a word. It
  // takes no room in the surge, and its instance's replacement does not wait for it.
  const reachable = input.tasks.filter((t) => t.phase !== "unreachable").length;
  let live = reachable;
  const ceiling = desired + maxSurge;
  // The instances a launch replaces: an old task of theirs still holds its place, running or stopping.
  const replacing = new Set(
    input.tasks.filter((t) => !t.current && t.phase !== "unreachable").map((t) => t.instance),
  );
  for (const instance of pending) {
    if (live >= ceiling && (!input.limitsReplacementsOnly || replacing.has(instance))) continue;
    const until = input.backoffUntil?.get(instance);
    if (until !== undefined && until > now) continue;
    if (takesShare(instance)) {
      if (allowance < 1) {
        held.add(instance);
        continue;
      }
      allowance -= 1;
      shared.add(instance);
    }
    actions.push({ kind: "launch", instance });
    live += 1;
  }

  const done =
    pending.length === 0 && reachable === desired && [...standing.values()].every((t) => isCounting(t));
  return { actions, done, pending, heldForBudget: [...held].sort((a, b) => a - b) };
}

function byPreference(isCounting: (t: RolloutTask) => boolean): (a: RolloutTask, b: RolloutTask) => number {
  const rank = (t: RolloutTask): number => (isCounting(t) ? 0 : t.phase === "running" ? 1 : 2);
  const spec = (t: RolloutTask): number => (t.ofTarget === false ? 1 : 0);
  return (a, b) =>
    rank(a) - rank(b) ||
    spec(a) - spec(b) ||
    a.incarnation - b.incarnation ||
    a.taskId.localeCompare(b.taskId);
}

function killOrder(
  task: RolloutTask,
  standing: ReadonlyMap<number, RolloutTask>,
  isCounting: (t: RolloutTask) => boolean,
): number {
  if (!isCounting(task)) return 0;
  const replacement = standing.get(task.instance);
  if (replacement && isCounting(replacement)) return 1;
  return 2;
}
