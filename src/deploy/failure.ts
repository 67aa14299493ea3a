/**
 * What a release failed of, which decides what the deploy's last words say and which hint helps:
 * - `unhealthy`: its tasks ran and did not pass their health gates (the app's own output says why);
 * - `no_room`: instances still to launch found no offer with room for them (the cluster is fuller than planned);
 * - `not_started`: the master took its launches but no agent ever ran them (a launch lost with a master that failed
 *   over, an agent that never started the task): nothing of the app ran, so its logs say nothing;
 * - `launch_failed`: the master refused its launches, or the agent failed them the same way before they ran (a
 *   malformed task, a missing executable, a URI that cannot be fetched).
 */
export type FailureCause = "unhealthy" | "no_room" | "not_started" | "launch_failed";

/** Why a release failed, and of what. */
export interface Failure {
  reason: string;
  cause: FailureCause;
}
