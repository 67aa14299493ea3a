import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { PlatformPaths } from "../cli/paths.js";
import type { ClusterConfig, ContextConfig } from "./types.js";

export const LOCAL = "local";
export const LOCAL_MASTER = "http://127.0.0.1:5050";

/** The embedded local cluster, known without any config file. A user entry of the same name replaces it. */
export function builtinCluster(paths: PlatformPaths): ClusterConfig {
  return {
    name: LOCAL,
    masters: [LOCAL_MASTER],
    state: pathToFileURL(join(paths.dataDir, "state", LOCAL)).href,
    role: "*",
    builtin: true,
  };
}

export function builtinContext(): ContextConfig {
  return { name: LOCAL, cluster: LOCAL, builtin: true };
}
