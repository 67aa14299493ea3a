import { cpus as hostCpus, totalmem } from "node:os";
import { emptyQuantities, fromResourceJson, type Quantities } from "../resources.js";
import type { ResourceJson } from "./api.js";
import {
  type ProcessTable,
  type ProcUnits,
  processTreeUsage,
  procUnits,
  readProcessTable,
} from "./proc-usage.js";
import { type AgentView, commandExecutorName, type ExecutorView, executorResources } from "./state-json.js";

/**
 * What the agent answers GET_CONTAINERS (agent.proto Response.GetContainers) and GET /monitor/statistics with: each
 * executor's container, its ContainerStatus and its ResourceStatistics as the Mesos containerizer builds them with
 * the default `--isolation=posix/cpu,posix/mem`.
 */

type Json = Record<string, unknown>;

/** The processes of the system at one moment, and the units to read them in. */
export interface UsageSample {
  table: ProcessTable;
  units: ProcUnits;
  /** Seconds since the epoch. */
  timestamp: number;
}

export function sampleUsage(): UsageSample {
  return { table: readProcessTable(), units: procUnits(), timestamp: Date.now() / 1000 };
}

/** The host's totals, which stand in for an infinite limit (containerizer.cpp `_usage`: `os::cpus`, `os::memory`). */
export interface HostTotals {
  cpus: number;
  memBytes: number;
}

function hostTotals(): HostTotals {
  return { cpus: hostCpus().length, memBytes: totalmem() };
}

const MEGABYTE = 1024 * 1024;

