import { taskLabels } from "../src/cluster/labels.js";
import type { PsOptions } from "../src/commands/ps/command.js";
import type { Task, TaskState, TaskStatus } from "../src/mesos/types/mesos.js";
import type { GetAgentsAgent } from "../src/mesos/types/operator.js";

/** The pieces of a synthetic GET_STATE the ps, top and bigstate benches serve (not a bench: its name has a hyphen). */

/** Agent `a` as GET_AGENTS lists it, with a zone of three. */
export function syntheticAgent(a: number, port: number, pid: string): GetAgentsAgent {
  return {
    agent_info: {
      hostname: `agent-${a}.cluster.example`,
      port,
      id: { value: `agent-id-${a}` },
      attributes: [{ name: "zone", type: "TEXT", text: { value: `zone-${a % 3}` } }],
    },
    active: true,
    version: "1.12.0",
    pid,
  };
}

export interface SyntheticTask {
  app: string;
  instance: number;
  agent: number;
  state: TaskState;
  /** The task's status updates, oldest first; each gets the task's id and the executor as its source. */
  statuses: ReadonlyArray<Pick<TaskStatus, "state" | "timestamp" | "healthy">>;
  /** A host port the task holds, if any. */
  port?: number;
}

/** The id of instance `instance` of `app` in release 3, incarnation 0. */
export function syntheticTaskId(app: string, instance: number): string {
  return `${app}.3.${instance}.0`;
}

/** A titan task of release 3 (syntheticTaskId, titan's labels) using 0.1 cpus and 128 MB. */
export function syntheticTask(t: SyntheticTask): Task {
  const id = syntheticTaskId(t.app, t.instance);
  return {
    name: t.app,
    task_id: { value: id },
    framework_id: { value: `framework-${t.app}` },
    agent_id: { value: `agent-id-${t.agent}` },
    state: t.state,
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, role: "*" },
      { name: "mem", type: "SCALAR", scalar: { value: 128 }, role: "*" },
      ...(t.port === undefined
        ? []
        : [{ name: "ports", type: "RANGES" as const, ranges: { range: [{ begin: t.port, end: t.port }] } }]),
    ],
    statuses: t.statuses.map((s) => ({ task_id: { value: id }, source: "SOURCE_EXECUTOR", ...s })),
    labels: {
      labels: taskLabels({
        app: t.app,
        instance: t.instance,
        release: 3,
        region: "us-east",
        digest: "sha256:0123456789abcdef",
      }),
    },
  };
}

/** `titan ps` of every app on the master at `url`, as a user types it. */
export function psOptions(url: string, json = false): PsOptions {
  return { apps: [], allRegions: false, all: false, json, watch: false, master: url };
}
