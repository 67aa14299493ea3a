/** The promise, or the signal's reason if it aborts first (the promise still settles, unobserved). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => reject(signal.reason);
    if (signal.aborted) queueMicrotask(listener);
    else signal.addEventListener("abort", listener, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", listener));
  });
}
