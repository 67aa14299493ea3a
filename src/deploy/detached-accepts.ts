import type { CallSink, SchedulerCall } from "./calls.js";

/**
 * A sink whose ACCEPTs do not hold the loop up. A master answers an ACCEPT with 202 as soon as it has taken the call
 * (the launch is carried out after), so one left without an answer was lost on the way (a dead connection, a master
 * that failed over) and shows only at the call deadline. Meanwhile the loop goes on: the offers it has no use for
 * are declined at once instead of being kept from every other framework, and kills and reconciliations go out.
 * An ACCEPT the master answered comes back through `taken` (it took the launches: their deadlines may run from
 * then); one that fails through `failed`, as a failed call does, and its offer is declined; one that fails for good
 * is thrown by `check` (the loop's next turn) or the next `send`.
 */
export class DetachedAccepts implements CallSink {
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly sink: CallSink,
    private readonly failed: (call: SchedulerCall) => void,
    private readonly taken: (call: Extract<SchedulerCall, { kind: "accept" }>) => void,
  ) {}

  async send(call: SchedulerCall): Promise<boolean> {
    this.check();
    if (call.kind !== "accept") return this.sink.send(call);
    this.sink.send(call).then(
      (sent) => {
        if (sent) return this.taken(call);
        this.failed(call);
        this.giveBack(call);
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    return true;
  }

  /**
   * A master keeps an offer it never heard an answer for (there is no offer timeout by default), with the agent's
   * room. Declined, it goes back to the allocator; if the ACCEPT did reach the master, the offer is used already
   * and the master ignores the DECLINE.
   */
  private giveBack(call: Extract<SchedulerCall, { kind: "accept" }>): void {
    const decline: SchedulerCall = { kind: "decline", offerIds: [call.offer.id.value], refuseSeconds: 0 };
    this.sink.send(decline).catch(() => undefined);
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
