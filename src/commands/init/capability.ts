/** Whether the context `titan init` writes for can run images, so that what it writes deploys there. */
import type { Env } from "../../cli/env.js";
import { loadTarget } from "../../config/index.js";

export interface ImageSupport {
  images: boolean;
  context: string;
  /** Why not, for the comment in the manifest. */
  reason?: string;
}

/**
 * The built-in `local` cluster runs images only through a Docker engine on this machine; a configured
 * cluster is taken to run them (Mesos agents run the Docker or Mesos containerizer with image support).
 */
export async function imageSupport(env: Env): Promise<ImageSupport> {
  let context = "local";
  let builtin = true;
  try {
    const target = await loadTarget(env, {});
    context = target.context;
    builtin = target.cluster.builtin;
  } catch {
    // A broken config is reported by the commands that use it; init still writes for the local cluster.
  }
  if (!builtin) return { images: true, context };
  const { dockerEngineFor } = await import("../../local/agent/docker.js");
  const docker = await dockerEngineFor(env.vars.PATH);
  return docker === undefined
    ? {
        images: false,
        context,
        reason: "the local cluster on this machine has no Docker engine to run images",
      }
    : { images: true, context };
}
