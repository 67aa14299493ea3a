import { userInfo } from "node:os";
import { afterEach } from "vitest";
import { taskLabels } from "../../src/cluster/labels.js";
import { frameworkInfo } from "../../src/mesos/calls.js";
import { MasterCluster } from "../../src/mesos/leader.js";
import { SchedulerSession } from "../../src/mesos/session.js";
import { taskInfo } from "../../src/mesos/task-builder.js";
import type { Offer, TaskState, TaskStatus } from "../../src/mesos/types/mesos.js";

/** One titan-labelled task to launch: the labels titan's deploy would put on it, and a shell command. */
export interface LabelledTask {
  instance: number;
  release?: number;
  region?: string;
  incarnation?: number;
  /** Run with `/bin/sh -c`. */
  command: string;
  /** Only launch on this agent (an agent id from the cluster). */
  agentId?: string;
  /** A COMMAND health check; the task reports healthy while it exits 0. */
  healthCommand?: string;
  ports?: number;
}

/**
 * A small test-only framework that launches tasks carrying titan's labels, as `titan deploy` would, so that
 * `ps`, `logs` and friends can be tested without the deploy engine. It is closed after the current test.
 */
export interface LabelledFramework {
  readonly app: string;
  frameworkId(): string;
  /** Queues a task; it is launched on the next offer that fits. Returns its task id. */
  launch(task: LabelledTask): string;
  /** Resolves with the task's state once `accept(state)` holds (default: it is RUNNING). */
  waitFor(taskId: string, accept?: (state: TaskState) => boolean, timeoutMs?: number): Promise<TaskStatus>;
  /** The last status of the task, if any arrived. */
  status(taskId: string): TaskStatus | undefined;
  kill(taskId: string): Promise<void>;
  close(): void;
}

const open: LabelledFramework[] = [];

afterEach(() => {
  for (const framework of open.splice(0)) framework.close();
});

interface Waiter {
  taskId: string;
  accept: (state: TaskState) => boolean;
  resolve: (status: TaskStatus) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The lowest `count` ports the offer has. */
function firstPorts(offer: Offer, count: number): number[] {
  const ports: number[] = [];
  for (const resource of offer.resources ?? []) {
    if (resource.name !== "ports") continue;
    for (const range of resource.ranges?.range ?? []) {
      for (let port = range.begin; port <= range.end && ports.length < count; port += 1) ports.push(port);
    }
  }
  return ports;
}

function fits(offer: Offer, task: LabelledTask): boolean {
  return task.agentId === undefined || offer.agent_id.value === task.agentId;
}

/** Subscribes a framework named after the app and runs its event loop in the background. */
export async function startLabelledFramework(masterUrl: string, app: string): Promise<LabelledFramework> {
  const cluster = MasterCluster.fromConfig({ masters: [masterUrl] });
  const session = new SchedulerSession({
    cluster,
    framework: frameworkInfo({
      name: `titan-${app}`,
      user: userInfo().username,
      roles: ["*"],
      failoverTimeoutSeconds: 3600,
      checkpoint: true,
    }),
  });
  const pending: Array<{ id: string; task: LabelledTask }> = [];
  const statuses = new Map<string, TaskStatus>();
  const waiters = new Set<Waiter>();
  let failure: Error | undefined;
  let subscribed: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve;
  });

  const settle = (status: TaskStatus): void => {
    for (const waiter of waiters) {
      if (waiter.taskId === status.task_id.value && waiter.accept(status.state)) {
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
        waiter.resolve(status);
      }
    }
  };

  const launchOn = async (offers: readonly Offer[]): Promise<void> => {
    const used = new Set<string>();
    for (const offer of offers) {
      const index = pending.findIndex((p) => fits(offer, p.task));
      const next = index < 0 ? undefined : pending.splice(index, 1)[0];
      if (next === undefined) continue;
      used.add(offer.id.value);
      const { task } = next;
      const labels = taskLabels({
        app,
        instance: task.instance,
        digest: "sha256:test",
        ...(task.release === undefined ? {} : { release: task.release }),
        ...(task.region === undefined ? {} : { region: task.region }),
      });
      const info = taskInfo({
        taskId: next.id,
        name: `${app}.${task.instance}`,
        offer,
        demand: { cpus: 0.1, mem: 16, ports: firstPorts(offer, task.ports ?? 0) },
        command: { shell: true, value: task.command },
        killGracePeriodMs: 100,
        labels: Object.fromEntries(labels.map((l) => [l.key, l.value])),
        ...(task.healthCommand === undefined
          ? {}
          : {
              healthCheck: {
                kind: "command" as const,
                command: task.healthCommand,
                delaySeconds: 0,
                intervalSeconds: 0.2,
                timeoutSeconds: 1,
                gracePeriodSeconds: 0,
                consecutiveFailures: 1,
              },
            }),
      });
      await session.launch([offer.id.value], [info], 1);
    }
    const unused = offers.filter((o) => !used.has(o.id.value)).map((o) => o.id.value);
    if (unused.length > 0) await session.decline(unused, pending.length > 0 ? 0.05 : 1);
  };

  const loop = async (): Promise<void> => {
    for await (const event of session.events()) {
      if (event.type === "SUBSCRIBED") subscribed?.();
      if (event.type === "OFFERS") await launchOn(event.offers.offers ?? []);
      if (event.type === "UPDATE") {
        statuses.set(event.update.status.task_id.value, event.update.status);
        settle(event.update.status);
      }
    }
  };
  loop().catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
    for (const waiter of waiters) waiter.reject(failure);
  });
  await ready;

  const framework: LabelledFramework = {
    app,
    frameworkId: () => session.frameworkId ?? "",
    launch(task) {
      const id = `${app}.${task.release ?? 1}.${task.instance}.${task.incarnation ?? 0}`;
      pending.push({ id, task });
      void session.revive().catch(() => undefined);
      return id;
    },
    waitFor(taskId, accept = (state) => state === "TASK_RUNNING", timeoutMs = 15_000) {
      const known = statuses.get(taskId);
      if (known !== undefined && accept(known.state)) return Promise.resolve(known);
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<TaskStatus>((resolve, reject) => {
        const waiter: Waiter = {
          taskId,
          accept,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            const last = statuses.get(taskId)?.state ?? "no update";
            reject(new Error(`task ${taskId} did not reach the expected state (last: ${last})`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    status: (taskId) => statuses.get(taskId),
    kill: (taskId) => session.kill(taskId, { gracePeriodMs: 100 }),
    close() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error("framework closed"));
      }
      waiters.clear();
      session.close();
      void cluster.close();
    },
  };
  open.push(framework);
  return framework;
}
