/**
 * When `titan supervise` reconciles, as the Mesos reconciliation guide prescribes: after every (re-)subscription
 * and periodically, first explicitly for every task it knows of, re-asking the unanswered ones with a truncated
 * exponential backoff until each was answered, then implicitly (an empty list: the master reports every task of
 * the framework it knows, including ones titan never heard of). A master that failed over answers nothing for
 * tasks on agents that have not re-registered yet, so the implicit call does not wait for them longer than a
 * hold; they stay unknown (never gone) and keep being asked. Which tasks are unanswered is the tracked instances'
 * `unanswered`. An immutable value: each function is told the time and returns the next one.
 */
export interface ReconcileTimings {
  /** Between periodic rounds (the guide suggests reconciling every fifteen minutes). */
  intervalMs: number;
  /** First re-ask of unanswered tasks, doubled each time up to the cap. */
  retryInitialMs: number;
  retryMaxMs: number;
  /** The implicit call waits this long at most for the explicit answers. */
  holdMs: number;
  /** How long the implicit answers are given to arrive before the round counts as done. */
  implicitSettleMs: number;
  /**
   * Between explicit questions about tasks held as unreachable: an agent that comes back erases, without a word,
   * the tasks it does not report (master.cpp `Master::__reregisterSlave`), and a supervisor with nothing to launch
   * has no offers to see it return by.
   */
  unreachableAskMs: number;
}

export const DEFAULT_RECONCILE_TIMINGS: ReconcileTimings = {
  intervalMs: 15 * 60_000,
  retryInitialMs: 1000,
  retryMaxMs: 60_000,
  holdMs: 10_000,
  implicitSettleMs: 1000,
  unreachableAskMs: 60_000,
};

export type ReconcileCall = { kind: "explicit"; taskIds: string[] } | { kind: "implicit" };

export interface ReconcileRounds {
  /** The round under way, if any. */
  readonly round: { readonly startedAt: number; readonly implicitSentAt: number | undefined } | undefined;
  readonly retryAt: number;
  readonly retryDelayMs: number;
  readonly lastBeganAt: number | undefined;
  /** When the last round completed, epoch ms: until the first one has, nothing is launched or killed. */
  readonly lastCompletedAt: number | undefined;
  /** Calls sent so far, for the metrics and the benchmark. */
  readonly calls: number;
  /** When the tasks held as unreachable were last asked about. */
  readonly unreachableAskedAt: number | undefined;
}

export const NO_ROUNDS: ReconcileRounds = {
  round: undefined,
  retryAt: 0,
  retryDelayMs: 0,
  lastBeganAt: undefined,
  lastCompletedAt: undefined,
  calls: 0,
  unreachableAskedAt: undefined,
};

/** A round begins (after SUBSCRIBED, or launches whose ACCEPT may not have arrived): the unanswered are asked. */
export function beginRound(rounds: ReconcileRounds, now: number, timings: ReconcileTimings): ReconcileRounds {
  return {
    ...rounds,
    round: { startedAt: now, implicitSentAt: undefined },
    lastBeganAt: now,
    retryAt: now,
    retryDelayMs: timings.retryInitialMs,
  };
}

/** No round is under way and the interval since the last one passed: a periodic round is due. */
export function periodicRoundDue(rounds: ReconcileRounds, now: number, timings: ReconcileTimings): boolean {
  if (rounds.round !== undefined || rounds.lastBeganAt === undefined) return false;
  return now - (rounds.lastCompletedAt ?? rounds.lastBeganAt) >= timings.intervalMs;
}

/** The calls to send now, in order; the rounds assume they go out (see `reconcileCallFailed`). */
export function dueReconcileCalls(
  rounds: ReconcileRounds,
  unanswered: ReadonlySet<string>,
  now: number,
  timings: ReconcileTimings,
): { rounds: ReconcileRounds; calls: ReconcileCall[] } {
  const calls: ReconcileCall[] = [];
  let next = rounds;
  if (unanswered.size > 0 && now >= next.retryAt) {
    calls.push({ kind: "explicit", taskIds: [...unanswered] });
    const retryDelayMs = Math.min(timings.retryMaxMs, next.retryDelayMs * 2);
    next = { ...next, retryAt: now + next.retryDelayMs, retryDelayMs };
  }
  const round = next.round;
  if (round !== undefined) {
    if (round.implicitSentAt === undefined) {
      if (unanswered.size === 0 || now - round.startedAt >= timings.holdMs) {
        next = { ...next, round: { ...round, implicitSentAt: now } };
        calls.push({ kind: "implicit" });
      }
    } else if (now - round.implicitSentAt >= timings.implicitSettleMs) {
      next = { ...next, round: undefined, lastCompletedAt: now };
    }
  }
  if (calls.length === 0) return { rounds: next, calls };
  return { rounds: { ...next, calls: next.calls + calls.length }, calls };
}

/**
 * The tasks held as unreachable (with since when) to ask about now: all of them once one has been unreachable for
 * `unreachableAskMs` since it became so or since the last question.
 */
export function dueUnreachableAsk(
  rounds: ReconcileRounds,
  unreachable: ReadonlyArray<{ taskId: string; since: number }>,
  now: number,
  timings: ReconcileTimings,
): { rounds: ReconcileRounds; taskIds: string[] } {
  const asked = rounds.unreachableAskedAt ?? Number.NEGATIVE_INFINITY;
  const due = unreachable.some((t) => now - Math.max(t.since, asked) >= timings.unreachableAskMs);
  if (!due) return { rounds, taskIds: [] };
  return {
    rounds: { ...rounds, unreachableAskedAt: now, calls: rounds.calls + 1 },
    taskIds: unreachable.map((t) => t.taskId),
  };
}

/** A call did not reach the master (a transient failure): it is sent again on the next look. */
export function reconcileCallFailed(rounds: ReconcileRounds, call: ReconcileCall["kind"]): ReconcileRounds {
  if (call === "explicit") return { ...rounds, retryAt: 0 };
  if (rounds.round === undefined) return rounds;
  return { ...rounds, round: { ...rounds.round, implicitSentAt: undefined } };
}
