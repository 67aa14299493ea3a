import { afterEach } from "vitest";

/**
 * An unhandled rejection or uncaught exception anywhere (in a test, a local cluster it started, a client) fails the
 * test during which it happened: such an error kills a real `titan` or `titan local` process.
 */
const pending: unknown[] = [];
const record = (error: unknown) => {
  pending.push(error);
};

process.on("unhandledRejection", record);
process.on("uncaughtException", record);

afterEach(() => {
  const [first, ...rest] = pending.splice(0);
  if (first === undefined) return;
  const message = first instanceof Error ? (first.stack ?? first.message) : String(first);
  throw new Error(
    `unhandled error during this test${rest.length > 0 ? ` (and ${rest.length} more)` : ""}: ${message}`,
  );
});
