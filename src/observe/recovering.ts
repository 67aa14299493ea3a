import type { GetState } from "../mesos/types/operator.js";

/**
 * Agents of the master's registry that have not re-registered since it failed over (GET_AGENTS'
 * `recovered_agents`): the master lists none of their tasks until they do (master.cpp `Master::_recover`), which
 * may take up to its `agent_reregister_timeout` (10 minutes by default). Their tasks most likely still run.
 */
export function recoveringAgents(state: GetState): number {
  return state.get_agents?.recovered_agents?.length ?? 0;
}

/** `3 agents have not re-registered since the master failed over: their tasks are not listed until they do`. */
export function recoveringText(count: number): string {
  const agents = count === 1 ? "1 agent has" : `${count} agents have`;
  return `${agents} not re-registered since the master failed over: their tasks are not listed until they do`;
}
