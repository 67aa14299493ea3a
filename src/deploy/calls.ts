import type { SchedulerSession } from "../mesos/session.js";
import type { Offer, TaskStatus } from "../mesos/types/mesos.js";
import type { Launch } from "./carve.js";
import type { PendingInverseOffer } from "./evacuation.js";
import { isTransient } from "./transient.js";

/** A scheduler call the deploy engine decided on; the effect loop hands it to a `CallSink`. */
export type SchedulerCall =
  /** One ACCEPT with a LAUNCH of these tasks on this offer. */
  | { kind: "accept"; offer: Offer; launches: readonly Launch[]; refuseSeconds: number }
  | { kind: "decline"; offerIds: readonly string[]; refuseSeconds: number }
  | { kind: "kill"; taskId: string; agentId?: string; gracePeriodMs: number }
  | { kind: "revive" }
  | { kind: "suppress" }
  /** Explicit reconciliation of these tasks, or implicit (all of the framework's tasks) when `tasks` is empty. */
  | {
      kind: "reconcile";
      tasks: ReadonlyArray<{ taskId: string; agentId?: string }>;
      resendOnFailure: boolean;
    }
  | { kind: "acknowledge"; status: TaskStatus }
  /** ACCEPT_INVERSE_OFFERS: the app holds nothing on these offers' agents any more; they may go down. */
  | { kind: "accept_inverse_offers"; offers: readonly PendingInverseOffer[] }
  /** DECLINE_INVERSE_OFFERS: the app cannot leave these agents in time; asked again after `refuseSeconds`. */
  | { kind: "decline_inverse_offers"; offers: readonly PendingInverseOffer[]; refuseSeconds: number };

export type CallKind = SchedulerCall["kind"];

/**
 * Where the engine's calls go. `send` resolves true when the call went through and false when it failed in a way
 * the loop repairs by itself (a 503 mid-election, a dropped connection: see `isTransient`); anything else throws.
 */
export interface CallSink {
  send(call: SchedulerCall): Promise<boolean>;
}

/** The calls sent on a scheduler session. A failed ACKNOWLEDGE is only logged: Mesos redelivers the update. */
export function sessionCalls(
  session: SchedulerSession,
  log?: (line: string) => void,
  interrupted?: AbortSignal,
): CallSink {
  const sendOne = (call: SchedulerCall): Promise<unknown> => {
    switch (call.kind) {
      case "accept":
        return session.launch(
          [call.offer.id.value],
          call.launches.map((l) => l.info),
          call.refuseSeconds,
        );
      case "decline":
        return session.decline(call.offerIds, call.refuseSeconds);
      case "kill":
        return session.kill(call.taskId, {
          ...(call.agentId === undefined ? {} : { agentId: call.agentId }),
          gracePeriodMs: call.gracePeriodMs,
        });
      case "revive":
        return session.revive();
      case "suppress":
        return session.suppress();
      case "reconcile":
        return session.reconcile(call.tasks);
      case "acknowledge":
        return session.acknowledge(call.status);
      case "accept_inverse_offers":
        return session.answerInverseOffers(
          "ACCEPT",
          call.offers.map((o) => o.id),
        );
      case "decline_inverse_offers":
        return session.answerInverseOffers(
          "DECLINE",
          call.offers.map((o) => o.id),
          call.refuseSeconds,
        );
    }
  };
  return {
    async send(call) {
      try {
        await sendOne(call);
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (call.kind === "acknowledge") {
          log?.(`acknowledging ${call.status.task_id.value} failed: ${message}`);
          return false;
        }
        // Cut short by an interruption: the loop stops next, and reconciliation tells later what came of it.
        if (interrupted?.aborted) return false;
        if (!isTransient(error)) throw error;
        log?.(`${call.kind.toUpperCase()} failed, will be retried: ${message}`);
        return false;
      }
    },
  };
}

/** The sink, sending nothing once `stop` has aborted: a call decided before is dropped, as if it failed. */
export function untilStopped(sink: CallSink, stop: AbortSignal): CallSink {
  return { send: (call) => (stop.aborted ? Promise.resolve(false) : sink.send(call)) };
}
