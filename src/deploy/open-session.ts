import { frameworkInfo } from "../mesos/calls.js";
import { SchedulerSession } from "../mesos/session.js";
import type { ExecutorOptions } from "./executor.js";

/** The app's scheduler session: framework `titan:<app>`, failing over to the id the state store keeps. */
export function openSession(
  options: Pick<ExecutorOptions, "cluster" | "framework" | "log" | "sessionTimings" | "signal" | "mayRetake">,
  app: string,
  frameworkId: string | undefined,
  /** Subscribe with GPU_RESOURCES: the master offers GPU agents only to frameworks that have it (gpu-agents.ts). */
  gpus: boolean,
  /** How often to take the framework back from another subscriber: only for a caller holding the app's lock. */
  retakeFailovers = 0,
): SchedulerSession {
  const { framework } = options;
  return new SchedulerSession({
    cluster: options.cluster,
    framework: frameworkInfo({
      name: `titan:${app}`,
      user: framework.user,
      roles: [framework.role],
      failoverTimeoutSeconds: framework.failoverTimeoutSeconds,
      checkpoint: true,
      labels: { "titan.app": app },
      gpus,
      ...(framework.principal === undefined ? {} : { principal: framework.principal }),
      ...(frameworkId === undefined ? {} : { id: frameworkId }),
    }),
    // Acknowledgement stays with the deploy loop: an update is acknowledged once it is handled.
    autoAcknowledge: false,
    // Ctrl-C must not wait out a call the master holds (an ACCEPT lost in flight waits for its 75 s deadline).
    interrupt: options.signal,
    retakeFailovers,
    ...(options.mayRetake === undefined ? {} : { mayRetake: options.mayRetake }),
    ...(options.log ? { log: options.log } : {}),
    ...(options.sessionTimings ? { timings: options.sessionTimings } : {}),
  });
}
