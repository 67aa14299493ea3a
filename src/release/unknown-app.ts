import { UsageError } from "../cli/errors.js";

/**
 * The one error every command gives for an app titan knows nothing of (no release in the state store and, where
 * the command reads the cluster, no task): `releases nope`, `ps nope`, `stop nope` all say the same. Exit 2.
 */
export function unknownAppError(app: string): UsageError {
  return new UsageError(
    `titan knows no app named ${JSON.stringify(app)} on this cluster: it has no release and no task`,
    "check the name and the target (--context, --region); `titan ps` lists the apps that run",
  );
}
