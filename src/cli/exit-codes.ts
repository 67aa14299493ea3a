/** The exit-code contract shared by every command (docs/architecture.md). Printed by `titan --help` and in the README. */
export const ExitCode = {
  Ok: 0,
  Runtime: 1,
  Usage: 2,
  PlanHasChanges: 3,
  DoesNotFit: 4,
  RolledBack: 5,
  DeployFailed: 6,
  TimedOut: 7,
  ImageUnresolved: 8,
  RegionUnreachable: 9,
  OutsideWindow: 10,
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeTable: ReadonlyArray<readonly [ExitCode, string]> = [
  [ExitCode.Ok, "success (deploy healthy; plan fits)"],
  [
    ExitCode.Runtime,
    "runtime error (network, API, internal, a stdout that cannot be written), or a lock another titan holds (named with its holder)",
  ],
  [ExitCode.Usage, "usage error or invalid manifest"],
  [ExitCode.PlanHasChanges, "plan has changes (only with --detailed-exitcode)"],
  [ExitCode.DoesNotFit, "does not fit: capacity or constraints cannot be met (a drain: nowhere to move)"],
  [ExitCode.RolledBack, "deploy failed (its health gates, room, or launches) and was rolled back"],
  [ExitCode.DeployFailed, "deploy failed and was not rolled back"],
  [ExitCode.TimedOut, "timed out waiting"],
  [
    ExitCode.ImageUnresolved,
    "an image could not be pinned to a digest (missing, unauthorised, registry down)",
  ],
  [
    ExitCode.RegionUnreachable,
    "a region could not be reached (plan shows the others; deploy changes nothing without --skip-region)",
  ],
  [
    ExitCode.OutsideWindow,
    "refused: the change replaces instances outside an app's disruption windows (--override-disruption REASON)",
  ],
  [ExitCode.Interrupted, "interrupted (the cluster keeps its state; re-run to resume)"],
];

/**
 * The reason bin/titan.js aborts with when the reader of stdout (or of stderr) goes away (`titan logs api | head`,
 * `titan logs api 2>&1 | head -1`).
 */
export const STDOUT_CLOSED = "stdout closed";

/**
 * How a watch (`ps --watch`, `top -w`, `logs -f`) ends once its signal aborts. Ctrl-C is how a watch is meant to
 * end: 0. A reader of stdout that went away stopped it before it was done, as it stops every other command: 130.
 */
export function watchEndCode(signal: AbortSignal): ExitCode {
  return signal.aborted && signal.reason === STDOUT_CLOSED ? ExitCode.Interrupted : ExitCode.Ok;
}

export function renderExitCodeTable(): string {
  return exitCodeTable.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join("\n");
}
