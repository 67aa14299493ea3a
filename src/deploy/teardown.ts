import { frameworkInfo } from "../mesos/calls.js";
import type { MasterCluster } from "../mesos/leader.js";
import { SchedulerSession } from "../mesos/session.js";
import type { FrameworkIdentity } from "./executor.js";

/**
 * Subscribes as the app's framework and sends TEARDOWN: Mesos kills every task the framework still has and
 * forgets it. Only `titan stop --purge` does this; every other command leaves the framework for failover.
 */
export async function teardownFramework(
  cluster: MasterCluster,
  app: string,
  frameworkId: string,
  identity: FrameworkIdentity,
  signal: AbortSignal,
): Promise<void> {
  const session = new SchedulerSession({
    cluster,
    signal,
    framework: frameworkInfo({
      name: `titan:${app}`,
      user: identity.user,
      roles: [identity.role],
      failoverTimeoutSeconds: identity.failoverTimeoutSeconds,
      checkpoint: true,
      id: frameworkId,
      ...(identity.principal === undefined ? {} : { principal: identity.principal }),
    }),
  });
  try {
    for await (const event of session.events()) {
      if (event.type === "SUBSCRIBED") {
        await session.teardown();
        return;
      }
    }
  } finally {
    session.close();
  }
}
