import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import type { TitanTask } from "../../cluster/types.js";
import type { ClusterTarget } from "../../config/target.js";
import {
  AgentFiles,
  AgentOperator,
  BadResponseError,
  clusterAgentUrl,
  type MasterCluster,
  sandboxDirectoryFromLegacyState,
  sandboxPathFromAgentState,
} from "../../mesos/index.js";
import type { GetAgentsAgent } from "../../mesos/types/operator.js";
import { LineSplitter } from "../../observe/line-splitter.js";
import type { LineOrigin, LogStream } from "../../observe/log-format.js";
import { type LogTarget, selectLogTasks } from "../../observe/log-selection.js";
import { isCurrent } from "../../observe/states.js";
import { readTitanState } from "../ps/state.js";

/** One stream of one task run that `logs` reads. */
export interface LogSource {
  key: string;
  origin: LineOrigin;
  /** The agent the run is on (its id). */
  agentId: string;
  files: AgentFiles;
  path: string;
  splitter: LineSplitter;
  /** Where the next read starts (after the initial read). */
  offset: number;
  /** The last bytes read before `offset` (a few): following checks the file still holds them there. */
  before: Buffer;
  /** The task has ended: once a poll brings nothing new, the source is drained and dropped. */
  ended: boolean;
  /** The last read failed (agent unreachable); reported once, retried every poll. */
  failing: boolean;
  /**
   * The run's agent is gone from the master's agents (removed, or lost for good) and is not one a failed-over
   * master waits for: once the run ended, a read that fails will not succeed later.
   */
  agentLeft: boolean;
}

export interface Discovery {
  /** Sources for task runs not seen before. */
  added: LogSource[];
  /** Keys (framework/task) of the runs that are still running or may be. */
  current: Set<string>;
  /**
   * Agents a master that failed over has not heard from again (its `recovered_agents`): it lists none of their
   * tasks until they re-register, so a run on one that is missing from `current` may well still be running.
   */
  recovering: Set<string>;
  /** Agents the master lists (GET_AGENTS `agents`): their files can be read. */
  agents: Set<string>;
  /**
   * Regions whose master did not answer this look (logs over several regions): their runs are in neither `current`
   * nor `agents`, and nothing is known of them until it answers again.
   */
  unanswered: Set<string>;
  /** Runs selected at all (current or recently ended). */
  selected: number;
  /** Whether the master lists any task of the app at all (of any instance or release). */
  appKnown: boolean;
  /**
   * Runs not seen before whose output cannot be read now: their agent is not in the master's GET_AGENTS or does not
   * answer (each noted once, and looked for again on the next discovery). A region whose master did not answer
   * counts as one.
   */
  unreadable: number;
}

/** Why the output of a run whose agent the master does not list cannot be read, and whether it may be later. */
function agentMissing(task: TitanTask, recovering: ReadonlySet<string>): string {
  if (recovering.has(task.agentId))
    return `agent ${task.agentId} has not re-registered since the master failed over; its logs can be read once it does`;
  if (!isCurrent(task.state))
    return `agent ${task.agentId} has left the cluster; the output of ${task.taskId}, which ended, cannot be read any more`;
  return `agent ${task.agentId} is not reachable through the master; its logs cannot be read now`;
}

function runKey(task: TitanTask): string {
  return `${task.frameworkId}/${task.taskId}`;
}

/**
 * Finds an app's task runs through the leading master, their agents through GET_AGENTS, and their sandboxes
 * through each agent's GET_STATE (the legacy `/state` when the v1 API is not there). Runs whose agent or
 * sandbox cannot be found yet are noted once and retried on the next discovery.
 */
export class SourceFinder {
  private readonly known = new Set<string>();
  private readonly noted = new Set<string>();

  constructor(
    private readonly env: Env,
    private readonly cluster: MasterCluster,
    private readonly target: ClusterTarget,
    private readonly logTarget: LogTarget,
    private readonly options: {
      streams: readonly LogStream[];
      sinceMs?: number;
      note: (line: string) => void;
      /** Lines name the target's region (logs over several regions). */
      showRegion?: boolean;
    },
  ) {}

