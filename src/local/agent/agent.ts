import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FaultDomain } from "../fault-domain.js";
import { AccountNames } from "./accounts.js";
import type {
  AgentResources,
  AgentStatus,
  AgentTaskView,
  FrameworkInfoJson,
  LocalAgentHandle,
  LocalAgentOptions,
  TaskInfoJson,
} from "./api.js";
import {
  CommandExecutor,
  DEFAULT_EXECUTOR_REGISTRATION_TIMEOUT_MS,
  newStatusUuid,
} from "./command-executor.js";
import { ImageContainers } from "./container-image-containers.js";
import { dockerEngineFor } from "./docker.js";
import type { AttachedPath } from "./files.js";
import { createAgentServer } from "./http-server.js";
import { StatusOutbox } from "./outbox.js";
import type { AgentView } from "./state-json.js";

/**
 * What an agent answers the master's reconciliation for a task it does not know (src/slave/slave.cpp
 * `Slave::reregistered`): TASK_DROPPED, or TASK_LOST for a framework that is not partition-aware.
 */
export function unknownTaskStatus(frameworkId: string, taskId: string, partitionAware: boolean): AgentStatus {
  return {
    frameworkId,
    taskId,
    state: partitionAware ? "TASK_DROPPED" : "TASK_LOST",
    source: "SOURCE_AGENT",
    reason: "REASON_RECONCILIATION",
    message: "Reconciliation: task unknown to the agent",
    timestamp: Date.now() / 1000,
  };
}

function executorKey(frameworkId: string, taskId: string): string {
  return `${frameworkId}\u0000${taskId}`;
}

function masterLocation(masterUrl: string | undefined): { hostname?: string; address?: string } {
  if (masterUrl === undefined) return {};
  try {
    const url = new URL(masterUrl);
    return { hostname: url.hostname, address: url.host };
  } catch {
    return {};
  }
}

/** A Mesos-compatible agent inside this process: real task processes, sandboxes, health checks, agent endpoints. */
class LocalAgent implements LocalAgentHandle {
  readonly id: string;
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly domain?: FaultDomain;
  readonly resources: AgentResources;

  private readonly executors = new Map<string, CommandExecutor>();
  private readonly outbox: StatusOutbox;
  private readonly accounts = new AccountNames();
  private readonly startTime = Date.now() / 1000;
  private server: Server | undefined;
  private port = 0;
  private dockerCli: string | undefined;
  private containers: ImageContainers | undefined;

  constructor(private readonly options: LocalAgentOptions) {
    this.id = options.id;
    this.hostname = options.hostname;
    this.attributes = options.attributes;
    if (options.domain !== undefined) this.domain = options.domain;
    this.resources = options.resources;
    this.outbox = new StatusOutbox((status) => options.onStatus(status));
  }

  private get registrationTimeoutMs(): number {
    return this.options.executorRegistrationTimeoutMs ?? DEFAULT_EXECUTOR_REGISTRATION_TIMEOUT_MS;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    this.dockerCli = await dockerEngineFor(process.env.PATH);
    this.containers = new ImageContainers(this.options.workDir, process.env.PATH, process.getuid?.());
    const server = createAgentServer({
      view: () => this.view(),
      attached: () => this.attachedPaths(),
      partitioned: () => this.outbox.partitioned,
      accounts: this.accounts,
      ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const running = [...this.executors.values()].filter((executor) => !executor.isTerminal);
    for (const executor of running) executor.kill();
    await Promise.all(running.map((executor) => executor.terminated));
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  launch(frameworkId: string, task: TaskInfoJson, framework?: FrameworkInfoJson): void {
    const key = executorKey(frameworkId, task.task_id.value);
    const existing = this.executors.get(key);
    if (existing !== undefined && !existing.isTerminal) {
      // The task id names the command executor, which runs exactly one task.
      this.outbox.send({
        frameworkId,
        taskId: task.task_id.value,
        state: "TASK_FAILED",
        source: "SOURCE_EXECUTOR",
        message: 'Attempted to run multiple tasks using a "command" executor',
        timestamp: Date.now() / 1000,
        executorId: existing.executorId,
        uuid: newStatusUuid(),
      });
      return;
    }
    const executor = new CommandExecutor(frameworkId, task, framework, {
      agentId: this.id,
      agentEndpoint: `127.0.0.1:${this.port}`,
      workDir: this.options.workDir,
      dockerCli: this.dockerCli,
      ...(this.containers === undefined ? {} : { containers: this.containers }),
      inheritedEnv: process.env,
      switchUser: this.options.switchUser ?? process.getuid?.() === 0,
      registrationTimeoutMs: this.registrationTimeoutMs,
      emit: (status) => this.outbox.send(status),
    });
    this.executors.set(key, executor);
    executor.launch();
  }

  kill(frameworkId: string, taskId: string, gracePeriodMs?: number): void {
    this.executors.get(executorKey(frameworkId, taskId))?.kill(gracePeriodMs);
  }

  reconcile(frameworkId: string, taskIds: readonly string[], partitionAware: boolean): void {
    for (const taskId of taskIds) {
      if (this.executors.has(executorKey(frameworkId, taskId))) continue;
      this.outbox.send({ ...unknownTaskStatus(frameworkId, taskId, partitionAware), uuid: newStatusUuid() });
    }
  }

  tasks(): AgentTaskView[] {
    return [...this.executors.values()].map((executor) => {
      const view: AgentTaskView = {
        frameworkId: executor.frameworkId,
        taskInfo: executor.taskInfo,
        state: executor.state,
        sandbox: executor.sandbox?.directory ?? "",
        executorId: executor.executorId,
      };
      if (executor.pid !== undefined) view.pid = executor.pid;
      if (executor.healthy !== undefined) view.healthy = executor.healthy;
      if (executor.sandbox !== undefined) view.containerId = executor.sandbox.containerId;
      return view;
    });
  }

  partition(): void {
    this.outbox.hold();
  }

  heal(): void {
    this.outbox.release();
  }

  private view(): AgentView {
    const master = masterLocation(this.options.masterUrl);
    const view: AgentView = {
      id: this.id,
      hostname: this.hostname,
      port: this.port,
      attributes: this.attributes,
      resources: this.resources,
      workDir: this.options.workDir,
      startTime: this.startTime,
      dockerAvailable: this.dockerCli !== undefined,
      executorRegistrationTimeoutMs: this.registrationTimeoutMs,
      executors: [...this.executors.values()],
    };
    if (this.domain !== undefined) view.domain = this.domain;
    if (master.hostname !== undefined) view.masterHostname = master.hostname;
    if (master.address !== undefined) view.masterAddress = master.address;
    return view;
  }

  /**
   * Each run's directory, its runs/latest path and the virtual /frameworks/.../runs/latest path, all three attached to
   * the run's directory itself, as slave.cpp `Framework::addExecutor` attaches them.
   */
  private attachedPaths(): AttachedPath[] {
    const attached: AttachedPath[] = [];
    for (const executor of this.executors.values()) {
      const sandbox = executor.sandbox;
      if (sandbox === undefined) continue;
      attached.push(
        { virtualPath: sandbox.directory, realPath: sandbox.directory },
        { virtualPath: sandbox.latestLink, realPath: sandbox.directory },
        { virtualPath: sandbox.virtualLatest, realPath: sandbox.directory },
      );
    }
    return attached;
  }
}

export function createLocalAgent(options: LocalAgentOptions): LocalAgentHandle {
  return new LocalAgent(options);
}
