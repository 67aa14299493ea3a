import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileStateStore } from "../../src/state/file-store.js";
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