  /** `signal` cuts the look short (the command's own signal unless given). */
  async discover(signal: AbortSignal = this.env.signal): Promise<Discovery> {
    const { state, titanTasks } = await readTitanState(this.cluster, signal);
    const { tasks } = titanTasks;
    const agents = new Map<string, GetAgentsAgent>();
    for (const agent of state.get_agents?.agents ?? []) {
      const id = agent.agent_info.id?.value;
      if (id !== undefined) agents.set(id, agent);
    }
    const recovering = new Set<string>();
    for (const agent of state.get_agents?.recovered_agents ?? []) {
      const id = agent.id?.value;
      if (id !== undefined) recovering.add(id);
    }
    const region = this.target.region;
    const chosen = selectLogTasks(
      tasks.filter((t) => region === undefined || t.region === undefined || t.region === region),
      this.logTarget,
      {
        now: this.env.clock.now(),
        sinceMs: this.options.sinceMs,
      },
    );
    const current = new Set(chosen.filter((t) => isCurrent(t.state)).map(runKey));
    const added: LogSource[] = [];
    let unreadable = 0;
    const agentStates = new Map<
      string,
      Promise<(taskId: string, frameworkId: string) => string | undefined>
    >();
    for (const task of chosen) {
      const key = runKey(task);
      if (this.known.has(key)) continue;
      const agent = agents.get(task.agentId);
      if (agent === undefined) {
        unreadable += 1;
        this.noteOnce(key, `${task.app}[${task.instance}]: ${agentMissing(task, recovering)}`);
        continue;
      }
      const url = clusterAgentUrl(this.cluster, agent);
      let locate = agentStates.get(url.origin);
      if (locate === undefined) {
        locate = this.sandboxLocator(url, signal);
        agentStates.set(url.origin, locate);
      }
      let sandbox: string | undefined;
      try {
        sandbox = (await locate)(task.taskId, task.frameworkId);
      } catch (error) {
        if (!(error instanceof TitanError) || signal.aborted) throw error;
        unreadable += 1;
        this.noteOnce(
          key,
          `${task.app}[${task.instance}]: cannot ask agent ${task.hostname}: ${error.message}`,
        );
        continue;
      }
      if (sandbox === undefined) {
        this.noteOnce(
          key,
          `${task.app}[${task.instance}]: agent ${task.hostname} no longer has the sandbox of ${task.taskId}`,
        );
        continue;
      }
      this.known.add(key);
      added.push(...this.sourcesFor(task, agent, url, sandbox));
    }
    const appKnown = tasks.some((t) => t.app === this.logTarget.app);
    return {
      added,
      current,
      recovering,
      agents: new Set(agents.keys()),
      unanswered: new Set(),
      selected: chosen.length,
      appKnown,
      unreadable,
    };
  }

  private sourcesFor(task: TitanTask, agent: GetAgentsAgent, url: URL, sandbox: string): LogSource[] {
    const files = new AgentFiles(this.cluster.transport, url);
    return this.options.streams.map((stream) => ({
      key: `${runKey(task)}/${stream}`,
      origin: {
        app: task.app,
        instance: task.instance,
        taskId: task.taskId,
        host: agent.agent_info.hostname,
        stream,
        ...(this.options.showRegion === true && this.target.region !== undefined
          ? { region: this.target.region }
          : {}),
      },
      agentId: task.agentId,
      files,
      path: `${sandbox}/${stream}`,
      splitter: new LineSplitter(),
      offset: 0,
      before: Buffer.alloc(0),
      ended: !isCurrent(task.state),
      failing: false,
      agentLeft: false,
    }));
  }

  /** Reads the agent's state once per discovery and answers sandbox look-ups from it. */
  private async sandboxLocator(
    url: URL,
    signal: AbortSignal,
  ): Promise<(taskId: string, frameworkId: string) => string | undefined> {
    const operator = new AgentOperator(this.cluster.transport, url);
    try {
      const state = await operator.getState(signal);
      return (taskId, frameworkId) => sandboxPathFromAgentState(state, frameworkId, taskId);
    } catch (error) {
      // Agents older than the v1 operator API (or with it disabled) still serve the legacy /state.
      if (!(error instanceof BadResponseError)) throw error;
      const legacy = await operator.legacyState(signal);
      return (taskId, frameworkId) => sandboxDirectoryFromLegacyState(legacy, frameworkId, taskId);
    }
  }

  private noteOnce(key: string, line: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.options.note(line);
  }
}
