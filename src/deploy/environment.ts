import { UsageError } from "../cli/errors.js";
import { resolveSecretRef } from "../config/secret-ref.js";
import type { ClusterConfig } from "../config/types.js";
import type { AppSpec } from "../manifest/types.js";
import type { SecretReference } from "../mesos/task-builder.js";

/**
 * The app's env for its tasks, secrets read now. The result goes into TaskInfos only: never into events, output,
 * logs or the state store (which keeps the references). `mesos:` references are left out: they go as Mesos
 * secrets (`secretReferences`) and titan never reads them.
 */
export async function resolveEnvironment(
  spec: AppSpec,
  vars: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) {
    if (value.kind === "plain") environment[name] = value.value;
    else if (value.source !== "mesos")
      environment[name] = await resolveSecretRef(
        { source: value.source, ref: value.ref, raw: value.raw },
        vars,
        { lineBreaks: true, signal },
      );
  }
  return environment;
}

/**
 * The environment of the instances a deploy wanting `desired` of them may launch. With none wanted (a stop, a scale
 * to 0) nothing is launched, so no secret is read: an app can be stopped once its secrets are gone.
 */
export async function launchEnvironment(
  spec: AppSpec,
  desired: number,
  vars: Readonly<Record<string, string | undefined>>,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  return desired > 0 ? resolveEnvironment(spec, vars, signal) : {};
}

/** The app's `mesos:` env references: variable name -> the reference the agent's secret resolver reads. */
export function secretReferences(spec: Pick<AppSpec, "env">): Record<string, SecretReference> {
  const references: Record<string, SecretReference> = {};
  for (const [name, value] of Object.entries(spec.env)) {
    if (value.kind !== "secret" || value.source !== "mesos") continue;
    references[name] = value.key === undefined ? { name: value.ref } : { name: value.ref, key: value.key };
  }
  return references;
}

/**
 * Refuses, before anything changes, `mesos:` references a cluster cannot resolve. Only agents with a secret resolver
 * module resolve a REFERENCE: Mesos' default resolver fails the launch ("Default secret resolver cannot resolve
 * references", src/secret/resolver.cpp), so the cluster must opt in with `secrets: mesos`. The Docker containerizer
 * has no resolver at all: it sets a SECRET variable to its empty `value` (src/docker/docker.cpp, the environment
 * loop of `Docker::RunOptions::create`), so an image app on a `containerizer: docker` cluster is refused too.
 */
export function checkSecretDelivery(
  apps: ReadonlyArray<Pick<AppSpec, "name" | "env" | "image">>,
  cluster: Pick<ClusterConfig, "name" | "secrets" | "containerizer">,
): void {
  for (const app of apps) {
    const names = Object.keys(secretReferences(app));
    const [first] = names;
    if (first === undefined) continue;
    const which = `${app.name}'s env ${names.join(", ")}`;
    if (cluster.secrets !== "mesos") {
      throw new UsageError(
        `${which} ${names.length === 1 ? "is a Mesos secret reference" : "are Mesos secret references"}, but cluster ${cluster.name} does not resolve Mesos secrets`,
        `set \`secrets: mesos\` on cluster ${cluster.name} in the config if its agents run a secret resolver module; otherwise use "env:NAME" or "file:/path", which titan reads when deploying`,
      );
    }
    if (app.image !== undefined && cluster.containerizer === "docker") {
      throw new UsageError(
        `${which} cannot be resolved: cluster ${cluster.name} runs images with the Docker containerizer, which has no secret resolver`,
        'use "env:NAME" or "file:/path" for this app, or run its image with the Mesos containerizer',
      );
    }
  }
}
