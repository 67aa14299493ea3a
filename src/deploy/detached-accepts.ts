import type { CallSink, SchedulerCall } from "./calls.js";

/**
 * A sink whose ACCEPTs do not hold the loop up. A master answers an ACCEPT with 202 as soon as it has taken the call
 * (the launch is carried out after), so one left without an answer was lost on the way (a dead connection, a master
 * that failed over) and shows only at the call deadline. Meanwhile the loop goes on: the offers it has no use for
 * are declined at once instead of being kept from every other framework, and kills and reconciliations go out.
 * An ACCEPT that fails comes back through `failed`, as a failed call does; one that fails for good is thrown by
 * `check` (the loop's next turn) or the next `send`.
 */
export class DetachedAccepts implements CallSink {
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly sink: CallSink,
    private readonly failed: (call: SchedulerCall) => void,
  ) {}

  async send(call: SchedulerCall): Promise<boolean> {
    this.check();
    if (call.kind !== "accept") return this.sink.send(call);
    this.sink.send(call).then(
      (sent) => {
        if (!sent) this.failed(call);
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    return true;
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
