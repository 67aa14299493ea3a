import {
  applyHealthResult,
  type HealthCheckTimings,
  type HealthState,
  type HealthVerdict,
  INITIAL_HEALTH_STATE,
} from "./health-policy.js";
import type { HealthProbe } from "./health-probes.js";

export interface HealthCheckerOptions {
  timings: HealthCheckTimings;
  probe: HealthProbe;
  onVerdict(verdict: HealthVerdict): void;
  /** Diagnostic lines, as the Mesos executor logs them to its stderr (the sandbox's). */
  log(line: string): void;
  /** What the lines call the check and its task: "HTTP health check", and the task id. */
  name: string;
  taskId: string;
  now?: () => number;
}

/**
 * Runs a task's health check as Mesos' HealthCheckerProcess does: first check `delay` after start, the next one
 * `interval` after the previous finished or timed out; a timed-out check counts as a failure.
 */
export class HealthChecker {
  private state: HealthState = INITIAL_HEALTH_STATE;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: HealthCheckerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.startedAt = this.now();
    this.schedule(this.options.timings.delayMs);
  }

  /** Stops checking; an attempt in progress is aborted and its result dropped. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight?.abort();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.checkOnce();
    }, delayMs);
  }

  private async checkOnce(): Promise<void> {
    const controller = new AbortController();
    this.inFlight = controller;
    const { timeoutMs } = this.options.timings;
    let timedOut = false;
    const timeout = Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
    let failure: string | undefined;
    try {
      await this.options.probe(controller.signal);
    } catch (error) {
      failure = timedOut
        ? `health check has not returned after ${timeoutMs / 1000}secs; aborting`
        : error instanceof Error
          ? error.message
          : String(error);
    } finally {
      if (timeout !== undefined) clearTimeout(timeout);
      this.inFlight = undefined;
    }
    if (this.stopped) return;
    const step = applyHealthResult(
      this.state,
      this.options.timings,
      failure === undefined,
      this.now() - this.startedAt,
    );
    this.state = step.state;
    // The wording of src/checks/health_checker.cpp: every failed check, then how it was counted.
    const { name, taskId } = this.options;
    if (failure !== undefined) this.options.log(`${name} for task '${taskId}' failed: ${failure}`);
    if (step.ignored)
      this.options.log(`Ignoring failure of ${name} for task '${taskId}': still in grace period`);
    else if (step.verdict !== undefined && !step.verdict.healthy) {
      const times = step.verdict.consecutiveFailures;
      this.options.log(`${name} for task '${taskId}' failed ${times} times consecutively`);
    }
    if (step.verdict !== undefined) this.options.onVerdict(step.verdict);
    this.schedule(this.options.timings.intervalMs);
  }
}
