import {
  BadResponseError,
  ConnectionError,
  MesosTimeoutError,
  NotLeaderError,
  SubscriptionLostError,
  TemporarilyUnavailableError,
} from "../mesos/errors.js";

/**
 * A scheduler call that failed in a way the next attempt may not: no leader (503), a redirect mid-election, a
 * proxy's 5xx, a dropped or slow connection, or no subscription right now (the session is re-subscribing). The
 * deploy loop retries these; anything else (401/403, 400, a bug) still ends the deploy.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof BadResponseError) return (error.status ?? 0) >= 500;
  return (
    error instanceof TemporarilyUnavailableError ||
    error instanceof NotLeaderError ||
    error instanceof ConnectionError ||
    error instanceof MesosTimeoutError ||
    error instanceof SubscriptionLostError
  );
}
