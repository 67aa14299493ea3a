import type { JsonObject } from "../json.js";
import { bytesOfBase64 } from "../proto-json.js";

/**
 * Reliable delivery of agent status updates to frameworks, as each agent's status update manager does it: per
 * agent and task only the oldest unacknowledged update is in flight; it is re-sent with exponential backoff (10 s
 * up to 10 min by default) until the framework acknowledges its uuid to that agent, and only then is the next one
 * sent. Faults can drop, duplicate or delay deliveries (the retry still guarantees at-least-once).
 */

export interface PendingUpdate {
  frameworkId: string;
  agentId: string;
  taskId: string;
  uuid: string;
  status: JsonObject;
}

interface Stream {
  queue: PendingUpdate[];
  timer?: NodeJS.Timeout;
  backoffMs: number;
}

export interface DeliveryFaults {
  drop: number;
  duplicate: number;
  delay: { ms: number; count: number };
}

export interface DeliveryOptions {
  retryMinMs: number;
  retryMaxMs: number;
  /** Sends an UPDATE event; returns false when the framework has no open subscription. */
  send(update: PendingUpdate): boolean;
  /** True while the agent holding the update cannot reach the master (partitioned or down). */
  blocked(agentId: string): boolean;
}

export class StatusUpdateDelivery {
  private readonly streams = new Map<string, Stream>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  readonly faults: DeliveryFaults = { drop: 0, duplicate: 0, delay: { ms: 0, count: 0 } };

  constructor(private readonly options: DeliveryOptions) {}

  private key(agentId: string, frameworkId: string, taskId: string): string {
    return `${agentId}\u0000${frameworkId}\u0000${taskId}`;
  }

  enqueue(update: PendingUpdate): void {
    const key = this.key(update.agentId, update.frameworkId, update.taskId);
    let stream = this.streams.get(key);
    if (!stream) {
      stream = { queue: [], backoffMs: this.options.retryMinMs };
      this.streams.set(key, stream);
    }
    stream.queue.push(update);
    if (stream.queue.length === 1) this.forward(stream);
  }

  /**
   * An acknowledgement the agent received; returns the acknowledged update, or undefined when the uuid is not the
   * one in flight on that agent.
   */
  acknowledge(agentId: string, frameworkId: string, taskId: string, uuid: string): PendingUpdate | undefined {
    const key = this.key(agentId, frameworkId, taskId);
    const stream = this.streams.get(key);
    const head = stream?.queue[0];
    // A master compares the uuid's bytes: the scheduler may write them unpadded.
    if (!stream || !head || !bytesOfBase64(head.uuid).equals(bytesOfBase64(uuid))) return undefined;
    if (stream.timer) clearTimeout(stream.timer);
    stream.timer = undefined;
    stream.queue.shift();
    stream.backoffMs = this.options.retryMinMs;
    if (stream.queue.length === 0) this.streams.delete(key);
    else this.forward(stream);
    return head;
  }

  /** Re-sends every in-flight update of a framework now (after it re-subscribes). */
  resend(frameworkId: string): void {
    for (const stream of this.streams.values()) {
      const head = stream.queue[0];
      if (head?.frameworkId !== frameworkId) continue;
      if (stream.timer) clearTimeout(stream.timer);
      stream.backoffMs = this.options.retryMinMs;
      this.forward(stream);
    }
  }

  /** Re-sends every in-flight update held by an agent now (it reconnected). */
  resendAgent(agentId: string): void {
    for (const stream of this.streams.values()) {
      if (stream.queue[0]?.agentId !== agentId) continue;
      if (stream.timer) clearTimeout(stream.timer);
      stream.backoffMs = this.options.retryMinMs;
      this.forward(stream);
    }
  }

  /** Forgets a framework's updates (it was removed). */
  forgetFramework(frameworkId: string): void {
    for (const [key, stream] of this.streams) {
      if (stream.queue[0]?.frameworkId !== frameworkId) continue;
      if (stream.timer) clearTimeout(stream.timer);
      this.streams.delete(key);
    }
  }

  /** Forgets one task's updates on an agent (the agent is gone). */
  forgetTask(agentId: string, frameworkId: string, taskId: string): void {
    const key = this.key(agentId, frameworkId, taskId);
    const stream = this.streams.get(key);
    if (stream?.timer) clearTimeout(stream.timer);
    this.streams.delete(key);
  }

  pendingCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.queue.length;
    return n;
  }

  close(): void {
    for (const stream of this.streams.values()) if (stream.timer) clearTimeout(stream.timer);
    for (const t of this.delayed) clearTimeout(t);
    this.delayed.clear();
    this.streams.clear();
  }

  private forward(stream: Stream): void {
    const head = stream.queue[0];
    if (!head) return;
    this.deliver(head);
    stream.timer = setTimeout(() => {
      stream.timer = undefined;
      stream.backoffMs = Math.min(stream.backoffMs * 2, this.options.retryMaxMs);
      this.forward(stream);
    }, stream.backoffMs);
    stream.timer.unref();
  }

  private deliver(update: PendingUpdate): void {
    if (this.options.blocked(update.agentId)) return;
    const f = this.faults;
    if (f.drop > 0) {
      f.drop -= 1;
      return;
    }
    const copies = f.duplicate > 0 ? 2 : 1;
    if (f.duplicate > 0) f.duplicate -= 1;
    const send = () => {
      for (let i = 0; i < copies; i++) this.options.send(update);
    };
    if (f.delay.count > 0 && f.delay.ms > 0) {
      f.delay.count -= 1;
      const timer = setTimeout(() => {
        this.delayed.delete(timer);
        send();
      }, f.delay.ms);
      this.delayed.add(timer);
      return;
    }
    send();
  }
}
