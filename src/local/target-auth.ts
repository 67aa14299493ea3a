import type { Env } from "../cli/env.js";
import { TitanError } from "../cli/errors.js";
import type { Target } from "../config/types.js";
import { localPaths } from "./control.js";
import { localCredentialsFor } from "./credentials.js";
import type { HttpCredentials } from "./http-guard.js";

/**
 * The credentials of this user's local cluster, for a target that is the built-in `local` cluster and whose
 * masters include the running cluster's URL. Any other target gets nothing from here.
 */
export async function localClusterAuth(
  env: Env,
  target: Target,
  masters: readonly string[],
): Promise<HttpCredentials | undefined> {
  if (!target.cluster.builtin) return undefined;
  const stateFile = localPaths(env.paths.stateDir).stateFile;
  try {
    return localCredentialsFor(stateFile, masters);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : "");
    throw new TitanError(`cannot read the local cluster's credentials (${reason})`, {
      hint: "restart it with `titan local down` and `titan local up`",
    });
  }
}
