import { unknownTaskStatus } from "../../src/local/agent/agent.js";
import type {
  AgentStatus,
  AgentTaskView,
  LocalAgentHandle,
  LocalAgentOptions,
  TaskInfoJson,
  TaskStateName,
} from "../../src/local/agent/api.js";

/**
 * An in-memory agent for master tests: tasks "run" without processes and move only when told to, so tests of
 * master semantics (offers, acknowledgements, faults) are exact and fast.
 */
export class FakeAgent implements LocalAgentHandle {
  readonly id: string;
  readonly hostname: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly resources: LocalAgentOptions["resources"];
  readonly url: string;
  readonly launched: Array<{ frameworkId: string; task: TaskInfoJson }> = [];
  readonly kills: Array<{ frameworkId: string; taskId: string; gracePeriodMs?: number }> = [];
  private readonly views = new Map<string, AgentTaskView>();
  private held: AgentStatus[] | undefined;
  stopped = false;

  constructor(
    private readonly options: LocalAgentOptions,
    port: number,
  ) {
    this.id = options.id;
    this.hostname = options.hostname;
    this.attributes = options.attributes;
    this.resources = options.resources;
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
    for (const view of this.views.values())
      if (view.state === "TASK_RUNNING") this.report(view, "TASK_KILLED");
  }

  launch(frameworkId: string, task: TaskInfoJson): void {
    this.launched.push({ frameworkId, task });
    const view: AgentTaskView = {
      frameworkId,
      taskInfo: task,
      state: "TASK_STAGING",
      sandbox: "",
      executorId: task.task_id.value,
      pid: 4242,
    };
    this.views.set(task.task_id.value, view);
    setImmediate(() => {
      this.report(view, "TASK_STARTING");
      this.report(view, "TASK_RUNNING");
    });
  }

  kill(frameworkId: string, taskId: string, gracePeriodMs?: number): void {
    this.kills.push({ frameworkId, taskId, ...(gracePeriodMs !== undefined ? { gracePeriodMs } : {}) });
    const view = this.views.get(taskId);
    if (!view || view.state === "TASK_KILLED") return;
    this.report(view, "TASK_KILLING");
    this.report(view, "TASK_KILLED");
  }

  /** Ends a task as its process exiting would. */
  finish(
    taskId: string,
    state: TaskStateName = "TASK_FINISHED",
    message = "Command exited with status 0",
  ): void {
    const view = this.views.get(taskId);
    if (view) this.report(view, state, message);
  }

  /** A health check's verdict changed: TASK_RUNNING again, with `healthy`, as the command executor sends it. */
  health(taskId: string, healthy: boolean): void {
    const view = this.views.get(taskId);
    if (!view) return;
    view.healthy = healthy;
    this.report(view, "TASK_RUNNING", undefined, {
      healthy,
      reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
    });
  }

  tasks(): AgentTaskView[] {
    return [...this.views.values()];
  }

  reconcile(frameworkId: string, taskIds: readonly string[], partitionAware: boolean): void {
    for (const taskId of taskIds)
      if (!this.views.has(taskId))
        this.options.onStatus(unknownTaskStatus(frameworkId, taskId, partitionAware));
  }

  partition(): void {
    this.held ??= [];
  }

  heal(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const s of held) this.options.onStatus(s);
  }

  private report(
    view: AgentTaskView,
    state: TaskStateName,
    message?: string,
    extra: Pick<AgentStatus, "healthy" | "reason"> = {},
  ): void {
    view.state = state;
    const status: AgentStatus = {
      frameworkId: view.frameworkId,
      taskId: view.taskInfo.task_id.value,
      state,
      source: "SOURCE_EXECUTOR",
      timestamp: Date.now() / 1000,
      ...(message !== undefined ? { message } : {}),
      ...extra,
    };
    if (this.held) this.held.push(status);
    else this.options.onStatus(status);
  }
}

/** An agent factory that keeps every fake it makes, for tests to drive. */
export function fakeAgents(): {
  create: (options: LocalAgentOptions) => LocalAgentHandle;
  byId: Map<string, FakeAgent>;
} {
  const byId = new Map<string, FakeAgent>();
  let port = 15051;
  return {
    byId,
    create: (options) => {
      const agent = new FakeAgent(options, port++);
      byId.set(agent.id, agent);
      return agent;
    },
  };
}
