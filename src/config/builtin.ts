import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { PlatformPaths } from "../cli/paths.js";
import type { ClusterConfig, ContextConfig } from "./types.js";

export const LOCAL = "local";
export const LOCAL_MASTER = "http://127.0.0.1:5050";

/**
 * Why a cluster or context of the user's may not be called `local`: it would hide the built-in one, and `titan
 * context use local` would no longer lead back to the user's own local cluster.
 */
export function builtinNameTaken(kind: "cluster" | "context"): { message: string; hint: string } {
  return {
    message: `the ${kind} "${LOCAL}" is built in: your own local cluster, which \`titan context use local\` leads back to`,
    hint: `give yours another name, e.g. titan config set-${kind} ${LOCAL}-dev …`,
  };
}

/** The embedded local cluster, known without any config file; no user entry may take its name. */
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
