import { commandLine } from "../cli/command-line.js";
import { TitanError } from "../cli/errors.js";
import { ExitCode } from "../cli/exit-codes.js";
import type { FailureCause } from "../deploy/failure.js";

/** A release that failed, as the deploy of its app ended. */
export interface FailedRelease {
  app: string;
  release: number;
  reason?: string;
  cause?: FailureCause;
  rolledBackTo?: number;
}

/**
 * A failed release that was not rolled back (exit 6): the reason, with the hint that helps for what it failed of.
 * `target`: the command's target flags (`--context prod`), carried into the commands a hint names.
 */
export function failedError(result: FailedRelease, verb: string, target: readonly string[] = []): TitanError {
  const hint =
    causeHint(result, target) ??
    `see \`titan releases ${result.app}\`; fix the release and deploy again, or \`titan rollback ${result.app}\``;
  return new TitanError(`${verb} of ${result.app} failed: ${result.reason ?? "unknown reason"}`, {
    exitCode: ExitCode.DeployFailed,
    hint,
  });
}

/**
 * A failed release that was rolled back (exit 5), saying what it failed of: only a release whose tasks ran failed
 * its health gates, and only then do the app's logs say why.
 */
export function rolledBackError(result: FailedRelease, target: readonly string[] = []): TitanError {
  const { app, release } = result;
  const logs = commandLine(["titan", "logs", app, "--release", String(release), ...target]);
  return new TitanError(
    `release ${release} of ${app} ${failedOf(result.cause)} (${result.reason ?? "unhealthy"}) and was rolled back to release ${result.rolledBackTo ?? "?"}`,
    {
      exitCode: ExitCode.RolledBack,
      hint: causeHint(result, target) ?? `see why in \`${logs}\`, fix it and deploy again`,
    },
  );
}

function failedOf(cause: FailureCause | undefined): string {
  switch (cause) {
    case "no_room":
      return "found no room in the offers";
    case "not_started":
      return "was never started by the cluster";
    case "launch_failed":
      return "could not be launched";
    default:
      return "failed its health gates";
  }
}

/** The hint for a release that failed of something else than its health gates; undefined for those. */
function causeHint(result: FailedRelease, target: readonly string[]): string | undefined {
  const { app } = result;
  switch (result.cause) {
    case "no_room":
      return `the cluster has less room than the plan saw: \`titan plan\` shows where ${app} fits now and how many agents would make it fit`;
    case "not_started": {
      const status = commandLine(["titan", "status", app, ...target]);
      return `no agent ran its tasks, so they left no logs: check that the leading master answers and that its agents are up and registered (a master that failed over loses the launches it had not passed on), then deploy again; \`${status}\` shows what runs now`;
    }
    case "launch_failed":
      return "the reason is the master's or the agent's word on the launch, before anything ran: fix what it names (the manifest, or the agents) and deploy again";
    default:
      return undefined;
  }
}
