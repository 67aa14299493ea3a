import type { EnvironmentJson } from "./api.js";

/**
 * The agent's secret resolution for `CommandInfo.environment`, as a Mesos agent without a secret resolver module
 * does it. The Mesos containerizer always runs the `environment_secret` isolator
 * (src/slave/containerizer/mesos/containerizer.cpp adds it to every isolation), which asks the agent's resolver for
 * each SECRET variable; with no `--secret_resolver` module that is the default resolver
 * (src/secret/resolver.cpp `DefaultSecretResolver::resolve`): it returns a VALUE secret's bytes and fails a
 * REFERENCE. The failure fails the container launch, which the agent reports as TASK_FAILED,
 * REASON_CONTAINER_LAUNCH_FAILED, "Failed to launch container: <failure>" (src/slave/slave.cpp `executorLaunched`).
 */
export const DEFAULT_RESOLVER_REFUSAL = "Default secret resolver cannot resolve references";

/** Why the default resolver refuses this environment, or undefined when every secret in it resolves. */
export function secretResolutionFailure(environment: EnvironmentJson | undefined): string | undefined {
  for (const variable of environment?.variables ?? []) {
    if (variable.type !== "SECRET") continue;
    if (variable.secret?.reference !== undefined) return DEFAULT_RESOLVER_REFUSAL;
    if (variable.secret?.value === undefined) return "Secret has no value";
  }
  return undefined;
}

/** A SECRET variable's value once resolved by the default resolver: a VALUE secret's bytes (base64 in JSON). */
export function resolvedSecretValue(variable: EnvironmentJson["variables"][number]): string | undefined {
  const data = variable.secret?.value?.data;
  return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
}