function taskLimit(view: ExecutorView, name: "cpus" | "mem"): number | undefined {
  const value = view.taskInfo.limits?.[name]?.value;
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

/** Resources summed as the master sums them; the master refused any launch whose resources do not (accept.ts). */
function quantitiesOf(resources: readonly ResourceJson[]): Quantities {
  const parsed = fromResourceJson(resources);
  return parsed.ok ? parsed.quantities : emptyQuantities();
}

/**
 * The container's resource requests and limits. Requests: what src/slave/slave.cpp launches the command executor's
 * container with (`Slave::__run`: the executor's own 0.1 cpus and 32 MB, constants.hpp DEFAULT_EXECUTOR_CPUS/MEM,
 * plus the task's resources), summed in Mesos' fixed-point arithmetic (src/common/values.cpp). Limits: only where
 * the task has `limits`, plus the executor's own share (`Slave::computeExecutorLimits` with `setLimit`: plain
 * addition, an infinite limit stays infinite).
 */
function requestsAndLimits(view: ExecutorView): {
  cpus: number;
  memMb: number;
  cpuLimit?: number;
  memLimitMb?: number;
} {
  const own = executorResources(view.taskInfo);
  const requests = quantitiesOf([...view.taskInfo.resources, ...own]);
  const overhead = quantitiesOf(own);
  const cpuLimit = taskLimit(view, "cpus");
  const memLimit = taskLimit(view, "mem");
  return {
    cpus: requests.cpus,
    memMb: requests.mem,
    ...(cpuLimit === undefined ? {} : { cpuLimit: cpuLimit + overhead.cpus }),
    ...(memLimit === undefined ? {} : { memLimitMb: memLimit + overhead.mem }),
  };
}

/**
 * One container's mesos.v1.ResourceStatistics, keys in the order mesos.proto declares them (stout writes them so).
 * From the posix isolators (src/usage/usage.cpp `usage`, called by isolators/posix.hpp
 * `PosixCpuIsolatorProcess::usage` and `PosixMemIsolatorProcess::usage`): cpus_user_time_secs, cpus_system_time_secs
 * and mem_rss_bytes of the process tree, absent while the container has no process or once it has ended. `processes`
 * and `threads` are left out: only the cgroups isolators count them (cgroups/subsystems/cpuacct.cpp,
 * cgroups2/controllers/core.cpp). From the containerizer (src/slave/containerizer/mesos/containerizer.cpp `_usage`):
 * the soft limits are the requests; cpus_limit only with a task CPU limit (without one it needs
 * `--cgroups_enable_cfs`, off by default); mem_limit_bytes is the memory limit, else the memory request; both in whole
 * megabytes, an infinite limit being the host's total.
 */
export function containerStatistics(view: ExecutorView, sample: UsageSample, host = hostTotals()): Json {
  const stats: Json = { timestamp: sample.timestamp };
  const tree = view.pid === undefined ? undefined : processTreeUsage(sample.table, view.pid, sample.units);
  const { cpus, memMb, cpuLimit, memLimitMb } = requestsAndLimits(view);
  if (tree !== undefined) {
    stats.cpus_user_time_secs = tree.userSeconds;
    stats.cpus_system_time_secs = tree.systemSeconds;
  }
  if (cpuLimit !== undefined) stats.cpus_limit = Number.isFinite(cpuLimit) ? cpuLimit : host.cpus;
  stats.cpus_soft_limit = cpus;
  if (memLimitMb !== undefined)
    stats.mem_limit_bytes = Number.isFinite(memLimitMb) ? Math.trunc(memLimitMb) * MEGABYTE : host.memBytes;
  else stats.mem_limit_bytes = Math.trunc(memMb) * MEGABYTE;
  stats.mem_soft_limit_bytes = Math.trunc(memMb) * MEGABYTE;
  if (tree !== undefined) stats.mem_rss_bytes = tree.rssBytes;
  return stats;
}

/**
 * The executors whose containers the agent lists: src/slave/http.cpp `Http::__containers` and `Slave::usage` skip
 * executors that have terminated (here: whose task has ended) and list the others, running or still launching.
 */
function listedExecutors(agent: AgentView): ExecutorView[] {
  return agent.executors.filter((view) => !view.isTerminal && view.sandbox !== undefined);
}

/**
 * The container's ContainerStatus as the containerizer reports it (containerizer.cpp `status`): its id, and the
 * launcher's executor_pid once the container has a process. The agent's IP in `network_infos` is added to status
 * updates by the agent (slave.cpp `Slave::statusUpdate`), not here; the posix isolators add nothing.
 */
function containerStatus(view: ExecutorView, containerId: string): Json {
  const status: Json = { container_id: { value: containerId } };
  if (view.executorPid !== undefined) status.executor_pid = view.executorPid;
  return status;
}

/**
 * The GET_CONTAINERS answer (http.cpp `Http::getContainers` → `__containers`, turned into the v1 message by
 * src/internal/evolve.cpp). No standalone or nested containers exist here, so `show_nested` and `show_standalone`
 * change nothing. With no container at all the answer has no `get_containers`, as evolve only creates it for one.
 */
export function v1GetContainers(agent: AgentView, sample: UsageSample): Json {
  const containers = listedExecutors(agent).map((view) => {
    const containerId = view.sandbox?.containerId ?? "";
    return {
      framework_id: { value: view.frameworkId },
      executor_id: { value: view.executorId },
      executor_name: commandExecutorName(view.taskInfo),
      container_id: { value: containerId },
      container_status: containerStatus(view, containerId),
      resource_statistics: containerStatistics(view, sample),
    };
  });
  if (containers.length === 0) return { type: "GET_CONTAINERS" };
  return { type: "GET_CONTAINERS", get_containers: { containers } };
}

function sortedKeys(json: Json): Json {
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * GET /monitor/statistics (http.cpp `Http::statistics` / `_statistics` over `Slave::usage`): one object per listed
 * executor with its ExecutorInfo's ids, name and source and the container's ResourceStatistics. stout writes these
 * objects with sorted keys.
 */
export function monitorStatistics(agent: AgentView, sample: UsageSample): Json[] {
  return listedExecutors(agent).map((view) =>
    sortedKeys({
      executor_id: view.executorId,
      executor_name: commandExecutorName(view.taskInfo),
      framework_id: view.frameworkId,
      source: view.taskInfo.task_id.value,
      statistics: sortedKeys(containerStatistics(view, sample)),
    }),
  );
}
