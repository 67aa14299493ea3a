import type { Env } from "../cli/env.js";
import { TitanError, UsageError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import { writeLine } from "../cli/io.js";
import {
  appInRegion,
  type ClosedWindow,
  closedWindows,
  describeClosed,
  describeOpensAt,
  describePaced,
  pacedReplacements,
} from "../plan/disruption.js";
import type { AppPlan } from "../plan/types.js";

/** The apps a change takes running instances down of despite their disruption budget, and the reason it may. */
export interface DisruptionOverride {
  apps: ReadonlySet<string>;
  reason: string;
}

/**
 * The disruption gate every changing command passes after its plan and before its confirmation. A change that
 * replaces instances of an app whose windows are closed is refused (exit 10) and nothing changes; one that
 * replaces instances of an app with `max_per_hour` is paced by the rollout. `--override-disruption REASON` lets
 * both through: it says so for each app, and their releases keep the reason. Returns that override, for the apps
 * it was used for; undefined when none.
 */
export function passDisruption(
  env: Env,
  changing: readonly AppPlan[],
  override: string | undefined,
): DisruptionOverride | undefined {
  const now = env.clock.now();
  const closed = closedWindows(changing, now);
  if (closed.length > 0 && override === undefined) {
    const [first] = closed as [ClosedWindow, ...ClosedWindow[]];
    const more =
      closed.length > 1
        ? ` (and ${closed.length - 1} more: ${closed.slice(1).map(appInRegion).join(", ")})`
        : "";
    throw new TitanError(`${describeClosed(first)}${more}; nothing was changed`, {
      exitCode: ExitCode.OutsideWindow,
      hint: `${describeOpensAt(first, now)}; to go ahead now, pass --override-disruption "<why>" (the release keeps it)`,
    });
  }
  if (override === undefined) return undefined;
  const apps = new Set<string>();
  for (const c of closed) {
    apps.add(c.app);
    writeLine(
      env.io.err,
      `${env.io.errColor.yellow("warning:")} ${describeClosed(c)}, as --override-disruption asks: ${override}`,
    );
  }
  for (const p of pacedReplacements(changing)) {
    apps.add(p.app);
    writeLine(
      env.io.err,
      `${env.io.errColor.yellow("warning:")} ${describePaced(p)} replaced without waiting for max_per_hour, as --override-disruption asks: ${override}`,
    );
  }
  return apps.size === 0 ? undefined : { apps, reason: override };
}

/** `--override-disruption` must say why: the reason is what the release records for whoever looks later. */
export function overrideReason(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const reason = value.trim();
  if (reason === "" || /[\p{Cc}]/u.test(reason))
    throw new UsageError(
      "--override-disruption needs a reason",
      'say why in one line, e.g. --override-disruption "hotfix for INC-123"',
    );
  return reason;
}
