import type { Env } from "../cli/env.js";
import { writeLine } from "../cli/io.js";
import { recoveringAgentsLine } from "../cluster/live-source.js";
import type { ClusterSnapshot, ClusterStateSource } from "../cluster/types.js";
import { sleep } from "../observe/sleep.js";

const POLL_MS = 2000;

/**
 * The cluster's state for a change, read once the master knows every agent it will hear from. A master that failed
 * over shows neither the agents that have not re-registered nor their tasks: a plan made then counts their
 * instances missing and launches them a second time. So the change waits, saying so once, until they re-register
 * or the master gives up on them (its --agent_reregister_timeout marks them unreachable); Ctrl-C stops the wait.
 */
export async function readRecoveredCluster(
  env: Env,
  source: Pick<ClusterStateSource, "read">,
): Promise<ClusterSnapshot> {
  let said = false;
  for (;;) {
    const snapshot = await source.read(env.signal);
    const recovering = snapshot.recoveringAgents ?? 0;
    if (recovering === 0) return snapshot;
    if (!said)
      writeLine(
        env.io.err,
        `waiting for the master: ${recoveringAgentsLine(recovering)}; a plan made now would launch again the instances they run`,
      );
    said = true;
    if (!(await sleep(POLL_MS, env.signal))) return snapshot;
  }
}
