import { performance } from "node:perf_hooks";
import type { ZkClient } from "../state/zk-client.js";

/**
 * How much of the session timeout may pass without the ensemble confirming the session before a leader must
 * assume it lost. ZooKeeper expires a session no sooner than the full timeout after the last request it
 * received, so half leaves the other half for the old leader to stop before anyone else can be elected.
 */
export const UNCONFIRMED_FRACTION = 0.5;

/** Why a guarded session may be gone; the message says how it was decided. */
export class SessionInDoubtError extends Error {}

export interface SessionGuard {
  /** Aborted (with a SessionInDoubtError) the moment the session may be gone. */
  readonly lost: AbortSignal;
  /** Aborts `lost` now (this process is letting the session go). */
  giveUp(why: string): void;
}

/**
 * Watches a session from the client's side and aborts `lost` as soon as the ensemble could have dropped it:
 * at once when it expires or is closed, and when no server has confirmed it (answered a request or a ping)
 * for `fraction` of the negotiated timeout — a silent server or a connection not re-established in time.
 * A connection that moves to another server within that time (a ZooKeeper server restarting, the ensemble
 * electing a new leader) keeps the session and raises nothing.
 */
export function guardSession(
  client: ZkClient,
  store: string,
  fraction: number = UNCONFIRMED_FRACTION,
): SessionGuard {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limitMs = (): number => client.sessionTimeoutMs * fraction;
  const overdueBy = (): number => performance.now() - (client.confirmedAt + limitMs());

  const lose = (why: string): void => {
    clearTimeout(timer);
    offState();
    if (!controller.signal.aborted) controller.abort(new SessionInDoubtError(`${store}: ${why}`));
  };
  const check = (): void => {
    const overdue = overdueBy();
    if (overdue < 0) {
      timer = setTimeout(check, Math.ceil(-overdue) + 1);
      timer.unref();
      return;
    }
    // A timer that fired late (a busy event loop) may find an answer already waiting on the socket: let the
    // pending I/O be read first (setImmediate runs after the poll phase), then decide.
    setImmediate(() => {
      if (controller.signal.aborted) return;
      if (overdueBy() < 0) check();
      else
        lose(
          `no ZooKeeper server confirmed the session for ${seconds(limitMs())} (of its ${seconds(client.sessionTimeoutMs)} timeout); it may expire`,
        );
    });
  };
  const offState = client.onState((state) => {
    if (state === "expired") lose("the ZooKeeper session expired");
    else if (state === "closed") lose("the ZooKeeper session was closed");
  });
  if (client.currentState === "expired" || client.currentState === "closed")
    lose(`the ZooKeeper session is ${client.currentState}`);
  else check();
  return { lost: controller.signal, giveUp: (why) => lose(why) };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
