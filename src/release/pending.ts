import type { Release, StateStore } from "../state/types.js";

/** The app's newest release when it is still pending (a deploy running, or one interrupted). */
export async function pendingRelease(store: StateStore, app: string): Promise<Release | undefined> {
  const last = (await store.releases(app)).at(-1);
  return last?.outcome === "pending" ? last : undefined;
}
