import { escapeTerminal } from "../cli/terminal-text.js";
import { shortDigest } from "../cluster/digest.js";
import type { TitanTask } from "../cluster/types.js";
import { instancesIn } from "../plan/regions.js";
import type { InstanceBackoff, Release, ReleaseOutcome } from "../state/types.js";
import { type Coverage, coverageJson, coverageText } from "./coverage.js";
import { resumeCommand } from "./deploy-wait.js";
import { runningText } from "./group.js";
import { recoveringText } from "./recovering.js";
import { restartJson, restartText } from "./restart-backoff.js";
import { formatAge } from "./states.js";

export type Verdict = "ok" | "degraded" | "deploying" | "interrupted" | "stopping" | "stopped" | "unknown";

/** What `titan status APP` answers: is the app OK, what runs, and how the last deploy went. */
export interface AppStatus {
  app: string;
  verdict: Verdict;
  desired?: number;
  running: number;
  /** Tasks still being killed (TASK_KILLING), as a stop or scale-down interrupted leaves them. */
  stopping?: number;
  healthy: number;
  /** The newest release that was deployed: what should be running. */
  release?: Release;
  /** The newest release of any outcome: the last deploy. */
  lastDeploy?: Release;
  /** Which supervisor covers the app, when the store could say. */
  coverage?: Coverage;
  /** While a deploy runs: what it last said it waits for, and when. */
  waiting?: { for: string; at: number };
  /** Why no deploy carries the pending newest release out (interrupted, killed, its lock expired). */
  interrupted?: string;
  /** What carries it out then, when it is not the release's own command: the command that finishes its rollback. */
  finishing?: string;
  /**
   * Running instances whose spec is not the deployed release's, per release they run (a failed release left them,
   * `--no-auto-rollback`): the app is not what titan records as deployed, whatever its health.
   */
  otherReleases?: OtherRelease[];
  /** Why nothing runs when the cause is known, e.g. the local cluster restarted since the release was deployed. */
  note?: string;
  /** Instances with no run that the leading supervisor launches again once their restart backoff passed. */
  restarting?: readonly InstanceBackoff[];
  /** Agents the master has not heard from since it failed over: it lists none of their tasks (recovering.ts). */
  recoveringAgents?: number;
}

export interface OtherRelease {
  /** The release the instances run; undefined for tasks whose id names none. */
  release?: number;
  outcome?: ReleaseOutcome;
  instances: number;
}

/** The running tasks that do not run `release`'s spec, counted per release they belong to, oldest first. */
export function otherReleasesOf(
  running: readonly TitanTask[],
  release: Release,
  releases: readonly Release[],
): OtherRelease[] {
  const counts = new Map<number | undefined, number>();
  for (const task of running)
    if (task.digest !== release.manifestDigest) counts.set(task.release, (counts.get(task.release) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))
    .map(([number, instances]) => {
      const outcome = releases.find((r) => r.number === number)?.outcome;
      return {
        ...(number === undefined ? {} : { release: number }),
        ...(outcome === undefined ? {} : { outcome }),
        instances,
      };
    });
}

/**
 * The one-word verdict: `stopped` when nothing is wanted and nothing runs, `stopping` while nothing is wanted and
 * tasks are still being killed (they hold their room, and may still serve, until they end), `deploying` while a
 * deploy carries the pending newest release out, `interrupted` when it is pending and nothing does, `ok` when as
 * many instances run healthy as are wanted and all run the deployed release's spec, `degraded` otherwise,
 * `unknown` when titan cannot say what is wanted (no readable release) or what runs: fewer are listed than wanted
 * while the master waits for agents to re-register after a failover, and their tasks may well run there.
 */
export function verdictOf(status: Omit<AppStatus, "verdict">): Verdict {
  if (status.lastDeploy?.outcome === "pending")
    return status.interrupted === undefined ? "deploying" : "interrupted";
  if (status.desired === undefined) return "unknown";
  if (status.desired === 0 && status.running === 0)
    return (status.stopping ?? 0) > 0 ? "stopping" : "stopped";
  if ((status.otherReleases?.length ?? 0) > 0) return "degraded";
  if (status.healthy >= status.desired && status.running === status.desired) return "ok";
  return (status.recoveringAgents ?? 0) > 0 ? "unknown" : "degraded";
}

function releaseText(r: Release): string {
  return `release ${r.number} (${r.image ?? "command"}, spec ${shortDigest(r.manifestDigest)})`;
}

