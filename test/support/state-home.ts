import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileStateStore } from "../../src/state/file-store.js";
import type { ReleaseOutcome } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";
import { tempDir } from "./tmp.js";

/** A file store in `dir` holding one release of `api`; its URL. */
export async function storeWithApi(dir: string): Promise<string> {
  const store = new FileStateStore(pathToFileURL(dir).href, { clock: { now: () => 1 }, hostname: "laptop" });
  await store.addRelease({
    app: "api",
    manifestDigest: "sha256:a",
    spec: appSpec({ name: "api" }),
    user: "ana",
  });
  await store.close();
  return pathToFileURL(dir).href;
}

/** titan's config, data and state directories in a temp dir of their own. */
export function isolatedHome(): { env: Record<string, string>; dir: string } {
  const dir = tempDir();
  return {
    dir,
    env: {
      TITAN_CONFIG: join(dir, "config.yaml"),
      XDG_DATA_HOME: join(dir, "data"),
      TITAN_STATE_DIR: join(dir, "state"),
    },
  };
}

/**
 * Releases of `app` in the default state store of the `local` cluster under `home` (`isolatedHome().dir`), as
 * deploys with `--master` record them: one per entry, numbered from 1, each finished with its outcome unless
 * pending.
 */
export async function recordReleases(
  home: string,
  app: string,
  releases: ReadonlyArray<{ instances: number; outcome: ReleaseOutcome }>,
): Promise<void> {
  const dir = join(home, "data", "titan", "state", "local");
  const store = new FileStateStore(pathToFileURL(dir).href, { clock: { now: () => 1 }, hostname: "laptop" });
  for (const { instances, outcome } of releases) {
    const release = await store.addRelease({
      app,
      manifestDigest: `sha256:${instances}`,
      spec: appSpec({ name: app, instances }),
      user: "ana",
    });
    if (outcome !== "pending") await store.finishRelease(app, release.number, outcome, `it ${outcome}`);
  }
  await store.close();
}
