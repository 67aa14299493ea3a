/** Whether the context `titan init` writes for can run images, so that what it writes deploys there. */
import type { Env } from "../../cli/env.js";
import { loadTarget } from "../../config/index.js";

export interface ImageSupport {
  images: boolean;
  context: string;
  /** The context is the built-in local cluster. */
  builtin: boolean;
  /** Why not, for the comment in the manifest. */
  reason?: string;
}

/**
 * The built-in `local` cluster runs images with the Mesos containerizer only where runc is installed and titan
 * runs as root (what `titan local up` warns about); a configured cluster is taken to run them (Mesos agents run
 * the Docker or Mesos containerizer with image support).
 */
export async function imageSupport(env: Env, uid = process.getuid?.()): Promise<ImageSupport> {
  let context = "local";
  let builtin = true;
  try {
    const target = await loadTarget(env, {});
    context = target.context;
    builtin = target.cluster.builtin;
  } catch {
    // A broken config is reported by the commands that use it; init still writes for the local cluster.
  }
  if (!builtin) return { images: true, context, builtin };
  const { detectImageSupport } = await import("../../local/agent/container-runc.js");
  const support = detectImageSupport(env.vars.PATH, uid);
  return support.missing === undefined
    ? { images: true, context, builtin }
    : {
        images: false,
        context,
        builtin,
        reason: `the local cluster here cannot run images: ${support.missing}`,
      };
}