/**
 * One line: `web  ok  desired 3  running 3  healthy 3 · release 4 (…) · last deploy: release 4 deployed 5m ago`.
 * Its words come from the store and the cluster (a failed deploy's reason quotes a Mesos status message, a progress
 * record says what a deploy waits for), so control characters in them are shown as escapes.
 */
export function statusLine(s: AppStatus, now: number): string {
  const parts = [
    `${s.app}  ${s.verdict}  desired ${s.desired ?? "-"}  ${runningText(s.running, s.stopping ?? 0)}  healthy ${s.healthy}`,
    s.release === undefined ? "no release deployed" : releaseText(s.release),
  ];
  const last = s.lastDeploy;
  if (last !== undefined) {
    const when = formatAge(now - (last.finishedAt ?? last.createdAt));
    const detail = last.detail === undefined ? "" : ` (${last.detail})`;
    parts.push(`last deploy: release ${last.number} ${last.outcome.replace("_", " ")} ${when} ago${detail}`);
  }
  if (s.otherReleases !== undefined && s.otherReleases.length > 0 && s.release !== undefined)
    parts.push(`${otherReleasesText(s.otherReleases)}, not release ${s.release.number}`);
  if (s.waiting !== undefined)
    parts.push(`waiting for ${s.waiting.for} (said ${formatAge(now - s.waiting.at)} ago)`);
  if (s.interrupted !== undefined) {
    const resume = s.lastDeploy === undefined ? "titan deploy" : resumeCommand(s.lastDeploy);
    const next =
      s.finishing === undefined ? `\`${resume}\` resumes it` : `\`${s.finishing}\` finishes the rollback`;
    parts.push(`no deploy carries release ${s.lastDeploy?.number} out: ${s.interrupted} (${next})`);
  }
  for (const held of s.restarting ?? []) parts.push(`${s.app}[${held.instance}] ${restartText(held, now)}`);
  if (s.coverage !== undefined) parts.push(coverageText(s.coverage, now));
  if ((s.recoveringAgents ?? 0) > 0) parts.push(recoveringText(s.recoveringAgents ?? 0));
  if (s.note !== undefined) parts.push(s.note);
  return escapeTerminal(parts.join(" · "));
}

/** `2 instances run release 5 (failed), 1 runs release 4 (rolled back)`. */
function otherReleasesText(others: readonly OtherRelease[]): string {
  return others
    .map((o, i) => {
      const who = i === 0 ? `${o.instances} instance${o.instances === 1 ? "" : "s"} ` : `${o.instances} `;
      const verb = o.instances === 1 ? "runs" : "run";
      const which = o.release === undefined ? "a spec no release records" : `release ${o.release}`;
      const outcome = o.outcome === undefined ? "" : ` (${o.outcome.replace("_", " ")})`;
      return `${who}${verb} ${which}${outcome}`;
    })
    .join(", ");
}

/**
 * `region`: the region the status is of, where a release's instances are counted; `now`: the clock restart
 * countdowns are read against.
 */
export function statusJson(s: AppStatus, now: number, region?: string): Record<string, unknown> {
  const release = (r: Release | undefined) =>
    r === undefined
      ? null
      : {
          number: r.number,
          outcome: r.outcome,
          image: r.image ?? null,
          manifest_digest: r.manifestDigest,
          instances: instancesIn(r.spec, region),
          created_at: new Date(r.createdAt).toISOString(),
          finished_at: r.finishedAt === undefined ? null : new Date(r.finishedAt).toISOString(),
          detail: r.detail ?? null,
          command: r.command ?? null,
        };
  return {
    app: s.app,
    status: s.verdict,
    ok: s.verdict === "ok",
    desired: s.desired ?? null,
    running: s.running,
    stopping: s.stopping ?? 0,
    healthy: s.healthy,
    release: release(s.release),
    last_deploy: release(s.lastDeploy),
    supervisor: s.coverage === undefined ? null : coverageJson(s.coverage),
    waiting:
      s.waiting === undefined ? null : { for: s.waiting.for, at: new Date(s.waiting.at).toISOString() },
    interrupted: s.interrupted ?? null,
    other_releases: (s.otherReleases ?? []).map((o) => ({
      release: o.release ?? null,
      outcome: o.outcome ?? null,
      instances: o.instances,
    })),
    note: s.note ?? null,
    restarting: (s.restarting ?? []).map((held) => ({ instance: held.instance, ...restartJson(held, now) })),
    recovering_agents: s.recoveringAgents ?? 0,
  };
}
