import type { Env } from "../../cli/env.js";
import { InterruptedError, TitanError, UsageError } from "../../cli/errors.js";
import { ExitCode } from "../../cli/exit-codes.js";
import { writeLine } from "../../cli/io.js";
import type { TitanTask } from "../../cluster/types.js";
import type { ClusterTarget } from "../../config/target.js";
import { parseDuration } from "../../manifest/units.js";
import { AgentOperator, agentBaseUrl, type MasterCluster } from "../../mesos/index.js";
import type { AgentContainer, GetAgentsAgent, ResourceStatistics } from "../../mesos/types/operator.js";
import { sleep } from "../../observe/sleep.js";
import {
  type AppUsage,
  type ContainerSamples,
  instanceUsage,
  renderUsage,
  type UsageSection,
  usageToJson,
} from "../../observe/usage.js";
import { unknownAppError } from "../../release/unknown-app.js";
import { readTitanState } from "../ps/state.js";
import { resolveTargets } from "../ps/target.js";
import type { TopOptions } from "./command.js";

const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
/** Agents asked at once: a cluster of thousands of agents is sampled without thousands of open connections. */
const AGENTS_AT_ONCE = 32;

/** Task states in which an instance has a container its agent can measure. */
const MEASURABLE = new Set(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"]);

function parseInterval(text: string | undefined): number {
  if (text === undefined) return DEFAULT_INTERVAL_MS;
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value < MIN_INTERVAL_MS) {
    throw new UsageError(
      `--interval ${JSON.stringify(text)} is not a duration of at least 100ms`,
      "e.g. --interval 5s",
    );
  }
  return parsed.value;
}

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
 * getExecutorInfo): the container of a task is found by its framework and its task id.
 */
function samplesOf(task: TitanTask, first: AgentAnswer, second: AgentAnswer): ContainerSamples {
  if ("problem" in first) return first;
  if ("problem" in second) return second;
  const key = containerKey(task.frameworkId, task.taskId);
  const a = first.containers.get(key);
  const b = second.containers.get(key);
  if (a === undefined || b === undefined)
    return { problem: `agent ${task.hostname} lists no container for it (starting or ending)` };
  return { first: a, second: b };
}

async function readUsage(
  env: Env,
  target: ClusterTarget,
  cluster: MasterCluster,
  apps: readonly string[],
  intervalMs: number,
): Promise<{ section: UsageSection; known: Set<string> }> {
  const { state, titanTasks, master } = await readTitanState(cluster, env.signal);
  const region = target.region;
  const inRegion = titanTasks.tasks.filter(
    (t) => region === undefined || t.region === undefined || t.region === region,
  );
  const known = new Set(inRegion.map((t) => t.app));
  const wanted = inRegion.filter(
    (t) =>
      (apps.length === 0 || apps.includes(t.app)) &&
      (MEASURABLE.has(t.state) || t.state === "TASK_UNREACHABLE"),
  );
  const agents = new Map<string, GetAgentsAgent>();
  for (const agent of state.get_agents?.agents ?? []) {
    const id = agent.agent_info.id?.value;
    if (id !== undefined) agents.set(id, agent);
  }
  const scheme = cluster.knownLeader?.protocol === "https:" ? "https:" : "http:";
  const operators = new Map<string, { operator: AgentOperator; host: string }>();
  for (const task of wanted) {
    const agent = agents.get(task.agentId);
    if (agent === undefined || operators.has(task.agentId) || !MEASURABLE.has(task.state)) continue;
    const url = agentBaseUrl(agent, scheme);
    cluster.transport.trustOrigin(url.origin);
    operators.set(task.agentId, { operator: new AgentOperator(cluster.transport, url), host: task.hostname });
  }
  const asked = [...operators.entries()];
  const round = async (): Promise<Map<string, AgentAnswer>> =>
    new Map(
      await mapBounded(
        asked,
        AGENTS_AT_ONCE,
        async ([id, { operator, host }]) => [id, await askAgent(operator, host, env.signal)] as const,
      ),
    );
  const first = await round();
  if (asked.length > 0 && !(await sleep(intervalMs, env.signal))) throw new InterruptedError();
  const second = asked.length > 0 ? await round() : first;

  const byApp = new Map<string, AppUsage>();
  for (const task of [...wanted].sort((a, b) => a.app.localeCompare(b.app) || a.instance - b.instance)) {
    const a = first.get(task.agentId);
    const b = second.get(task.agentId);
    const samples: ContainerSamples =
      task.state === "TASK_UNREACHABLE"
        ? { problem: "unreachable: its agent is out of contact" }
        : a === undefined || b === undefined
          ? { problem: `agent ${task.agentId} is not listed by the master` }
          : samplesOf(task, a, b);
    const usage = byApp.get(task.app) ?? { app: task.app, instances: [] };
    usage.instances.push(instanceUsage(task, samples));
    byApp.set(task.app, usage);
  }
  const section: UsageSection = {
    ...(region === undefined ? {} : { region }),
    context: target.context,
    cluster: target.cluster.name,
    master,
    intervalMs,
    apps: [...byApp.values()],
  };
  return { section, known };
}

export async function runTop(env: Env, opts: TopOptions): Promise<number> {
  const interval = parseInterval(opts.interval);
  const targets = await resolveTargets(env, opts, opts.allRegions);
  try {
    const read = await Promise.all(
      targets.map(async (target) => readUsage(env, target, await target.client(), opts.apps, interval)),
    );
    const unknown = opts.apps.find((app) => !read.some((r) => r.known.has(app)));
    if (unknown !== undefined) throw unknownAppError(unknown);
    const sections = read.map((r) => r.section);
    if (opts.json) writeLine(env.io.out, JSON.stringify(usageToJson(sections), null, 2));
    else writeLine(env.io.out, renderUsage(sections, env.io.color).join("\n"));
    return ExitCode.Ok;
  } finally {
    await Promise.all(targets.map((target) => target.close()));
  }
}
