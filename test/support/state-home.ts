import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileStateStore } from "../../src/state/file-store.js";
import type { ReleaseOutcome } from "../../src/state/types.js";
import { appSpec } from "../plan/builders.js";
import { freePortRange } from "./ports.js";
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

/** A home whose only context's state store is a ZooKeeper ensemble nothing listens for. */
export async function homeWithDeadStore(
  master: string,
): Promise<{ env: Record<string, string>; store: string }> {
  const { env } = isolatedHome();
  const { begin } = await freePortRange(1);
  const store = `zk://127.0.0.1:${begin}/titan`;
  writeFileSync(
    env.TITAN_CONFIG as string,
    `current_context: team\nclusters:\n  shared:\n    masters: ["${master}"]\n    state: ${store}\ncontexts:\n  team: { cluster: shared }\n`,
    { mode: 0o600 },
  );
  return { env, store };
}
