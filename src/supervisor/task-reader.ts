import type { TitanTask } from "../cluster/types.js";
import type { AppTasks } from "./app-supervisor.js";

/** The whole cluster's titan tasks and agents as one master state read gives them. */
export interface ClusterTasks {
  tasks: readonly TitanTask[];
  gpuAgents: ReadonlySet<string>;
  recoveringAgents: number;
}

/** How long one master state read serves every app that asks for its tasks. */
export const SHARED_READ_MS = 2000;

/**
 * The app's tasks of one framework, read from one GET_STATE shared by every app that asks within a moment. A read
 * begun before `notBefore` is not shared: an app taken back from a deploy must not see the tasks as they were
 * before the deploy ended (a surplus instance it killed would look live, and be reported lost).
 */
export function sharedTaskReader(
  readCluster: (signal: AbortSignal) => Promise<ClusterTasks>,
  now: () => number,
): (app: string, frameworkId: string, signal: AbortSignal, notBefore?: number) => Promise<AppTasks> {
  let cached: { at: number; reading: Promise<ClusterTasks> } | undefined;
  return async (app, frameworkId, signal, notBefore = 0) => {
    if (cached === undefined || cached.at < notBefore || now() - cached.at > SHARED_READ_MS) {
      const reading = readCluster(signal);
      reading.catch(() => {
        cached = undefined;
      });
      cached = { at: now(), reading };
    }
    const { tasks, gpuAgents, recoveringAgents } = await cached.reading;
    return {
      tasks: tasks.filter((t) => t.app === app && t.frameworkId === frameworkId),
      gpuAgents,
      recoveringAgents,
    };
  };
}
