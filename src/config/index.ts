import type { Env } from "../cli/env.js";
import { configFilePath } from "../cli/paths.js";
import { type LoadedConfig, type LoadOptions, loadConfig } from "./load.js";
import { resolveTarget, type TargetFlags } from "./resolve.js";
import type { Target } from "./types.js";

export type { TargetFlags } from "./resolve.js";
export type { ClusterConfig, ContextConfig, SecretRef, Target, UserConfig } from "./types.js";

/** Loads the user's config file from where the environment says it is. */
export function loadUserConfig(env: Env, options: LoadOptions = {}): Promise<LoadedConfig> {
  return loadConfig(configFilePath(env.vars, env.paths), undefined, options);
}

/** The config as the commands that change it read it: a `current_context` naming no context is theirs to repair. */
export function loadConfigForEdit(env: Env): Promise<LoadedConfig> {
  return loadUserConfig(env, { forEdit: true });
}

/** The cluster a command talks to, from its flags, the environment and the config file. */
export async function loadTarget(env: Env, flags: TargetFlags): Promise<Target> {
  const { config } = await loadUserConfig(env);
  return resolveTarget(config, env.paths, flags, env.vars);
}
