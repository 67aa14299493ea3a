/**
 * What a command still does once a signal told it to stop, for the line a second Ctrl-C prints: only a command
 * that holds a deploy lock releases it and records its progress; any other merely ends.
 */
let locksHeld = 0;

/** Counts a deploy lock this process took; the returned function counts it given back (once). */
export function lockTaken(): () => void {
  locksHeld += 1;
  let given = false;
  return () => {
    if (given) return;
    given = true;
    locksHeld -= 1;
  };
}

/** The line a second SIGINT/SIGTERM/SIGHUP prints while the command stops. */
export function secondSignalNote(): string {
  return locksHeld > 0
    ? "stopping: releasing the lock and recording progress (again to exit at once)"
    : "stopping (again to exit at once)";
}
