/**
 * A queue between the scheduler session's event stream and the deploy loop, so the loop can wake up on a timer
 * (min_healthy_time, backoff, deadlines) as well as on events. Acknowledgement stays with the loop: the session
 * runs with auto-acknowledge off and the loop acknowledges an update after handling it.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended: { error?: unknown } | undefined;

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** No more items will come; `error` is thrown by `next` once the queue is drained. */
  end(error?: unknown): void {
    this.ended = error === undefined ? {} : { error };
    this.wake();
  }

  /** The next item; undefined after `waitMs` without one, or when the signal aborts. Throws the end error. */
  async next(waitMs: number, signal: AbortSignal): Promise<T | "end" | undefined> {
    if (this.items.length === 0 && !this.ended && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          this.waiter = undefined;
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        signal.addEventListener("abort", done, { once: true });
        this.waiter = done;
      });
    }
    const item = this.items.shift();
    if (item !== undefined) return item;
    if (this.ended) {
      if (this.ended.error !== undefined) throw this.ended.error;
      return "end";
    }
    return undefined;
  }

  /** Up to `max` items already queued, without waiting. */
  drain(max: number): T[] {
    return this.items.splice(0, max);
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** Settles with `promise`, or resolves after `ms` when it is still pending (the promise's result is then ignored). */
export function withinMs(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A queue fed from `events` in the background: ended when they end, or with their error. `pumped` settles once
 * the source is done (after its session was closed).
 */
export function queued<T>(events: AsyncIterable<T>): { queue: EventQueue<T>; pumped: Promise<void> } {
  const queue = new EventQueue<T>();
  const pumped = (async () => {
    try {
      for await (const event of events) queue.push(event);
      queue.end();
    } catch (error) {
      queue.end(error);
    }
  })();
  return { queue, pumped };
}
