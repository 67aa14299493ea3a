import type { Env } from "../cli/env.js";
import { TitanError, UsageError } from "../cli/errors.js";
import { runningCluster } from "./background.js";
import { type LocalPaths, localPaths } from "./control.js";
import { localCredentialsFor, recordedUrl } from "./credentials.js";
import type { HttpCredentials } from "./http-guard.js";

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The credentials of this user's local cluster, for a target configured without credentials whose masters are
 * all that cluster's URL: the built-in `local` context, or `--master` with the URL `titan local up` printed.
 * `running` says the masters came from the running cluster's record; any other list is checked against a live
 * cluster first, so a stale record never hands the secret to whatever now listens on its old port.
 */
export async function localClusterAuth(
  env: Env,
  masters: readonly string[],
  running: boolean,
): Promise<HttpCredentials | undefined> {
  const paths = localPaths(env.paths.stateDir);
  let credentials: HttpCredentials | undefined;
  try {
    credentials = localCredentialsFor(paths.stateFile, masters);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : "");
    throw new TitanError(`cannot read the local cluster's credentials (${reason})`, {
      hint: "restart it with `titan local down` and `titan local up`",
    });
  }
  if (credentials === undefined) {
    await refuseAlias(paths, masters);
    return undefined;
  }
  if (!running && (await runningCluster(paths)) === undefined) return undefined;
  return credentials;
}

/**
 * `http://localhost:PORT` for the local cluster on PORT: the credentials go to the URL it listens on only (another
 * name may resolve to another address, where someone else may listen), so say which URL to use.
 */
async function refuseAlias(paths: LocalPaths, masters: readonly string[]): Promise<void> {
  const recorded = recordedUrl(paths.stateFile);
  if (recorded === undefined) return;
  const url = new URL(recorded);
  const alias = masters.find((master) => {
    const parsed = URL.canParse(master) ? new URL(master) : undefined;
    return parsed?.port === url.port && parsed.origin !== url.origin && LOOPBACK.test(parsed.hostname);
  });
  if (alias === undefined || (await runningCluster(paths)) === undefined) return;
  throw new UsageError(
    `${alias} names your local cluster by another address than the one it runs at (${recorded})`,
    `use --master ${recorded}: titan sends the local cluster's credentials to that URL only`,
  );
}
