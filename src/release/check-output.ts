import {
  AgentFiles,
  AgentOperator,
  BadResponseError,
  clusterAgentUrl,
  MasterOperator,
  sandboxDirectoryFromLegacyState,
  sandboxPathFromAgentState,
} from "../mesos/index.js";
import type { MasterCluster } from "../mesos/leader.js";
import { type CheckedTask, lastCheckFailure } from "../observe/check-output.js";

/** How much of the end of the sandbox's stderr is read for the check's last failure. */
const TAIL_BYTES = 16 * 1024;

/**
 * Reads the last health check failure of a task from its sandbox stderr, through the master (GET_AGENTS), the
 * agent (GET_STATE, or the legacy /state, for the sandbox) and its files API. Best effort: undefined when any of
 * them cannot answer, since this only adds to a message already shown.
 */
export function checkOutputReader(
  cluster: MasterCluster,
): (task: CheckedTask, signal?: AbortSignal) => Promise<string | undefined> {
  return async (task, signal) => {
    try {
      const agents = await new MasterOperator(cluster).getAgents(signal);
      const agent = agents.agents?.find((a) => a.agent_info.id?.value === task.agentId);
      if (agent === undefined) return undefined;
      const url = clusterAgentUrl(cluster, agent);
      const sandbox = await sandboxOf(new AgentOperator(cluster.transport, url), task, signal);
      if (sandbox === undefined) return undefined;
      const files = new AgentFiles(cluster.transport, url);
      const path = `${sandbox}/stderr`;
      const size = await files.size(path, signal);
      const from = Math.max(0, size - TAIL_BYTES);
      const chunk = await files.read(path, from, size - from, signal);
      return lastCheckFailure(chunk.data.toString("utf8"), task.taskId);
    } catch {
      return undefined;
    }
  };
}

async function sandboxOf(
  operator: AgentOperator,
  task: CheckedTask,
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  try {
    const state = await operator.getState(signal);
    return sandboxPathFromAgentState(state, task.frameworkId, task.taskId);
  } catch (error) {
    if (!(error instanceof BadResponseError)) throw error;
    const legacy = await operator.legacyState(signal);
    return sandboxDirectoryFromLegacyState(legacy, task.frameworkId, task.taskId);
  }
}
