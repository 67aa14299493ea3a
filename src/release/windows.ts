import type { Env } from "../cli/env.js";
import { TitanError, UsageError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import { writeLine } from "../cli/io.js";
import { type ClosedWindow, closedWhere, describeClosed, describeOpensAt } from "../plan/disruption.js";

/**
 * The disruption-window gate every changing command passes after its plan and before its confirmation: a change
 * that replaces instances of an app whose windows are closed is refused (exit 10) and nothing changes, unless
 * `--override-window REASON` was given; then it goes ahead, says so, and the apps' releases keep the reason.
 * Returns the apps the override was used for.
 */
export function passWindows(
  env: Env,
  closed: readonly ClosedWindow[],
  override: string | undefined,
): Set<string> {
  if (closed.length === 0) return new Set();
  const now = env.clock.now();
  if (override === undefined) {
    const [first] = closed as [ClosedWindow, ...ClosedWindow[]];
    const more =
      closed.length > 1
        ? ` (and ${closed.length - 1} more: ${closed.slice(1).map(closedWhere).join(", ")})`
        : "";
    throw new TitanError(`${describeClosed(first)}${more}; nothing was changed`, {
      exitCode: ExitCode.OutsideWindow,
      hint: `${describeOpensAt(first, now)}; to go ahead now, pass --override-window "<why>" (the release keeps it)`,
    });
  }
  for (const c of closed)
    writeLine(
      env.io.err,
      `${env.io.errColor.yellow("warning:")} ${describeClosed(c)}, as --override-window asks: ${override}`,
    );
  return new Set(closed.map((c) => c.app));
}

/** `--override-window` must say why: the reason is what the release records for whoever looks later. */
export function overrideReason(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const reason = value.trim();
  if (reason === "" || /[\p{Cc}]/u.test(reason))
    throw new UsageError(
      "--override-window needs a reason",
      'say why in one line, e.g. --override-window "hotfix for INC-123"',
    );
  return reason;
}
