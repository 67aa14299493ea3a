import type { Env } from "../cli/env.js";
import { InterruptedError, TimeoutError } from "../cli/errors.js";
import { writeLine } from "../cli/io.js";
import { recoveringAgentsLine } from "../cluster/live-source.js";
import type { ClusterSnapshot, ClusterStateSource } from "../cluster/types.js";
import { formatDuration } from "../manifest/index.js";
import { sleep } from "../observe/sleep.js";

const POLL_MS = 2000;
/** How often a wait still under way says so again, with how long it has lasted. */
const REPEAT_MS = 30_000;

export const RECOVERED_WAIT_HINT =
  "agents re-register once they run and reach the master; one that never does is given up on (marked unreachable) after the master's --agent_reregister_timeout; one marked gone (MARK_AGENT_GONE) before it re-registered stays among them until the master fails over again; Ctrl-C or --timeout stop the wait and change nothing";

export interface RecoveredWait {
  /** When the wait gives up (epoch ms, from `--timeout`); none: it waits as long as the master does. */
  deadline?: number;
  /** The region whose master it waits for, named in what it says (a rollout waits for several at once). */
  region?: string;
}

/**
 * The cluster's state for a change, read once the master knows every agent it will hear from. A master that failed
 * over shows neither the agents that have not re-registered nor their tasks: a plan made then counts their
 * instances missing and launches them a second time. So the change waits until they re-register or the master
 * gives up on them (its --agent_reregister_timeout marks them unreachable), saying so with a hint and again every
 * 30 s. Ctrl-C stops the wait as an interruption and `--timeout` as a timeout: nothing is planned or changed.
 */
export async function readRecoveredCluster(
  env: Env,
  source: Pick<ClusterStateSource, "read">,
  wait: RecoveredWait = {},
): Promise<ClusterSnapshot> {
  const startedAt = env.clock.now();
  const where = wait.region === undefined ? "" : `${wait.region}: `;
  let saidAt: number | undefined;
  for (;;) {
    const snapshot = await source.read(env.signal);
    const recovering = snapshot.recoveringAgents ?? 0;
    if (recovering === 0) return snapshot;
    const now = env.clock.now();
    const left = givesUp(snapshot.reregisterWait, now);
    if (saidAt === undefined) {
      writeLine(
        env.io.err,
        `${where}waiting for the master: ${recoveringAgentsLine(recovering, snapshot.reregisterWait, left)}; a plan made now would launch again the instances they run`,
      );
      writeLine(env.io.err, `hint: ${RECOVERED_WAIT_HINT}`);
      saidAt = now;
    } else if (now - saidAt >= REPEAT_MS) {
      writeLine(
        env.io.err,
        `${where}still waiting for the master after ${formatDuration(roundToSeconds(now - startedAt))}: ${recovering} agent(s) have not re-registered${left === undefined ? "" : `; ${left}`}`,
      );
      saidAt = now;
    }
    if (wait.deadline !== undefined && now >= wait.deadline)
      throw new TimeoutError(
        `${where}timed out waiting for the master: ${recovering} agent(s) have not re-registered since it failed over; nothing changed`,
        "re-run once they have (titan plan warns while they have not), or with a longer --timeout",
      );
    const pause = wait.deadline === undefined ? POLL_MS : Math.min(POLL_MS, Math.max(0, wait.deadline - now));
    if (!(await sleep(pause, env.signal)))
      throw new InterruptedError(
        "interrupted while waiting for the master's agents to re-register; nothing changed",
        "re-run the command once they have re-registered",
      );
  }
}

/**
 * How long until the master gives up on the agents, when it said how long it waits: `it gives up on them in about
 * 8m20s` (its clock's time of election against ours, so about), or that the time has come.
 */
function givesUp(wait: ClusterSnapshot["reregisterWait"], now: number): string | undefined {
  if (wait?.endsAt === undefined) return undefined;
  const left = wait.endsAt - now;
  if (left < 1000) return "it gives up on them about now (marks them unreachable)";
  return `it gives up on them in about ${formatDuration(roundToSeconds(left))}`;
}

function roundToSeconds(ms: number): number {
  return Math.round(ms / 1000) * 1000;
}
