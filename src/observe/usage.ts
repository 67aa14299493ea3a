import type { ChalkInstance } from "chalk";
import { renderTable } from "../cli/table.js";
import { escapeDeep } from "../cli/terminal-text.js";
import type { TitanTask } from "../cluster/types.js";
import type { ResourceStatistics } from "../mesos/types/operator.js";
import { recoveringText } from "./recovering.js";

/** What one instance used between two samples its agent took of its container. */
export interface InstanceUsage {
  instance: number;
  taskId: string;
  host: string;
  /** Cores busy on average between the samples (user + system time over wall time). */
  cpus?: number;
  /** The cores the container was given: its tasks' and its executor's (the agent's cpu soft limit). */
  cpusAllocated?: number;
  /** A hard cap on cpu, when the task sets one or the agent enforces CFS quotas. */
  cpusLimit?: number;
  memRssBytes?: number;
  memLimitBytes?: number;
  processes?: number;
  /** Why there are no figures: its agent did not answer, or did not list its container. */
  problem?: string;
}

export interface AppUsage {
  app: string;
  instances: InstanceUsage[];
  /** Why the app has no instance to measure (named, and known by its releases or ended tasks). */
  none?: string;
}

/** One cluster's answer in `top`. */
export interface UsageSection {
  region?: string;
  context: string;
  cluster: string;
  master: string;
  /** The time between the two samples asked of every agent. */
  intervalMs: number;
  apps: AppUsage[];
  /** Why the section's cluster could not be read (one region of several): its apps are not shown. */
  error?: string;
  /** Agents the master has not heard from since it failed over: it lists none of their tasks (recovering.ts). */
  recoveringAgents?: number;
}

/** An agent's answers for one container (the earlier one absent when it is new), or why there are none. */
export type ContainerSamples =
  | { first?: ResourceStatistics; second: ResourceStatistics }
  | { problem: string };

function cpuSeconds(stats: ResourceStatistics): number | undefined {
  const { cpus_user_time_secs: user, cpus_system_time_secs: system } = stats;
  if (user === undefined && system === undefined) return undefined;
  return (user ?? 0) + (system ?? 0);
}

/**
 * Cores used between two samples: the growth of user and system time over the growth of the agent's timestamp.
 * Undefined when the agent reports no cpu times, or the samples do not move forward (a container that restarted
 * between them starts its times again).
 */
export function cpuRate(first: ResourceStatistics, second: ResourceStatistics): number | undefined {
  const before = cpuSeconds(first);
  const after = cpuSeconds(second);
  const wall = second.timestamp - first.timestamp;
  if (before === undefined || after === undefined || wall <= 0 || after < before) return undefined;
  return (after - before) / wall;
}

/** An instance's figures from its container's samples: the rate from both, memory and limits from the later. */
export function instanceUsage(task: TitanTask, samples: ContainerSamples): InstanceUsage {
  const base = { instance: task.instance, taskId: task.taskId, host: task.hostname };
  if ("problem" in samples) return { ...base, problem: samples.problem };
  const { second } = samples;
  const cpus = samples.first === undefined ? undefined : cpuRate(samples.first, second);
  const allocated = second.cpus_soft_limit ?? second.cpus_limit;
  // The memory limit is the request unless the task sets a higher one (containerizer.cpp `_usage`).
  const memLimit = second.mem_limit_bytes ?? second.mem_soft_limit_bytes;
  return {
    ...base,
    ...(cpus === undefined ? {} : { cpus }),
    ...(allocated === undefined ? {} : { cpusAllocated: allocated }),
    ...(second.cpus_limit === undefined ? {} : { cpusLimit: second.cpus_limit }),
    ...(second.mem_rss_bytes === undefined ? {} : { memRssBytes: second.mem_rss_bytes }),
    ...(memLimit === undefined ? {} : { memLimitBytes: memLimit }),
    ...(second.processes === undefined ? {} : { processes: second.processes }),
  };
}

export interface UsageTotals {
  cpus: number;
  cpusAllocated: number;
  memRssBytes: number;
  memLimitBytes: number;
  /** Instances whose figures are in the totals. */
  measured: number;
}

/** An app's sums over the instances that have figures. */
export function totals(app: AppUsage): UsageTotals {
  const sum: UsageTotals = { cpus: 0, cpusAllocated: 0, memRssBytes: 0, memLimitBytes: 0, measured: 0 };
  for (const i of app.instances) {
    if (i.problem !== undefined) continue;
    sum.measured += 1;
    sum.cpus += i.cpus ?? 0;
    sum.cpusAllocated += i.cpusAllocated ?? 0;
    sum.memRssBytes += i.memRssBytes ?? 0;
    sum.memLimitBytes += i.memLimitBytes ?? 0;
  }
  return sum;
}

const MIB = 1024 * 1024;

function cores(n: number): string {
  return n >= 10 ? n.toFixed(1) : n >= 0.1 ? n.toFixed(2) : n.toFixed(3);
}

function bytes(n: number): string {
  if (n >= 1024 * MIB) return `${(n / (1024 * MIB)).toFixed(2)} GiB`;
  return `${(n / MIB).toFixed(n >= 100 * MIB ? 0 : 1)} MiB`;
}

