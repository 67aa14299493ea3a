import type { DeployProgress, InstanceBackoff, Release, SupervisorReport } from "../state/types.js";
import type { Liveness } from "./deploy-wait.js";
import { formatAge } from "./states.js";

/** Whether a running `titan supervise` covers an app, as its store reports say. */
export interface Coverage {
  /** The supervisor that leads the app, when one does. */
  leader?: {
    user: string;
    host: string;
    pid: number;
    mode: string;
    lastReconciledAt?: number;
    brake?: string;
    /** The instances it holds in restart backoff, as its report (live, so not past its expiry) says. */
    backoff?: readonly InstanceBackoff[];
  };
  /** Live supervisors that cover the app (leading or waiting). */
  supervisors: number;
}

/**
 * Reports of supervisors still there: not expired, and not written by a process of this machine that is gone (a
 * supervisor killed with SIGKILL leaves its report until it expires), as a deploy lock's liveness is judged.
 */
export function liveReports(reports: readonly SupervisorReport[], live: Liveness): SupervisorReport[] {
  return reports.filter(
    (r) => r.expiresAt >= live.now && !(r.host === live.hostname && !live.isAlive(r.pid)),
  );
}

export function coverageOf(app: string, reports: readonly SupervisorReport[], live: Liveness): Coverage {
  let supervisors = 0;
  let leader: Coverage["leader"];
  for (const report of liveReports(reports, live)) {
    const entry = report.apps.find((a) => a.app === app);
    if (entry === undefined) continue;
    supervisors += 1;
    if (!entry.leader) continue;
    leader = {
      user: report.user,
      host: report.host,
      pid: report.pid,
      mode: entry.mode,
      ...(entry.lastReconciledAt === undefined ? {} : { lastReconciledAt: entry.lastReconciledAt }),
      ...(entry.brake === undefined ? {} : { brake: entry.brake }),
      ...(entry.backoff === undefined || entry.backoff.length === 0 ? {} : { backoff: entry.backoff }),
    };
  }
  return { supervisors, ...(leader === undefined ? {} : { leader }) };
}

/** The instances the leading supervisor holds in restart backoff, by instance (none when no live report says so). */
export function backoffByInstance(coverage: Coverage | undefined): ReadonlyMap<number, InstanceBackoff> {
  return new Map((coverage?.leader?.backoff ?? []).map((b) => [b.instance, b] as const));
}

/** `supervised by ana@box (reconciled 12s ago)`, `not supervised`, … */
export function coverageText(coverage: Coverage, now: number): string {
  const { leader } = coverage;
  if (leader === undefined)
    return coverage.supervisors > 0
      ? `supervisors: ${coverage.supervisors} waiting, none leads`
      : "not supervised";
  const when =
    leader.lastReconciledAt === undefined
      ? "not reconciled yet"
      : `reconciled ${formatAge(now - leader.lastReconciledAt)} ago`;
  const mode = leader.mode === "supervising" ? "" : `, ${leader.mode}`;
  const brake = leader.brake === undefined ? "" : `, BRAKE: ${leader.brake}`;
  return `supervised by ${leader.user}@${leader.host} (pid ${leader.pid}${mode}, ${when}${brake})`;
}

export function coverageJson(coverage: Coverage): Record<string, unknown> | null {
  const { leader } = coverage;
  if (leader === undefined && coverage.supervisors === 0) return null;
  return {
    supervisors: coverage.supervisors,
    leader:
      leader === undefined
        ? null
        : {
            user: leader.user,
            host: leader.host,
            pid: leader.pid,
            mode: leader.mode,
            last_reconciled_at:
              leader.lastReconciledAt === undefined ? null : new Date(leader.lastReconciledAt).toISOString(),
            brake: leader.brake ?? null,
          },
  };
}

/**
 * When titan last held the app's framework: the end of the last command that subscribed for it (a deploy, scale,
 * restart, rollback or stop records its release's outcome, or its progress when interrupted), or the last report of
 * a supervisor that covered it. Mesos counts the framework's failover timeout from about then.
 */
export function lastHeldAt(
  app: string,
  releases: readonly Release[],
  progress: DeployProgress | undefined,
  reports: readonly SupervisorReport[],
): number | undefined {
  const times: number[] = [];
  const last = releases.at(-1);
  if (last !== undefined) times.push(last.finishedAt ?? last.createdAt);
  if (progress !== undefined) times.push(progress.updatedAt);
  for (const report of reports)
    if (report.apps.some((a) => a.app === app && a.leader)) times.push(report.updatedAt);
  return times.length === 0 ? undefined : Math.max(...times);
}

/**
 * A warning when nothing holds the app's framework and its failover timeout is in its last quarter (or past):
 * then Mesos removes the framework and kills every instance. Undefined when all is well.
 */
export function failoverWarning(
  app: string,
  heldAt: number | undefined,
  failoverTimeoutMs: number,
  covered: boolean,
  now: number,
): string | undefined {
  if (covered || heldAt === undefined) return undefined;
  const left = heldAt + failoverTimeoutMs - now;
  if (left > failoverTimeoutMs / 4) return undefined;
  const since = formatAge(now - heldAt);
  const fix = `run \`titan supervise ${app}\` (it holds the framework), or any titan deploy of ${app}`;
  if (left <= 0)
    return `no titan has held the framework of ${app} for ${since}, past its failover timeout of ${formatAge(failoverTimeoutMs)}: Mesos may have removed it and killed its instances; ${fix}`;
  return `no titan has held the framework of ${app} for ${since}: in ${formatAge(left)} its failover timeout (${formatAge(failoverTimeoutMs)}) passes and Mesos kills every instance; ${fix}`;
}
