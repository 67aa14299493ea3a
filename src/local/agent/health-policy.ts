import type { HealthCheckJson } from "./api.js";

/** HealthCheck timings in milliseconds, with the proto's defaults filled in. */
export interface HealthCheckTimings {
  delayMs: number;
  intervalMs: number;
  /** Infinity when timeout_seconds is 0 ("zero means infinite timeout"). */
  timeoutMs: number;
  gracePeriodMs: number;
  consecutiveFailures: number;
}

export function healthCheckTimings(check: HealthCheckJson): HealthCheckTimings {
  const timeoutSeconds = check.timeout_seconds ?? 20;
  return {
    delayMs: (check.delay_seconds ?? 15) * 1000,
    intervalMs: (check.interval_seconds ?? 10) * 1000,
    timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : Number.POSITIVE_INFINITY,
    gracePeriodMs: (check.grace_period_seconds ?? 10) * 1000,
    consecutiveFailures: check.consecutive_failures ?? 3,
  };
}

/** What the health checker remembers between checks. */
export interface HealthState {
  /** No check has succeeded yet. */
  initializing: boolean;
  consecutiveFailures: number;
}

export const INITIAL_HEALTH_STATE: HealthState = { initializing: true, consecutiveFailures: 0 };

/** A health change the executor turns into a TASK_RUNNING update with `healthy` set. */
export interface HealthVerdict {
  healthy: boolean;
  killTask: boolean;
  consecutiveFailures: number;
}

export interface HealthStep {
  state: HealthState;
  verdict?: HealthVerdict;
  /** Failure ignored because no check has succeeded yet and the grace period (counted from launch) still runs. */
  ignored?: boolean;
}

/**
 * Mesos' HealthCheckerProcess::success/failure: every failure outside the grace period is reported (and the task is
 * to be killed once `consecutive_failures` is reached); a success is reported only as the first success ever or the
 * first after failures.
 */
export function applyHealthResult(
  state: HealthState,
  timings: HealthCheckTimings,
  passed: boolean,
  msSinceStart: number,
): HealthStep {
  if (passed) {
    const next: HealthState = { initializing: false, consecutiveFailures: 0 };
    if (state.initializing || state.consecutiveFailures > 0) {
      return { state: next, verdict: { healthy: true, killTask: false, consecutiveFailures: 0 } };
    }
    return { state: next };
  }
  if (state.initializing && timings.gracePeriodMs > 0 && msSinceStart <= timings.gracePeriodMs) {
    return { state, ignored: true };
  }
  const consecutiveFailures = state.consecutiveFailures + 1;
  return {
    state: { initializing: state.initializing, consecutiveFailures },
    verdict: {
      healthy: false,
      killTask: consecutiveFailures >= timings.consecutiveFailures,
      consecutiveFailures,
    },
  };
}
