/**
 * When the supervisor reconciles, as the Mesos reconciliation guide prescribes: after every (re-)subscription and
 * periodically, first explicitly for every task it knows of, re-asking the unanswered ones with a truncated
 * exponential backoff until each was answered, then implicitly (an empty list: the master reports every task of
 * the framework it knows, including ones titan never heard of). A master that failed over answers nothing for
 * tasks on agents that have not re-registered yet, so the implicit call does not wait for them longer than a
 * hold; they stay unknown (never gone) and keep being asked. Pure: it is told the time and what arrived, and says
 * what to send.
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
}

export const DEFAULT_RECONCILE_TIMINGS: ReconcileTimings = {
  intervalMs: 15 * 60_000,
  retryInitialMs: 1000,
  retryMaxMs: 60_000,
  holdMs: 10_000,
  implicitSettleMs: 1000,
};

export type ReconcileCall = { kind: "explicit"; taskIds: string[] } | { kind: "implicit" };

interface Round {
  startedAt: number;
  implicitSentAt?: number;
}

export class ReconcileSchedule {
  private round: Round | undefined;
  private readonly unansweredIds = new Set<string>();
  private retryAt = 0;
  private retryDelay: number;
  private lastCompletedAt: number | undefined;
  private lastBeganAt: number | undefined;
  /** Calls sent since this schedule was made, for the metrics and the benchmark. */
  calls = 0;

  constructor(private readonly timings: ReconcileTimings) {
    this.retryDelay = timings.retryInitialMs;
  }

  /** A round begins (after SUBSCRIBED, or when the interval passed): every known non-terminal task is asked. */
  begin(now: number, taskIds: Iterable<string>): void {
    for (const id of taskIds) this.unansweredIds.add(id);
    this.round = { startedAt: now };
    this.lastBeganAt = now;
    this.retryAt = now;
    this.retryDelay = this.timings.retryInitialMs;
  }

  /** The master reported the task, or it ended: nobody waits for its answer any more. */
  answered(taskId: string): void {
    this.unansweredIds.delete(taskId);
  }

  /** Tasks asked about and not answered yet (unknown, never gone). */
  unanswered(): ReadonlySet<string> {
    return this.unansweredIds;
  }

  /** No round is under way: the supervisor knows what the master knows (up to the unanswered tasks). */
  settled(): boolean {
    return this.round === undefined && this.lastBeganAt !== undefined;
  }

  /** When the last round completed, epoch ms. */
  get lastReconciledAt(): number | undefined {
    return this.lastCompletedAt;
  }

  /** The calls to send now, in order; the schedule assumes they go out (see `failed`). */
  due(now: number, knownTaskIds: () => Iterable<string>): ReconcileCall[] {
    const calls: ReconcileCall[] = [];
    if (this.round === undefined && this.lastBeganAt !== undefined) {
      const since = this.lastCompletedAt ?? this.lastBeganAt;
      if (now - since >= this.timings.intervalMs) this.begin(now, knownTaskIds());
    }
    if (this.unansweredIds.size > 0 && now >= this.retryAt) {
      calls.push({ kind: "explicit", taskIds: [...this.unansweredIds] });
      this.retryAt = now + this.retryDelay;
      this.retryDelay = Math.min(this.timings.retryMaxMs, this.retryDelay * 2);
    }
    const round = this.round;
    if (round !== undefined) {
      if (round.implicitSentAt === undefined) {
        const held = now - round.startedAt >= this.timings.holdMs;
        if (this.unansweredIds.size === 0 || held) {
          round.implicitSentAt = now;
          calls.push({ kind: "implicit" });
        }
      } else if (now - round.implicitSentAt >= this.timings.implicitSettleMs) {
        this.lastCompletedAt = now;
        this.round = undefined;
      }
    }
    this.calls += calls.length;
    return calls;
  }

  /** A call did not reach the master (a transient failure): it is sent again on the next look. */
  failed(call: ReconcileCall): void {
    if (call.kind === "explicit") this.retryAt = 0;
    else if (this.round !== undefined) delete this.round.implicitSentAt;
  }
}
