/**
 * What `titan top` measures: titan's running tasks in a target as the master lists them, each agent that runs one
 * asked for its containers' statistics (GET_CONTAINERS), and each instance's figures between two answers.
 */
import type { Env } from "../../cli/env.js";
import { TitanError } from "../../cli/errors.js";
import type { TitanTask } from "../../cluster/types.js";
import type { ClusterTarget } from "../../config/target.js";
import { AgentOperator, clusterAgentUrl, type MasterCluster } from "../../mesos/index.js";
import type { AgentContainer, GetAgentsAgent, ResourceStatistics } from "../../mesos/types/operator.js";
import { recoveringAgents } from "../../observe/recovering.js";
import {
  type AppUsage,
  type ContainerSamples,
  instanceUsage,
  type UsageSection,
} from "../../observe/usage.js";
import { readTitanState } from "../ps/state.js";
import { noInstanceReason } from "../ps/target.js";

/** Agents asked at once: a cluster of thousands of agents is sampled without thousands of open connections. */
const AGENTS_AT_ONCE = 32;

/** Task states in which an instance has a container its agent can measure. */
const MEASURABLE = new Set(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"]);

/** Runs `work` over the items, at most `limit` at a time, keeping their order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What one agent answered: its containers by framework and executor id, or why it did not answer. */
type AgentAnswer = { containers: Map<string, ResourceStatistics> } | { problem: string };

function containerKey(frameworkId: string, executorId: string): string {
  return `${frameworkId}/${executorId}`;
}

function byContainer(containers: readonly AgentContainer[]): Map<string, ResourceStatistics> {
  const out = new Map<string, ResourceStatistics>();
  for (const c of containers) {
    const framework = c.framework_id?.value;
    const executor = c.executor_id?.value;
    if (framework !== undefined && executor !== undefined && c.resource_statistics !== undefined)
      out.set(containerKey(framework, executor), c.resource_statistics);
  }
  return out;
}

async function askAgent(operator: AgentOperator, host: string, signal: AbortSignal): Promise<AgentAnswer> {
  try {
    return { containers: byContainer((await operator.getContainers(signal)).containers ?? []) };
  } catch (error) {
    if (!(error instanceof TitanError) || signal.aborted) throw error;
    return { problem: `no figures from agent ${host}: ${error.message}` };
  }
}

/**
 * A command task runs in its command executor's container, whose executor id is the task's id (slave.cpp
 * getExecutorInfo): the container of a task is found by its framework and its task id. Without an earlier answer
 * of the agent (an agent new to a watch), there is memory but no rate yet.
 */
function samplesOf(task: TitanTask, earlier: AgentAnswer | undefined, later: AgentAnswer): ContainerSamples {
  if ("problem" in later) return later;
  const key = containerKey(task.frameworkId, task.taskId);
  const second = later.containers.get(key);
  if (second === undefined)
    return { problem: `agent ${task.hostname} lists no container for it (starting or ending)` };
  const first = earlier === undefined || "problem" in earlier ? undefined : earlier.containers.get(key);
  return first === undefined ? { second } : { first, second };
}

/** Titan's tasks in one target as the master lists them, and the agents to ask about them. */
interface Sighting {
  master: string;
  known: Set<string>;
  tasks: TitanTask[];
  /** Apps named that titan knows but that have no instance to measure here, and why. */
  idle: Map<string, string>;
  /** Agents the master has not heard from since it failed over: it lists none of their tasks (recovering.ts). */
  recoveringAgents: number;
  agents: Map<string, { operator: AgentOperator; host: string }>;
}

async function sight(
  env: Env,
  target: ClusterTarget,
  cluster: MasterCluster,
  apps: readonly string[],
): Promise<Sighting> {
  const { state, titanTasks, master } = await readTitanState(cluster, env.signal);
  const region = target.region;
  const inRegion = titanTasks.tasks.filter(
    (t) => region === undefined || t.region === undefined || t.region === region,
  );
  const tasks = inRegion
    .filter(
      (t) =>
        (apps.length === 0 || apps.includes(t.app)) &&
        (MEASURABLE.has(t.state) || t.state === "TASK_UNREACHABLE"),
    )
    .sort((a, b) => a.app.localeCompare(b.app) || a.instance - b.instance);
  const listed = new Map<string, GetAgentsAgent>();
  for (const agent of state.get_agents?.agents ?? []) {
    const id = agent.agent_info.id?.value;
    if (id !== undefined) listed.set(id, agent);
  }
  const agents = new Map<string, { operator: AgentOperator; host: string }>();
  for (const task of tasks) {
    const agent = listed.get(task.agentId);
    if (agent === undefined || agents.has(task.agentId) || !MEASURABLE.has(task.state)) continue;
    const url = clusterAgentUrl(cluster, agent);
    agents.set(task.agentId, { operator: new AgentOperator(cluster.transport, url), host: task.hostname });
  }
  const known = new Set(inRegion.map((t) => t.app));
  const recovering = recoveringAgents(state);
  const idle = await idleApps(target, apps, tasks, known, recovering);
  return { master, known, tasks, agents, idle, recoveringAgents: recovering };
}

/**
 * The apps named that have no instance to measure, with why. An app with releases in the target's state store is
 * known without a task (its only release failed before any ran, or it was stopped), as `ps` knows it; its releases
 * say why nothing runs. Adds the apps known that way to `known`.
 */
async function idleApps(
  target: ClusterTarget,
  apps: readonly string[],
  tasks: readonly TitanTask[],
  known: Set<string>,
  recovering: number,
): Promise<Map<string, string>> {
  const idle = new Map<string, string>();
  const measured = new Set(tasks.map((t) => t.app));
  const missing = apps.filter((app) => !measured.has(app));
  if (missing.length === 0) return idle;
  const store = await target.store();
  for (const app of missing) {
    // An unreadable record only costs the reason, as it costs `ps` its desired count.
    const releases = await store.releases(app).catch(() => []);
    const why = noInstanceReason(app, releases, target.region, recovering);
    if (why !== undefined) known.add(app);
    if (known.has(app)) idle.set(app, why ?? "none of its instances runs");
  }
  return idle;
}

/** Every agent of the sighting asked once, at most AGENTS_AT_ONCE at a time. */
async function sample(env: Env, sighting: Sighting): Promise<Map<string, AgentAnswer>> {
  return new Map(
    await mapBounded(
      [...sighting.agents.entries()],
      AGENTS_AT_ONCE,
      async ([id, { operator, host }]) => [id, await askAgent(operator, host, env.signal)] as const,
    ),
  );
}

function section(
  target: ClusterTarget,
  sighting: Sighting,
  earlier: ReadonlyMap<string, AgentAnswer>,
  later: ReadonlyMap<string, AgentAnswer>,
  intervalMs: number,
): UsageSection {
  const byApp = new Map<string, AppUsage>();
  for (const task of sighting.tasks) {
    const answer = later.get(task.agentId);
    const samples: ContainerSamples =
      task.state === "TASK_UNREACHABLE"
        ? { problem: "unreachable: its agent is out of contact" }
        : answer === undefined
          ? { problem: `agent ${task.agentId} is not listed by the master` }
          : samplesOf(task, earlier.get(task.agentId), answer);
    const usage = byApp.get(task.app) ?? { app: task.app, instances: [] };
    usage.instances.push(instanceUsage(task, samples));
    byApp.set(task.app, usage);
  }
  for (const [app, why] of sighting.idle) byApp.set(app, { app, instances: [], none: why });
  return {
    ...(target.region === undefined ? {} : { region: target.region }),
    context: target.context,
    cluster: target.cluster.name,
    master: sighting.master,
    intervalMs,
    apps: [...byApp.values()].sort((a, b) => a.app.localeCompare(b.app)),
    ...(sighting.recoveringAgents === 0 ? {} : { recoveringAgents: sighting.recoveringAgents }),
  };
}

/**
 * One target followed over rounds: each round's figures are measured since the round before. With `alone` false
 * (one of several regions) a round that cannot read the target gives a section saying why, so the other regions
 * are still shown, as `ps` shows them.
 */
export class TargetUsage {
  private sighting: Sighting | undefined;
  private last = new Map<string, AgentAnswer>();

  constructor(
    private readonly env: Env,
    readonly target: ClusterTarget,
    private readonly apps: readonly string[],
    private readonly alone: boolean,
  ) {}

  get known(): ReadonlySet<string> {
    return this.sighting?.known ?? new Set();
  }

  async round(refresh: boolean, intervalMs: number): Promise<UsageSection> {
    try {
      return await this.sample(refresh, intervalMs);
    } catch (error) {
      if (this.alone || !(error instanceof TitanError) || this.env.signal.aborted) throw error;
      return {
        ...(this.target.region === undefined ? {} : { region: this.target.region }),
        context: this.target.context,
        cluster: this.target.cluster.name,
        master: (await this.target.masters().catch(() => this.target.cluster.masters)).join(","),
        intervalMs,
        apps: [],
        error: error.hint === undefined ? error.message : `${error.message} (${error.hint})`,
      };
    }
  }

  /** Asks the agents; `refresh` reads the master's task list first (always on the first round). */
  private async sample(refresh: boolean, intervalMs: number): Promise<UsageSection> {
    if (refresh || this.sighting === undefined)
      this.sighting = await sight(this.env, this.target, await this.target.client(), this.apps);
    const answers = await sample(this.env, this.sighting);
    const shown = section(this.target, this.sighting, this.last, answers, intervalMs);
    this.last = answers;
    return shown;
  }
}
