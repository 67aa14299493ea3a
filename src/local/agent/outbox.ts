import type { AgentStatus } from "./api.js";

/**
 * Delivers status updates to the master in order and never from inside the call that caused them (a launch or kill
 * returns before its first update arrives). While the agent is partitioned from the master updates wait here and are
 * delivered, still in order, when it heals.
 */
export class StatusOutbox {
  private readonly queued: AgentStatus[] = [];
  private held = false;
  private flushScheduled = false;

  constructor(private readonly deliver: (status: AgentStatus) => void) {}

  get partitioned(): boolean {
    return this.held;
  }

  /** Statuses not delivered yet. */
  get pending(): readonly AgentStatus[] {
    return this.queued;
  }

  send(status: AgentStatus): void {
    this.queued.push(status);
    this.scheduleFlush();
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.held || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      while (!this.held) {
        const next = this.queued.shift();
        if (next === undefined) break;
        this.deliver(next);
      }
    });
  }
}