function share(used: number, limit: number | undefined): string {
  return limit === undefined || limit <= 0 ? "" : ` (${Math.round((used / limit) * 100)}%)`;
}

function ofLimit(used: string, limit: string | undefined): string {
  return limit === undefined ? used : `${used} of ${limit}`;
}

function cpuCell(i: InstanceUsage): string {
  if (i.cpus === undefined) return "-";
  const given = i.cpusAllocated === undefined ? undefined : cores(i.cpusAllocated);
  const cap =
    i.cpusLimit === undefined || i.cpusLimit === i.cpusAllocated ? "" : `, limit ${cores(i.cpusLimit)}`;
  return `${ofLimit(cores(i.cpus), given)}${share(i.cpus, i.cpusAllocated)}${cap}`;
}

function memCell(i: InstanceUsage): string {
  if (i.memRssBytes === undefined) return "-";
  const limit = i.memLimitBytes === undefined ? undefined : bytes(i.memLimitBytes);
  return `${ofLimit(bytes(i.memRssBytes), limit)}${share(i.memRssBytes, i.memLimitBytes)}`;
}

const HEADERS = ["INSTANCE", "TASK", "HOST", "CPU", "MEM"] as const;

function sectionTitle(section: UsageSection): string {
  const where = `context ${section.context} · cluster ${section.cluster} · ${section.master}`;
  const sampled = `cpu over ${section.intervalMs / 1000}s`;
  return section.region === undefined
    ? `${where} · ${sampled}`
    : `region ${section.region} · ${where} · ${sampled}`;
}

/** `top` as text: per section a title, per app its sums and a table of its running instances. */
export function renderUsage(sections: readonly UsageSection[], color: ChalkInstance): string[] {
  const lines: string[] = [];
  // Host names, task ids and agents' error messages come from the cluster: shown as data, never as control.
  for (const section of escapeDeep(sections)) {
    if (lines.length > 0) lines.push("");
    lines.push(color.bold(sectionTitle(section)));
    if (section.error !== undefined) {
      lines.push(`  ${color.red("unavailable:")} ${section.error}`);
      continue;
    }
    const recovering = section.recoveringAgents ?? 0;
    if (recovering > 0) lines.push(`  ${color.yellow("recovering:")} ${recoveringText(recovering)}`);
    if (section.apps.length === 0) {
      lines.push(recovering > 0 ? "  no titan app is listed here" : "  no titan app runs an instance here");
      continue;
    }
    for (const app of section.apps) {
      if (app.none !== undefined) {
        lines.push("");
        lines.push(`${color.bold(app.app)}  0 instances  no instance to measure: ${app.none}`);
        continue;
      }
      const sum = totals(app);
      const count = `${app.instances.length} instance${app.instances.length === 1 ? "" : "s"}`;
      const figures =
        sum.measured === 0
          ? "no figures"
          : `cpu ${cores(sum.cpus)} of ${cores(sum.cpusAllocated)}${share(sum.cpus, sum.cpusAllocated)}  mem ${bytes(sum.memRssBytes)} of ${bytes(sum.memLimitBytes)}${share(sum.memRssBytes, sum.memLimitBytes)}`;
      lines.push("");
      lines.push(`${color.bold(app.app)}  ${count}  ${figures}`);
      const rows = app.instances.map((i) => [
        String(i.instance),
        i.taskId,
        i.host,
        i.problem === undefined ? cpuCell(i) : color.yellow("-"),
        i.problem === undefined ? memCell(i) : color.yellow(i.problem),
      ]);
      lines.push(renderTable(HEADERS, rows, "  "));
    }
  }
  return lines;
}

/** `top --json`: figures in cores and bytes as the agents report them, per section, app and instance. */
export function usageToJson(sections: readonly UsageSection[]): unknown {
  return {
    sections: sections.map((section) => ({
      ...(section.region === undefined ? {} : { region: section.region }),
      context: section.context,
      cluster: section.cluster,
      master: section.master,
      interval_ms: section.intervalMs,
      ...(section.error === undefined ? {} : { error: section.error }),
      recovering_agents: section.recoveringAgents ?? 0,
      apps: section.apps.map((app) => {
        const sum = totals(app);
        return {
          app: app.app,
          cpus: sum.cpus,
          cpus_allocated: sum.cpusAllocated,
          mem_rss_bytes: sum.memRssBytes,
          mem_limit_bytes: sum.memLimitBytes,
          measured: sum.measured,
          ...(app.none === undefined ? {} : { no_instances: app.none }),
          instances: app.instances.map((i) => ({
            instance: i.instance,
            task: i.taskId,
            host: i.host,
            ...(i.cpus === undefined ? {} : { cpus: i.cpus }),
            ...(i.cpusAllocated === undefined ? {} : { cpus_allocated: i.cpusAllocated }),
            ...(i.cpusLimit === undefined ? {} : { cpus_limit: i.cpusLimit }),
            ...(i.memRssBytes === undefined ? {} : { mem_rss_bytes: i.memRssBytes }),
            ...(i.memLimitBytes === undefined ? {} : { mem_limit_bytes: i.memLimitBytes }),
            ...(i.processes === undefined ? {} : { processes: i.processes }),
            ...(i.problem === undefined ? {} : { problem: i.problem }),
          })),
        };
      }),
    })),
  };
}
