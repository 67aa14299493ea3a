/** The longest a node timer waits: past it, setTimeout fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms`, or less when the signal aborts; never rejects. Returns false when it was aborted. A wait longer than
 * one timer can hold is made of several.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (completed: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(completed);
    };
    const onAbort = (): void => done(false);
    const wait = (left: number): void => {
      const step = Math.min(left, MAX_TIMER_MS);
      timer = setTimeout(() => (left > step ? wait(left - step) : done(true)), step);
    };
    wait(ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
