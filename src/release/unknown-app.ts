import { UsageError } from "../cli/errors.js";
import { MISSING_STORE_HINT, missingStore, missingStoreNote } from "../state/missing.js";
import type { StateStore } from "../state/types.js";

/**
 * The one error every command gives for an app titan knows nothing of (no release in the state store and, where
 * the command reads the cluster, no task): `releases nope`, `ps nope`, `stop nope` all say the same. Exit 2. When
 * the state store does not exist at all, the hint says so: a mistyped store URL, not the app's name, is the mistake.
 */
export function unknownAppError(app: string, missing?: string): UsageError {
  return new UsageError(
    `titan knows no app named ${JSON.stringify(app)} on this cluster: it has no release and no task`,
    missing === undefined
      ? "check the name and the target (--context, --region); `titan ps` lists the apps that run"
      : `${missingStoreNote(missing)}; ${MISSING_STORE_HINT}`,
  );
}

/** unknownAppError for an app the store does not know, naming the store when that does not exist. */
export async function unknownAppIn(store: StateStore, app: string): Promise<UsageError> {
  try {
    return unknownAppError(app, await missingStore(store));
  } catch {
    return unknownAppError(app);
  }
}
