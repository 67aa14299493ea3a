import type { StateStore } from "./types.js";

/**
 * Read commands tell a store that does not exist (a `file://` directory or ZooKeeper path nothing was ever written
 * to: reads create neither) from one that holds no app, so a mistyped `state:` URL shows instead of looking empty.
 */
export function missingStoreNote(store: string): string {
  return `the state store ${store} does not exist: nothing was ever deployed with it`;
}

export const MISSING_STORE_HINT =
  "a deploy creates it; if apps were deployed, check its URL with `titan context show` and the target (--context, --region)";

/** The store's description when it does not exist; undefined when it does. */
export async function missingStore(store: StateStore): Promise<string | undefined> {
  return (await store.exists()) ? undefined : store.describe();
}
